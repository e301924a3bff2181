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
    public static void Run(RgbaImage image, ImageToTensorOptions options, Span<float> destination)
    {
        options.Validate();
        int w = options.Width, h = options.Height, c = options.Channels;
        if (destination.Length < w * h * c)
            throw new ArgumentException($"The destination holds {destination.Length} floats; {c}×{h}×{w} needs {w * h * c}.");
        // Source rectangle (in source pixels) that maps onto the destination's content area.
        double scaleX = (double)w / image.Width, scaleY = (double)h / image.Height;
        double scale = options.Resize switch
        {
            ResizeMode.Letterbox => Math.Min(scaleX, scaleY),
            ResizeMode.CentreCrop => Math.Max(scaleX, scaleY),
            _ => 0,
        };
        double sx = options.Resize == ResizeMode.Stretch ? scaleX : scale, sy = options.Resize == ResizeMode.Stretch ? scaleY : scale;
        double offsetX = (w - image.Width * sx) / 2, offsetY = (h - image.Height * sy) / 2;
        var rgb = new float[3];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                double u = (x + 0.5 - offsetX) / sx - 0.5, v = (y + 0.5 - offsetY) / sy - 0.5;
                bool inside = u >= -0.5 && u <= image.Width - 0.5 && v >= -0.5 && v <= image.Height - 0.5;
                if (inside)
                    Sample(image, u, v, rgb);
                for (int k = 0; k < c; k++)
                {
                    float value;
                    if (!inside)
                    {
                        value = 0f; // padding is the normalised zero: the mean colour
                    }
                    else
                    {
                        float raw = c == 1 ? 0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2] : rgb[options.Bgr ? 2 - k : k];
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

    private static void Sample(RgbaImage image, double u, double v, float[] rgb)
    {
        int x0 = (int)Math.Floor(u), y0 = (int)Math.Floor(v);
        float fx = (float)(u - x0), fy = (float)(v - y0);
        for (int k = 0; k < 3; k++)
        {
            float a = Channel(image, x0, y0, k), b = Channel(image, x0 + 1, y0, k);
            float cc = Channel(image, x0, y0 + 1, k), d = Channel(image, x0 + 1, y0 + 1, k);
            float top = a + (b - a) * fx, bottom = cc + (d - cc) * fx;
            rgb[k] = top + (bottom - top) * fy;
        }
    }

    private static float Channel(RgbaImage image, int x, int y, int k) =>
        (image[Math.Clamp(x, 0, image.Width - 1), Math.Clamp(y, 0, image.Height - 1)] >> (8 * k)) & 0xFF;
}
