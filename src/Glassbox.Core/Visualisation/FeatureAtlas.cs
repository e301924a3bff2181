namespace Glassbox.Visualisation;

/// <summary>How feature maps are scaled to [0, 1] before colouring.</summary>
public enum MapNormalisation
{
    /// <summary>Each channel by its own minimum and maximum: every map uses the whole colour scale.</summary>
    PerChannel,
    /// <summary>All shown channels by one minimum and maximum: strengths stay comparable across maps.</summary>
    PerLayer,
}

/// <summary>Settings of a feature-map atlas. Validated by <see cref="Validate"/>.</summary>
public sealed record FeatureAtlasOptions
{
    public static FeatureAtlasOptions Default { get; } = new();

    public MapNormalisation Normalisation { get; init; } = MapNormalisation.PerChannel;

    public ColormapKind Colormap { get; init; } = ColormapKind.Viridis;

    /// <summary>Channels to show, in order; null shows every channel in order.</summary>
    public IReadOnlyList<int>? Channels { get; init; }

    /// <summary>Tiles per row; 0 picks ⌈√n⌉.</summary>
    public int Columns { get; init; }

    /// <summary>Background pixels between and around tiles.</summary>
    public int Gutter { get; init; } = 1;

    /// <summary>Each map pixel becomes Scale × Scale atlas pixels (nearest neighbour).</summary>
    public int Scale { get; init; } = 1;

    /// <summary>Colour of gutters and empty cells, RGBA8 packed (R in the low byte).</summary>
    public uint Background { get; init; } = 0xFF202020;

    public FeatureAtlasOptions Validate(int channelCount)
    {
        if (Gutter is < 0 or > 64)
            throw new ArgumentException($"Gutter is {Gutter}; use 0 to 64 pixels.");
        if (Scale is < 1 or > 64)
            throw new ArgumentException($"Scale is {Scale}; use 1 to 64.");
        if (Columns < 0)
            throw new ArgumentException($"Columns is {Columns}; use 0 (automatic) or a positive count.");
        if (Channels is { Count: 0 })
            throw new ArgumentException("Channels is empty; give at least one channel, or null for all.");
        if (Channels is not null)
        {
            // A loop, not a query: a live feature grid validates once per result.
            for (int i = 0; i < Channels.Count; i++)
            {
                if (Channels[i] < 0 || Channels[i] >= channelCount)
                    throw new ArgumentException($"Channel {Channels[i]} does not exist; the layer has channels 0 to {channelCount - 1}.");
            }
        }
        return this;
    }
}

/// <summary>Where each tile of an atlas sits.</summary>
public readonly record struct FeatureAtlasLayout(int Tiles, int Columns, int Rows, int TileWidth, int TileHeight, int Gutter, int Width, int Height)
{
    public static FeatureAtlasLayout For(int tiles, int mapHeight, int mapWidth, FeatureAtlasOptions options)
    {
        int columns = options.Columns > 0 ? Math.Min(options.Columns, tiles) : (int)Math.Ceiling(Math.Sqrt(tiles));
        int rows = (tiles + columns - 1) / columns;
        int tileWidth = mapWidth * options.Scale, tileHeight = mapHeight * options.Scale;
        return new FeatureAtlasLayout(tiles, columns, rows, tileWidth, tileHeight, options.Gutter,
            columns * tileWidth + (columns + 1) * options.Gutter, rows * tileHeight + (rows + 1) * options.Gutter);
    }
}

/// <summary>
/// CPU reference of the feature-map atlas pass (shaders/feature_ranges.comp and feature_atlas.comp):
/// channels of one layer (planar C×H×W floats) normalised, coloured and tiled in a grid.
/// </summary>
public static class FeatureAtlas
{
    /// <summary>Minimum and maximum of each listed channel (per layer: all of them share the overall range).</summary>
    public static (float Min, float Max)[] Ranges(ReadOnlySpan<float> maps, int height, int width, IReadOnlyList<int> channels, MapNormalisation normalisation)
    {
        var ranges = new (float Min, float Max)[channels.Count];
        Ranges(maps, height, width, channels, channels.Count, normalisation, ranges);
        return ranges;
    }

    // Channel t is channels[t], or t itself when channels is null (every channel in order).
    private static void Ranges(ReadOnlySpan<float> maps, int height, int width, IReadOnlyList<int>? channels, int count, MapNormalisation normalisation, Span<(float Min, float Max)> ranges)
    {
        int plane = height * width;
        for (int t = 0; t < count; t++)
            ranges[t] = MinMax(maps.Slice((channels?[t] ?? t) * plane, plane));
        if (normalisation == MapNormalisation.PerLayer)
        {
            float lo = ranges[0].Min, hi = ranges[0].Max;
            foreach (var (min, max) in ranges[..count])
            {
                lo = Math.Min(lo, min);
                hi = Math.Max(hi, max);
            }
            ranges[..count].Fill((lo, hi));
        }
    }

    /// <summary>Smallest and largest value (min and max are exact, so any order of evaluation agrees).</summary>
    public static (float Min, float Max) MinMax(ReadOnlySpan<float> values)
    {
        float lo = values[0], hi = values[0];
        int i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated && values.Length >= 2 * System.Numerics.Vector<float>.Count)
        {
            var vectors = System.Runtime.InteropServices.MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(values);
            var vlo = vectors[0];
            var vhi = vectors[0];
            foreach (var v in vectors)
            {
                vlo = System.Numerics.Vector.Min(vlo, v);
                vhi = System.Numerics.Vector.Max(vhi, v);
            }
            for (int k = 0; k < System.Numerics.Vector<float>.Count; k++)
            {
                lo = vlo[k] < lo ? vlo[k] : lo;
                hi = vhi[k] > hi ? vhi[k] : hi;
            }
            i = vectors.Length * System.Numerics.Vector<float>.Count;
        }
        for (; i < values.Length; i++)
        {
            lo = values[i] < lo ? values[i] : lo;
            hi = values[i] > hi ? values[i] : hi;
        }
        return (lo, hi);
    }

    /// <summary>Value scaled into [0, 1] by a range; a flat map (max = min) gives 0.</summary>
    public static float Normalise(float value, float min, float max) => max > min ? (value - min) / (max - min) : 0f;

    /// <summary>Channel indices by mean activation, strongest first (ties by index).</summary>
    public static int[] OrderByActivation(ReadOnlySpan<float> maps, int channels, int height, int width)
    {
        var order = new int[channels];
        StrongestChannels(maps, channels, height, width, order);
        return order;
    }

    /// <summary>
    /// The <paramref name="strongest"/>.Length channels of highest mean activation, strongest first (ties by index),
    /// as <see cref="OrderByActivation"/> begins; allocates nothing for layers of up to 1024 channels.
    /// </summary>
    public static void StrongestChannels(ReadOnlySpan<float> maps, int channels, int height, int width, Span<int> strongest)
    {
        if (strongest.Length > channels)
            throw new ArgumentException($"{strongest.Length} channels asked for; the layer has {channels}.");
        int plane = height * width;
        Span<double> means = channels <= 1024 ? stackalloc double[channels] : new double[channels];
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            foreach (float v in maps.Slice(c * plane, plane))
                sum += v;
            means[c] = sum / plane;
        }
        // Selection, k passes over the channels: a grid shows a few of them, and this gives the order a
        // stable sort by mean would (NaN means last, as the default comparer orders them).
        Span<bool> taken = channels <= 1024 ? stackalloc bool[channels] : new bool[channels];
        taken.Clear();
        for (int k = 0; k < strongest.Length; k++)
        {
            int best = -1;
            for (int c = 0; c < channels; c++)
            {
                if (!taken[c] && (best < 0 || means[c] > means[best] || (double.IsNaN(means[best]) && !double.IsNaN(means[c]))))
                    best = c;
            }
            strongest[k] = best;
            taken[best] = true;
        }
    }

    /// <summary>Renders the atlas into <paramref name="destination"/> (layout.Width × layout.Height RGBA8 pixels, row 0 at the top).</summary>
    public static FeatureAtlasLayout Render(ReadOnlySpan<float> maps, int channelCount, int height, int width, FeatureAtlasOptions options, Span<uint> destination)
    {
        options.Validate(channelCount);
        if (maps.Length < channelCount * height * width)
            throw new ArgumentException($"The maps hold {maps.Length} floats; {channelCount}×{height}×{width} needs {channelCount * height * width}.");
        var channels = options.Channels;
        int tiles = channels?.Count ?? channelCount;
        var layout = FeatureAtlasLayout.For(tiles, height, width, options);
        if (destination.Length < layout.Width * layout.Height)
            throw new ArgumentException($"The destination holds {destination.Length} pixels; the atlas is {layout.Width}×{layout.Height}.");
        Span<(float Min, float Max)> ranges = tiles <= 1024 ? stackalloc (float, float)[tiles] : new (float, float)[tiles];
        Ranges(maps, height, width, channels, tiles, options.Normalisation, ranges);
        var rgb = Colormaps.Rgb(options.Colormap);
        int plane = height * width;
        int cellWidth = layout.TileWidth + layout.Gutter, cellHeight = layout.TileHeight + layout.Gutter;
        for (int y = 0; y < layout.Height; y++)
        {
            for (int x = 0; x < layout.Width; x++)
            {
                uint pixel = options.Background;
                int rx = x - layout.Gutter, ry = y - layout.Gutter;
                if (rx >= 0 && ry >= 0)
                {
                    int column = rx / cellWidth, row = ry / cellHeight;
                    int ix = rx - column * cellWidth, iy = ry - row * cellHeight;
                    int tile = row * layout.Columns + column;
                    if (ix < layout.TileWidth && iy < layout.TileHeight && column < layout.Columns && tile < tiles)
                    {
                        float v = maps[(channels?[tile] ?? tile) * plane + iy / options.Scale * width + ix / options.Scale];
                        int index = Colormaps.IndexOf(Normalise(v, ranges[tile].Min, ranges[tile].Max));
                        pixel = rgb[index * 3] | (uint)rgb[index * 3 + 1] << 8 | (uint)rgb[index * 3 + 2] << 16 | 0xFF000000u;
                    }
                }
                destination[y * layout.Width + x] = pixel;
            }
        }
        return layout;
    }
}
