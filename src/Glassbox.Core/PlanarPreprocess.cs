namespace Glassbox;

/// <summary>
/// Settings for turning an RGBA8 image into a planar (NCHW, one batch item) float tensor:
/// <c>value = (byte / 255 − mean[c]) / std[c]</c>, optionally from BT.601 luma for one-channel models.
/// </summary>
public sealed record PlanarPreprocessOptions
{
    public static PlanarPreprocessOptions Default { get; } = new();

    /// <summary>1 (luma) or 3 (R, G, B planes).</summary>
    public int Channels { get; init; } = 3;

    /// <summary>Per output channel; one value is used for every channel.</summary>
    public float[] Mean { get; init; } = [0f];

    /// <summary>Per output channel; one value is used for every channel. Must be non-zero.</summary>
    public float[] Std { get; init; } = [1f];

    /// <summary>Throws with a message that says how to fix the settings.</summary>
    public PlanarPreprocessOptions Validate()
    {
        if (Channels is not (1 or 3))
            throw new ArgumentException($"Channels is {Channels}; use 1 (grayscale from luma) or 3 (RGB planes).");
        CheckPerChannel(Mean, nameof(Mean));
        CheckPerChannel(Std, nameof(Std));
        if (Std.Any(s => s == 0f || !float.IsFinite(s)))
            throw new ArgumentException("Std has a zero or non-finite value; every standard deviation must be a finite non-zero number.");
        return this;
    }

    /// <summary>Mean of output channel <paramref name="c"/>.</summary>
    public float MeanAt(int c) => Mean.Length == 1 ? Mean[0] : Mean[c];

    /// <summary>1 / std of output channel <paramref name="c"/> (the passes multiply rather than divide).</summary>
    public float InvStdAt(int c) => 1f / (Std.Length == 1 ? Std[0] : Std[c]);

    private void CheckPerChannel(float[] values, string name)
    {
        if (values.Length != 1 && values.Length != Channels)
            throw new ArgumentException($"{name} has {values.Length} values for {Channels} channels; give one value, or one per channel.");
    }
}

/// <summary>An RGBA8 image made a planar float tensor on the CPU, as <see cref="PlanarPreprocessOptions"/> says.</summary>
public static class PlanarPreprocess
{
    // BT.601 luma, the weights MNIST-style grayscale models are usually trained with.
    public const float LumaR = 0.299f, LumaG = 0.587f, LumaB = 0.114f;

    /// <summary>
    /// Converts <paramref name="rgba"/> (rows of <paramref name="strideBytes"/> bytes, row 0 at the top)
    /// into <paramref name="destination"/>, which holds Channels × height × width floats.
    /// </summary>
    public static void Run(ReadOnlySpan<byte> rgba, int width, int height, int strideBytes,
                           PlanarPreprocessOptions options, Span<float> destination)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentException($"Image size {width}×{height} is empty; both sides must be at least 1 pixel.");
        if (strideBytes < width * 4)
            throw new ArgumentException($"Stride {strideBytes} bytes is shorter than a row of {width} RGBA pixels ({width * 4} bytes).");
        if (rgba.Length < (long)strideBytes * (height - 1) + width * 4)
            throw new ArgumentException($"The pixel buffer holds {rgba.Length} bytes; a {width}×{height} image with stride {strideBytes} needs {(long)strideBytes * (height - 1) + width * 4}.");
        int plane = width * height;
        if (destination.Length < plane * options.Channels)
            throw new ArgumentException($"The destination holds {destination.Length} floats; {options.Channels}×{height}×{width} needs {plane * options.Channels}.");

        const float inv255 = 1f / 255f;
        for (int y = 0; y < height; y++)
        {
            var row = rgba.Slice(y * strideBytes, width * 4);
            for (int x = 0; x < width; x++)
            {
                float r = row[x * 4] * inv255, g = row[x * 4 + 1] * inv255, b = row[x * 4 + 2] * inv255;
                int i = y * width + x;
                if (options.Channels == 1)
                {
                    float luma = LumaR * r + LumaG * g + LumaB * b;
                    destination[i] = (luma - options.MeanAt(0)) * options.InvStdAt(0);
                }
                else
                {
                    destination[i] = (r - options.MeanAt(0)) * options.InvStdAt(0);
                    destination[plane + i] = (g - options.MeanAt(1)) * options.InvStdAt(1);
                    destination[2 * plane + i] = (b - options.MeanAt(2)) * options.InvStdAt(2);
                }
            }
        }
    }
}
