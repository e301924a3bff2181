using System.Globalization;
using Glassbox.Visualisation;

namespace Glassbox.Graphics.Passes;

/// <summary>
/// GPU feature-map atlas (<see cref="FeatureAtlas"/> is its CPU reference): a layer's channels
/// normalised, coloured and tiled into an RGBA8 image held in <see cref="Output"/>. Buffers grow to
/// the largest layer seen and are reused. Owned by one <see cref="GlContext"/>.
/// </summary>
public sealed class FeatureAtlasPass : IDisposable
{
    private const int LocalSize = 64, TileGroup = 8;
    private readonly GlContext _context;
    private readonly ShaderProgram _ranges, _layerRange, _atlas;
    private readonly ColormapTables _tables;
    private StorageBuffer? _maps, _channels, _rangesBuffer, _pixels;

    public FeatureAtlasPass(GlContext context, ShaderLibrary shaders)
    {
        _context = context;
        _tables = new ColormapTables(context);
        _ranges = shaders.Compute(context, "feature_ranges.comp",
            new Dictionary<string, string> { ["LOCAL_SIZE_X"] = LocalSize.ToString(CultureInfo.InvariantCulture) });
        _layerRange = shaders.Compute(context, "feature_ranges_layer.comp");
        _atlas = shaders.Compute(context, "feature_atlas.comp",
            new Dictionary<string, string> { ["LOCAL_SIZE_X"] = TileGroup.ToString(CultureInfo.InvariantCulture), ["LOCAL_SIZE_Y"] = TileGroup.ToString(CultureInfo.InvariantCulture) });
    }

    /// <summary>The atlas of the last run: Layout.Width × Layout.Height RGBA8 pixels packed in uints.</summary>
    public StorageBuffer Output => _pixels ?? throw new InvalidOperationException("Run the pass before reading its output.");

    public FeatureAtlasLayout Layout { get; private set; }

    /// <summary>Uploads a layer (planar C×H×W floats, one batch item) and draws its atlas.</summary>
    public FeatureAtlasLayout Run(ReadOnlySpan<float> maps, int channelCount, int height, int width, FeatureAtlasOptions options)
    {
        long floats = (long)channelCount * height * width;
        if (maps.Length < floats)
            throw new ArgumentException($"The maps hold {maps.Length} floats; {channelCount}×{height}×{width} needs {floats}.");
        var channels = Channels(options, channelCount);
        _maps = PassBuffers.Grow(_context, _maps, floats * sizeof(float));
        _maps.Write(maps[..(int)floats]);
        // The CPU holds the maps already: a vectorised min/max here costs less than a reduction with
        // barriers on a software GPU, and gives the same (exact) ranges.
        var ranges = FeatureAtlas.Ranges(maps, height, width, channels, options.Normalisation);
        var packed = new float[ranges.Length * 2];
        for (int i = 0; i < ranges.Length; i++)
            (packed[2 * i], packed[2 * i + 1]) = ranges[i];
        return Draw(_maps, channels, height, width, options, packed);
    }

    /// <summary>Draws the atlas of a layer already on the GPU (for example written by an earlier pass).</summary>
    public FeatureAtlasLayout Run(StorageBuffer maps, int channelCount, int height, int width, FeatureAtlasOptions options) =>
        Draw(maps, Channels(options, channelCount), height, width, options, cpuRanges: null);

    private static IReadOnlyList<int> Channels(FeatureAtlasOptions options, int channelCount) =>
        options.Validate(channelCount).Channels ?? Enumerable.Range(0, channelCount).ToArray();

    /// <param name="cpuRanges">(min, max) per tile found on the CPU, or null to reduce them on the GPU.</param>
    private FeatureAtlasLayout Draw(StorageBuffer maps, IReadOnlyList<int> tiles, int height, int width, FeatureAtlasOptions options, float[]? cpuRanges)
    {
        var channels = tiles.Select(c => (uint)c).ToArray();
        var layout = FeatureAtlasLayout.For(channels.Length, height, width, options);
        _channels = PassBuffers.Grow(_context, _channels, channels.Length * sizeof(uint));
        _channels.Write<uint>(channels);
        // One slot more than the tiles: the GPU reduction keeps the layer's range there.
        _rangesBuffer = PassBuffers.Grow(_context, _rangesBuffer, (channels.Length + 1) * 2 * sizeof(float));
        _pixels = PassBuffers.Grow(_context, _pixels, (long)layout.Width * layout.Height * sizeof(uint));

        // Ranges from the CPU already hold the layer's range in every entry when normalising per layer.
        bool perLayer = cpuRanges is null && options.Normalisation == MapNormalisation.PerLayer;
        if (cpuRanges is not null)
        {
            _rangesBuffer.Write<float>(cpuRanges);
        }
        else
        {
            _ranges.Use().Set("u_plane", (uint)(height * width)).Bind(0, maps).Bind(1, _channels).Bind(2, _rangesBuffer)
                .Dispatch((uint)channels.Length);
            if (perLayer)
                _layerRange.Use().Set("u_tiles", (uint)channels.Length).Bind(2, _rangesBuffer).Dispatch(1);
        }

        // Gutters and empty cells; the tiles are written over them.
        _pixels.Fill(options.Background, (long)layout.Width * layout.Height);
        _atlas.Use()
            .Set("u_map_width", (uint)width).Set("u_map_height", (uint)height)
            .Set("u_tiles", (uint)channels.Length).Set("u_columns", (uint)layout.Columns)
            .Set("u_gutter", (uint)layout.Gutter).Set("u_scale", (uint)options.Scale)
            .Set("u_atlas_width", (uint)layout.Width)
            .Set("u_per_layer", perLayer ? 1u : 0u)
            .Bind(0, maps).Bind(1, _channels).Bind(2, _rangesBuffer).Bind(3, _tables[options.Colormap]).Bind(4, _pixels)
            .Dispatch((uint)((width + TileGroup - 1) / TileGroup), (uint)((height + TileGroup - 1) / TileGroup), (uint)channels.Length);
        Layout = layout;
        return layout;
    }

    public void Dispose()
    {
        _ranges.Dispose();
        _layerRange.Dispose();
        _atlas.Dispose();
        _tables.Dispose();
        _maps?.Dispose();
        _channels?.Dispose();
        _rangesBuffer?.Dispose();
        _pixels?.Dispose();
    }
}
