namespace Glassbox.Media;

/// <summary>
/// A handwritten digit on paper, seen by a camera, turned into an MNIST-like 28×28 image: grayscale,
/// an adaptive threshold (ink is darker than its neighbourhood, so uneven light does not matter),
/// the largest ink blob plus the pieces overlapping it (specks and shadows elsewhere are dropped),
/// inverted to light-on-dark, then <see cref="DigitPreprocess.ToMnist"/>.
/// </summary>
public static class PaperDigit
{
    /// <param name="photo">The camera frame.</param>
    /// <param name="regionOfInterest">Where to look (x, y, width, height); null for the whole frame.</param>
    /// <param name="contrast">How much darker than the local mean (0–255) a pixel must be to count as ink.</param>
    public static byte[] ToMnist(RgbaImage photo, (int X, int Y, int Width, int Height)? regionOfInterest = null, int contrast = 12)
    {
        var (rx, ry, rw, rh) = regionOfInterest ?? (0, 0, photo.Width, photo.Height);
        if (rw <= 0 || rh <= 0 || rx < 0 || ry < 0 || rx + rw > photo.Width || ry + rh > photo.Height)
            throw new ArgumentException($"Region {rw}×{rh} at ({rx}, {ry}) is not inside the {photo.Width}×{photo.Height} frame.");
        var ink = InkStrength(photo, rx, ry, rw, rh, contrast);
        KeepMainBlob(ink, rw, rh);
        return DigitPreprocess.ToMnist(ink, rw, rh);
    }

    /// <summary>Per pixel: how much darker than its surroundings, 0–255 (0 for paper).</summary>
    internal static byte[] InkStrength(RgbaImage photo, int rx, int ry, int rw, int rh, int contrast)
    {
        var gray = new float[rw * rh];
        for (int y = 0; y < rh; y++)
        {
            for (int x = 0; x < rw; x++)
            {
                uint p = photo[rx + x, ry + y];
                gray[y * rw + x] = PlanarPreprocess.LumaR * (p & 0xFF) + PlanarPreprocess.LumaG * ((p >> 8) & 0xFF) + PlanarPreprocess.LumaB * ((p >> 16) & 0xFF);
            }
        }
        // Local mean over a window about an eighth of the region, from an integral image.
        int radius = Math.Max(2, Math.Min(rw, rh) / 8);
        var integral = new double[(rw + 1) * (rh + 1)];
        for (int y = 0; y < rh; y++)
        {
            double row = 0;
            for (int x = 0; x < rw; x++)
            {
                row += gray[y * rw + x];
                integral[(y + 1) * (rw + 1) + x + 1] = integral[y * (rw + 1) + x + 1] + row;
            }
        }
        var ink = new byte[rw * rh];
        for (int y = 0; y < rh; y++)
        {
            int y0 = Math.Max(0, y - radius), y1 = Math.Min(rh, y + radius + 1);
            for (int x = 0; x < rw; x++)
            {
                int x0 = Math.Max(0, x - radius), x1 = Math.Min(rw, x + radius + 1);
                double sum = integral[y1 * (rw + 1) + x1] - integral[y0 * (rw + 1) + x1] - integral[y1 * (rw + 1) + x0] + integral[y0 * (rw + 1) + x0];
                double mean = sum / ((x1 - x0) * (y1 - y0));
                double darker = mean - gray[y * rw + x] - contrast;
                // Soft edges like a pen stroke's: full ink a few levels past the threshold.
                ink[y * rw + x] = darker <= 0 ? (byte)0 : (byte)Math.Min(255, darker * 6);
            }
        }
        return ink;
    }

    /// <summary>Clears every ink blob except the largest and those whose bounds overlap its (grown by 15%).</summary>
    internal static void KeepMainBlob(byte[] ink, int width, int height)
    {
        var label = new int[ink.Length];
        var blobs = new List<(int Size, int Left, int Top, int Right, int Bottom)>();
        var stack = new Stack<int>();
        for (int start = 0; start < ink.Length; start++)
        {
            if (ink[start] == 0 || label[start] != 0)
                continue;
            int id = blobs.Count + 1, size = 0, left = width, top = height, right = -1, bottom = -1;
            label[start] = id;
            stack.Push(start);
            while (stack.Count > 0)
            {
                int i = stack.Pop();
                int x = i % width, y = i / width;
                size++;
                left = Math.Min(left, x); right = Math.Max(right, x); top = Math.Min(top, y); bottom = Math.Max(bottom, y);
                for (int dy = -1; dy <= 1; dy++)
                {
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int nx = x + dx, ny = y + dy;
                        if (nx < 0 || ny < 0 || nx >= width || ny >= height)
                            continue;
                        int n = ny * width + nx;
                        if (ink[n] != 0 && label[n] == 0)
                        {
                            label[n] = id;
                            stack.Push(n);
                        }
                    }
                }
            }
            blobs.Add((size, left, top, right, bottom));
        }
        if (blobs.Count == 0)
            return;
        var main = blobs.MaxBy(b => b.Size);
        int growX = (main.Right - main.Left + 1) * 15 / 100, growY = (main.Bottom - main.Top + 1) * 15 / 100;
        var keep = blobs.Select(b => b.Right >= main.Left - growX && b.Left <= main.Right + growX && b.Bottom >= main.Top - growY && b.Top <= main.Bottom + growY).ToArray();
        for (int i = 0; i < ink.Length; i++)
        {
            if (label[i] != 0 && !keep[label[i] - 1])
                ink[i] = 0;
        }
    }
}
