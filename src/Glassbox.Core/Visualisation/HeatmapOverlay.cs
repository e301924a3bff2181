namespace Glassbox.Visualisation;

/// <summary>How a low-resolution map is resampled to the frame size.</summary>
public enum Upsampling
{
    /// <summary>Bilinear, pixel centres aligned (align_corners = false, as PyTorch and OpenCV), edges clamped.</summary>
    Bilinear,
    /// <summary>Bicubic convolution (Keys, a = −0.75, as PyTorch and OpenCV), pixel centres aligned, edges clamped.</summary>
    Bicubic,
}

/// <summary>Settings of a heatmap overlay. Validated by <see cref="Validate"/>.</summary>
public sealed record HeatmapOverlayOptions
{
    public static HeatmapOverlayOptions Default { get; } = new();

    public Upsampling Upsampling { get; init; } = Upsampling.Bilinear;

    public ColormapKind Colormap { get; init; } = ColormapKind.Turbo;

    /// <summary>Weight of the heatmap colour over the frame, 0 to 1.</summary>
    public float Opacity { get; init; } = 0.5f;

    /// <summary>Percentiles of the map's values that become 0 and 1 (outliers beyond them clip), 0 ≤ low &lt; high ≤ 100.</summary>
    public float LowPercentile { get; init; } = 1f;

    public float HighPercentile { get; init; } = 99f;

    /// <summary>For signed maps (gradient × input): scale by the largest |value| so 0 lands at the middle of the colormap.</summary>
    public bool Symmetric { get; init; }

    /// <summary>Draw a contour where the normalised map crosses this level (0 to 1); null for none.</summary>
    public float? ContourLevel { get; init; }

    /// <summary>Contour colour, RGBA8 packed (R in the low byte).</summary>
    public uint ContourColor { get; init; } = 0xFFFFFFFF;

    public HeatmapOverlayOptions Validate()
    {
        if (Opacity is < 0f or > 1f || float.IsNaN(Opacity))
            throw new ArgumentException($"Opacity is {Opacity}; use a value from 0 (frame only) to 1 (heatmap only).");
        if (!(LowPercentile >= 0f && LowPercentile < HighPercentile && HighPercentile <= 100f))
            throw new ArgumentException($"Percentiles {LowPercentile} and {HighPercentile} are not valid; use 0 ≤ low < high ≤ 100 (for example 1 and 99).");
        if (ContourLevel is { } level && (level <= 0f || level >= 1f))
            throw new ArgumentException($"ContourLevel is {level}; use a level strictly between 0 and 1, or null for no contour.");
        return this;
    }
}

/// <summary>
/// CPU reference of shaders/heatmap_overlay.comp: a low-resolution attribution map drawn over a frame.
/// Arithmetic is written in the same order as the shader so both give the same bytes.
/// </summary>
public static class HeatmapOverlay
{
    /// <summary>
    /// The value range that maps to [0, 1]: the chosen percentiles of the map (linear interpolation
    /// between order statistics), or ±max|v| when symmetric.
    /// </summary>
    public static (float Low, float High) Range(ReadOnlySpan<float> map, HeatmapOverlayOptions options)
    {
        if (options.Symmetric)
        {
            float largest = 0f;
            foreach (float v in map)
                largest = MathF.Max(largest, MathF.Abs(v));
            return largest > 0f ? (-largest, largest) : (-1f, 1f);
        }
        // A live overlay finds its range for every result: sorted on the stack for the maps networks give.
        Span<float> sorted = map.Length <= 4096 ? stackalloc float[map.Length] : new float[map.Length];
        map.CopyTo(sorted);
        sorted.Sort();
        return (Percentile(sorted, options.LowPercentile), Percentile(sorted, options.HighPercentile));
    }

    /// <summary>The map value at frame pixel (x, y) after upsampling.</summary>
    public static float Sample(ReadOnlySpan<float> map, int mapWidth, int mapHeight, int frameWidth, int frameHeight, int x, int y, Upsampling upsampling)
    {
        // Pixel centres aligned: source coordinate of the destination pixel centre.
        float sx = (x + 0.5f) * ((float)mapWidth / frameWidth) - 0.5f;
        float sy = (y + 0.5f) * ((float)mapHeight / frameHeight) - 0.5f;
        float fx = MathF.Floor(sx), fy = MathF.Floor(sy);
        int ix = (int)fx, iy = (int)fy;
        float tx = sx - fx, ty = sy - fy;
        if (upsampling == Upsampling.Bilinear)
        {
            float a = At(map, mapWidth, mapHeight, ix, iy), b = At(map, mapWidth, mapHeight, ix + 1, iy);
            float c = At(map, mapWidth, mapHeight, ix, iy + 1), d = At(map, mapWidth, mapHeight, ix + 1, iy + 1);
            float top = a + (b - a) * tx;
            float bottom = c + (d - c) * tx;
            return top + (bottom - top) * ty;
        }
        float sum = 0f;
        for (int j = -1; j <= 2; j++)
        {
            float wy = Cubic(j - ty);
            float row = 0f;
            for (int i = -1; i <= 2; i++)
                row += Cubic(i - tx) * At(map, mapWidth, mapHeight, ix + i, iy + j);
            sum += wy * row;
        }
        return sum;
    }

    /// <summary>Draws the overlay into <paramref name="destination"/> (frame size, RGBA8, row 0 at the top).</summary>
    public static void Render(ReadOnlySpan<float> map, int mapWidth, int mapHeight, ReadOnlySpan<uint> frame, int frameWidth, int frameHeight, int frameStridePixels,
                              HeatmapOverlayOptions options, Span<uint> destination)
    {
        options.Validate();
        if (map.Length < mapWidth * mapHeight || mapWidth <= 0 || mapHeight <= 0)
            throw new ArgumentException($"The map holds {map.Length} values; {mapWidth}×{mapHeight} needs {mapWidth * mapHeight}.");
        if (frame.Length < frameStridePixels * (frameHeight - 1) + frameWidth || destination.Length < frameWidth * frameHeight)
            throw new ArgumentException("The frame or the destination is smaller than the frame size.");
        var (low, high) = Range(map[..(mapWidth * mapHeight)], options);
        var rgb = Colormaps.Rgb(options.Colormap);
        float level = options.ContourLevel ?? -1f;
        for (int y = 0; y < frameHeight; y++)
        {
            for (int x = 0; x < frameWidth; x++)
            {
                float t = Level(map, mapWidth, mapHeight, frameWidth, frameHeight, x, y, options.Upsampling, low, high);
                uint result;
                if (level > 0f && OnContour(map, mapWidth, mapHeight, frameWidth, frameHeight, x, y, options.Upsampling, low, high, t >= level, level))
                {
                    result = options.ContourColor;
                }
                else
                {
                    int index = Colormaps.IndexOf(t);
                    uint under = frame[y * frameStridePixels + x];
                    result = Blend(under, rgb[index * 3], rgb[index * 3 + 1], rgb[index * 3 + 2], options.Opacity);
                }
                destination[y * frameWidth + x] = result;
            }
        }
    }

    /// <summary>Normalised level in [0, 1] at a frame pixel.</summary>
    public static float Level(ReadOnlySpan<float> map, int mapWidth, int mapHeight, int frameWidth, int frameHeight, int x, int y, Upsampling upsampling, float low, float high)
    {
        float v = Sample(map, mapWidth, mapHeight, frameWidth, frameHeight, x, y, upsampling);
        float t = high > low ? (v - low) / (high - low) : 0f;
        return Math.Clamp(t, 0f, 1f);
    }

    private static bool OnContour(ReadOnlySpan<float> map, int mw, int mh, int fw, int fh, int x, int y, Upsampling up, float low, float high, bool inside, float level)
    {
        // A pixel inside the level set with a 4-neighbour outside it (frame edges count as outside nothing).
        if (!inside)
            return false;
        if (x > 0 && Level(map, mw, mh, fw, fh, x - 1, y, up, low, high) < level) return true;
        if (x < fw - 1 && Level(map, mw, mh, fw, fh, x + 1, y, up, low, high) < level) return true;
        if (y > 0 && Level(map, mw, mh, fw, fh, x, y - 1, up, low, high) < level) return true;
        return y < fh - 1 && Level(map, mw, mh, fw, fh, x, y + 1, up, low, high) < level;
    }

    /// <summary>frame·(1 − α) + colour·α per channel, rounded; the result is opaque.</summary>
    public static uint Blend(uint under, byte r, byte g, byte b, float opacity)
    {
        float keep = 1f - opacity;
        uint Channel(int shift, byte over)
        {
            float mixed = ((under >> shift) & 0xFF) * keep + over * opacity;
            return (uint)MathF.Floor(mixed + 0.5f);
        }
        return Channel(0, r) | Channel(8, g) << 8 | Channel(16, b) << 16 | 0xFF000000u;
    }

    private static float At(ReadOnlySpan<float> map, int w, int h, int x, int y) =>
        map[Math.Clamp(y, 0, h - 1) * w + Math.Clamp(x, 0, w - 1)];

    // Keys' cubic convolution kernel with a = −0.75.
    private static float Cubic(float d)
    {
        const float a = -0.75f;
        d = MathF.Abs(d);
        if (d <= 1f)
            return ((a + 2f) * d - (a + 3f)) * d * d + 1f;
        if (d < 2f)
            return ((a * d - 5f * a) * d + 8f * a) * d - 4f * a;
        return 0f;
    }

    private static float Percentile(ReadOnlySpan<float> sorted, float percent)
    {
        float position = percent / 100f * (sorted.Length - 1);
        int below = (int)MathF.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        float fraction = position - below;
        return sorted[below] + (sorted[above] - sorted[below]) * fraction;
    }
}
