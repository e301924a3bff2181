namespace Glassbox.Media;

/// <summary>
/// Turns a drawn or photographed digit into an MNIST-like 28×28 image the way the data set was made
/// (LeCun et al.): the ink's bounding box is scaled to fit a 20×20 box keeping its aspect ratio (with
/// area averaging, which gives MNIST's grey anti-aliased edges), then placed in a 28×28 field so that
/// its centre of mass sits at the field's centre.
/// </summary>
public static class DigitPreprocess
{
    public const int Size = 28, Box = 20;

    /// <summary>
    /// <paramref name="ink"/> holds width × height values with 0 for background and 255 for full ink
    /// (light strokes on dark, as MNIST; invert paper images first). Returns 28×28 bytes, or all zeros
    /// when there is no ink above <paramref name="threshold"/>.
    /// </summary>
    public static byte[] ToMnist(ReadOnlySpan<byte> ink, int width, int height, byte threshold = 24) =>
        Steps(ink, width, height, threshold).Result;

    /// <summary>
    /// <see cref="ToMnist(ReadOnlySpan{byte}, int, int, byte)"/> into <paramref name="destination"/> (28×28 bytes),
    /// allocating nothing: what a live canvas calls on every change of its drawing.
    /// </summary>
    public static void ToMnist(ReadOnlySpan<byte> ink, int width, int height, Span<byte> destination, byte threshold = 24)
    {
        if (destination.Length < Size * Size)
            throw new ArgumentException($"The destination holds {destination.Length} bytes; a {Size}×{Size} digit needs {Size * Size}.");
        Span<double> fitted = stackalloc double[Box * Box];
        Fit(ink, width, height, threshold, fitted, destination[..(Size * Size)]);
    }

    /// <summary>The intermediate results of <see cref="ToMnist(ReadOnlySpan{byte}, int, int, byte)"/>, for explaining it (see docs/mnist-preprocessing.md).</summary>
    internal sealed record Trace(
        (int Left, int Top, int Width, int Height)? InkBox,
        int FittedWidth, int FittedHeight, byte[] Fitted,
        (double X, double Y) FittedCentreOfMass, (int X, int Y) Offset, byte[] Result);

    internal static Trace Steps(ReadOnlySpan<byte> ink, int width, int height, byte threshold = 24)
    {
        var fitted = new double[Box * Box];
        var result = new byte[Size * Size];
        var fit = Fit(ink, width, height, threshold, fitted, result);
        if (fit.InkBox is null)
            return new Trace(null, 0, 0, [], (Size / 2.0, Size / 2.0), (0, 0), result);
        var fittedBytes = fitted.Take(fit.Width * fit.Height).Select(v => (byte)Math.Clamp(Math.Round(v), 0, 255)).ToArray();
        return new Trace(fit.InkBox, fit.Width, fit.Height, fittedBytes, fit.CentreOfMass, fit.Offset, result);
    }

    private readonly record struct Fitting((int Left, int Top, int Width, int Height)? InkBox, int Width, int Height, (double X, double Y) CentreOfMass, (int X, int Y) Offset);

    // The steps, writing the 20×20-or-smaller fitted digit into fitted and the 28×28 result into result (cleared first).
    private static Fitting Fit(ReadOnlySpan<byte> ink, int width, int height, byte threshold, Span<double> fitted, Span<byte> result)
    {
        if (ink.Length < width * height || width <= 0 || height <= 0)
            throw new ArgumentException($"The ink image holds {ink.Length} values; {width}×{height} needs {width * height}.");
        int left = width, right = -1, top = height, bottom = -1;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                if (ink[y * width + x] > threshold)
                {
                    left = Math.Min(left, x);
                    right = Math.Max(right, x);
                    top = Math.Min(top, y);
                    bottom = Math.Max(bottom, y);
                }
            }
        }
        result.Clear();
        if (right < 0)
            return default;
        int boxWidth = right - left + 1, boxHeight = bottom - top + 1;
        double scale = (double)Box / Math.Max(boxWidth, boxHeight);
        int fitWidth = Math.Max(1, (int)Math.Round(boxWidth * scale)), fitHeight = Math.Max(1, (int)Math.Round(boxHeight * scale));
        var box = fitted[..(fitWidth * fitHeight)];
        AreaResample(ink, width, left, top, boxWidth, boxHeight, fitWidth, fitHeight, box);

        var (cx, cy) = CentreOfMass((ReadOnlySpan<double>)box, fitWidth, fitHeight);
        int offsetX = (int)Math.Round(Size / 2.0 - cx), offsetY = (int)Math.Round(Size / 2.0 - cy);
        for (int y = 0; y < fitHeight; y++)
        {
            for (int x = 0; x < fitWidth; x++)
            {
                int tx = x + offsetX, ty = y + offsetY;
                if (tx is >= 0 and < Size && ty is >= 0 and < Size)
                    result[ty * Size + tx] = (byte)Math.Clamp(Math.Round(box[y * fitWidth + x]), 0, 255);
            }
        }
        return new Fitting((left, top, boxWidth, boxHeight), fitWidth, fitHeight, (cx, cy), (offsetX, offsetY));
    }

    /// <summary>Centre of mass in pixel-centre coordinates (x + ½, y + ½); the middle of the image when it is empty.</summary>
    public static (double X, double Y) CentreOfMass(ReadOnlySpan<byte> image, int width, int height)
    {
        double mass = 0, cx = 0, cy = 0;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                double v = image[y * width + x];
                mass += v;
                cx += v * (x + 0.5);
                cy += v * (y + 0.5);
            }
        }
        return mass > 0 ? (cx / mass, cy / mass) : (width / 2.0, height / 2.0);
    }

    // The same over the fitted digit before rounding (netstandard2.1 has no generic numbers to share one body).
    private static (double X, double Y) CentreOfMass(ReadOnlySpan<double> image, int width, int height)
    {
        double mass = 0, cx = 0, cy = 0;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                double v = image[y * width + x];
                mass += v;
                cx += v * (x + 0.5);
                cy += v * (y + 0.5);
            }
        }
        return mass > 0 ? (cx / mass, cy / mass) : (width / 2.0, height / 2.0);
    }

    // Each target pixel averages the source area it covers, weighting partially covered source pixels.
    private static void AreaResample(ReadOnlySpan<byte> source, int stride, int left, int top, int width, int height, int targetWidth, int targetHeight, Span<double> result)
    {
        double sx = (double)width / targetWidth, sy = (double)height / targetHeight;
        for (int ty = 0; ty < targetHeight; ty++)
        {
            double y0 = ty * sy, y1 = (ty + 1) * sy;
            for (int tx = 0; tx < targetWidth; tx++)
            {
                double x0 = tx * sx, x1 = (tx + 1) * sx;
                double sum = 0, area = 0;
                for (int y = (int)y0; y < Math.Min(height, (int)Math.Ceiling(y1)); y++)
                {
                    double wy = Math.Min(y + 1, y1) - Math.Max(y, y0);
                    for (int x = (int)x0; x < Math.Min(width, (int)Math.Ceiling(x1)); x++)
                    {
                        double w = wy * (Math.Min(x + 1, x1) - Math.Max(x, x0));
                        sum += w * source[(top + y) * stride + left + x];
                        area += w;
                    }
                }
                result[ty * targetWidth + tx] = area > 0 ? sum / area : 0;
            }
        }
    }
}
