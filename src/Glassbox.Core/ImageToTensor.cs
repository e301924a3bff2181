namespace Glassbox;

/// <summary>How an image is fitted to a model's input size.</summary>
public enum ResizeMode
{
    /// <summary>Scale each side independently (the aspect ratio may change).</summary>
    Stretch,
    /// <summary>Scale to fit inside, keeping the aspect ratio; the rest is padding (value 0 after normalisation).</summary>
    Letterbox,
    /// <summary>Scale to cover, keeping the aspect ratio, and cut the centre.</summary>
    CentreCrop,
}

/// <summary>Everything needed to turn an RGBA image into a model's input tensor. Validated by <see cref="Validate"/>.</summary>
public sealed record ImageToTensorOptions
{
    public required int Width { get; init; }
    public required int Height { get; init; }
    public int Channels { get; init; } = 3;
    public ResizeMode Resize { get; init; } = ResizeMode.Stretch;
    /// <summary>Channel order of a 3-channel tensor: false RGB, true BGR.</summary>
    public bool Bgr { get; init; }
    /// <summary>Channels-last (N×H×W×C) instead of channels-first (N×C×H×W).</summary>
    public bool ChannelsLast { get; init; }
    /// <summary>Pixels are divided by this before the mean and std: 255 gives [0, 1].</summary>
    public float Scale { get; init; } = 255f;
    public float[] Mean { get; init; } = [0f];
    public float[] Std { get; init; } = [1f];
    /// <summary>Use 255 − value (dark ink on light paper for models trained on light-on-dark, like MNIST).</summary>
    public bool Invert { get; init; }

    public ImageToTensorOptions Validate()
    {
        if (Width <= 0 || Height <= 0)
            throw new ArgumentException($"Tensor size {Width}×{Height} is empty.");
        if (Channels is not (1 or 3))
            throw new ArgumentException($"Channels is {Channels}; use 1 (luma) or 3.");
        if (!(Scale > 0f))
            throw new ArgumentException($"Scale is {Scale}; use a positive divisor such as 255.");
        foreach (var (name, values) in new[] { (nameof(Mean), Mean), (nameof(Std), Std) })
        {
            if (values.Length != 1 && values.Length != Channels)
                throw new ArgumentException($"{name} has {values.Length} values for {Channels} channels; give one, or one per channel.");
        }
        if (Std.Any(s => s == 0f || !float.IsFinite(s)))
            throw new ArgumentException("Std has a zero or non-finite value.");
        return this;
    }
}

/// <summary>
/// Any RGBA image to a model input tensor: fitted (stretch, letterbox, centre crop) with bilinear
/// sampling at aligned pixel centres, then scaled, normalised and laid out as the model wants.
/// </summary>
public static class ImageToTensor
{
    /// <summary>
    /// Where a point of an image of the given size lands in the tensor <see cref="Run"/> makes of it
    /// (tensor pixels; outside the tensor's bounds where letterboxing or cropping leaves it out).
    /// </summary>
    public static (double X, double Y) MapPoint(int imageWidth, int imageHeight, ImageToTensorOptions options, double x, double y)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (sx, sy, offsetX, offsetY) = Placement(imageWidth, imageHeight, options);
        return (x * sx + offsetX, y * sy + offsetY);
    }

    // Scale and offset from image pixels to tensor pixels: stretched, letterboxed or centre-cropped.
    private static (double ScaleX, double ScaleY, double OffsetX, double OffsetY) Placement(int imageWidth, int imageHeight, ImageToTensorOptions options)
    {
        int w = options.Width, h = options.Height;
        double scaleX = (double)w / imageWidth, scaleY = (double)h / imageHeight;
        double scale = options.Resize switch
        {
            ResizeMode.Letterbox => Math.Min(scaleX, scaleY),
            ResizeMode.CentreCrop => Math.Max(scaleX, scaleY),
            _ => 0,
        };
        double sx = options.Resize == ResizeMode.Stretch ? scaleX : scale, sy = options.Resize == ResizeMode.Stretch ? scaleY : scale;
        return (sx, sy, (w - imageWidth * sx) / 2, (h - imageHeight * sy) / 2);
    }

    public static void Run(RgbaImage image, ImageToTensorOptions options, Span<float> destination)
    {
        options.Validate();
        int w = options.Width, h = options.Height, c = options.Channels;
        if (destination.Length < w * h * c)
            throw new ArgumentException($"The destination holds {destination.Length} floats; {c}×{h}×{w} needs {w * h * c}.");
        // Source rectangle (in source pixels) that maps onto the destination's content area.
        var (sx, sy, offsetX, offsetY) = Placement(image.Width, image.Height, options);
        // Sampling positions depend on the column or the row alone: work them out once (on the stack for
        // the sizes networks take, so a live feed prepares its frames without allocating).
        Span<Position> columns = w <= MaxStackPositions ? stackalloc Position[w] : new Position[w];
        Span<Position> rows = h <= MaxStackPositions ? stackalloc Position[h] : new Position[h];
        Positions(columns, sx, offsetX, image.Width);
        Positions(rows, sy, offsetY, image.Height);
        var pixels = image.Pixels;
        Span<float> rgb = stackalloc float[3];
        for (int y = 0; y < h; y++)
        {
            var row = rows[y];
            for (int x = 0; x < w; x++)
            {
                var column = columns[x];
                bool inside = row.Inside && column.Inside;
                if (inside)
                {
                    uint pa = pixels[row.A * image.Width + column.A], pb = pixels[row.A * image.Width + column.B];
                    uint pc = pixels[row.B * image.Width + column.A], pd = pixels[row.B * image.Width + column.B];
                    for (int k = 0; k < 3; k++)
                    {
                        int shift = 8 * k;
                        float a = (pa >> shift) & 0xFF, b = (pb >> shift) & 0xFF, cc = (pc >> shift) & 0xFF, d = (pd >> shift) & 0xFF;
                        float top = a + (b - a) * column.Fraction, bottom = cc + (d - cc) * column.Fraction;
                        rgb[k] = top + (bottom - top) * row.Fraction;
                    }
                }
                for (int k = 0; k < c; k++)
                {
                    float value;
                    if (!inside)
                    {
                        value = 0f; // padding is the normalised zero: the mean colour
                    }
                    else
                    {
                        float raw = c == 1 ? PlanarPreprocess.LumaR * rgb[0] + PlanarPreprocess.LumaG * rgb[1] + PlanarPreprocess.LumaB * rgb[2] : rgb[options.Bgr ? 2 - k : k];
                        if (options.Invert)
                            raw = 255f - raw;
                        float mean = options.Mean.Length == 1 ? options.Mean[0] : options.Mean[k];
                        float std = options.Std.Length == 1 ? options.Std[0] : options.Std[k];
                        value = (raw / options.Scale - mean) / std;
                    }
                    int index = options.ChannelsLast ? (y * w + x) * c + k : (k * h + y) * w + x;
                    destination[index] = value;
                }
            }
        }
    }

    /// <summary>For each output position along one axis: the two source indices (clamped), the fraction between them, and whether it lies on the image.</summary>
    private readonly record struct Position(int A, int B, float Fraction, bool Inside);

    private const int MaxStackPositions = 1024;

    private static void Positions(Span<Position> positions, double scale, double offset, int sourceSize)
    {
        for (int i = 0; i < positions.Length; i++)
        {
            double s = (i + 0.5 - offset) / scale - 0.5;
            int s0 = (int)Math.Floor(s);
            positions[i] = new Position(Math.Clamp(s0, 0, sourceSize - 1), Math.Clamp(s0 + 1, 0, sourceSize - 1), (float)(s - s0),
                s >= -0.5 && s <= sourceSize - 0.5);
        }
    }
}
