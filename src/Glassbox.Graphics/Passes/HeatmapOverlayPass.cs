using System.Globalization;
using Glassbox.Visualisation;

namespace Glassbox.Graphics.Passes;

/// <summary>
/// GPU heatmap overlay (<see cref="HeatmapOverlay"/> is its CPU reference). The value range
/// (percentiles of the small map) is found on the CPU; upsampling, colouring and blending run on
/// the GPU into <see cref="Output"/>. Owned by one <see cref="GlContext"/>.
/// </summary>
public sealed class HeatmapOverlayPass : IDisposable
{
    private const int LocalSize = 8, RowGroup = 64;
    private readonly GlContext _context;
    private readonly ShaderProgram _rowsProgram, _plain, _withContour;
    private readonly ColormapTables _tables;
    private StorageBuffer? _map, _rows, _frame, _pixels;

    public HeatmapOverlayPass(GlContext context, ShaderLibrary shaders)
    {
        _context = context;
        _tables = new ColormapTables(context);
        string local = LocalSize.ToString(CultureInfo.InvariantCulture);
        _rowsProgram = shaders.Compute(context, "heatmap_rows.comp", new Dictionary<string, string> { ["LOCAL_SIZE_X"] = RowGroup.ToString(CultureInfo.InvariantCulture) });
        _plain = shaders.Compute(context, "heatmap_overlay.comp", new Dictionary<string, string> { ["LOCAL_SIZE_X"] = local, ["LOCAL_SIZE_Y"] = local, ["CONTOUR"] = "0" });
        _withContour = shaders.Compute(context, "heatmap_overlay.comp", new Dictionary<string, string> { ["LOCAL_SIZE_X"] = local, ["LOCAL_SIZE_Y"] = local, ["CONTOUR"] = "1" });
    }

    /// <summary>The blended frame of the last run, frame width × height RGBA8 pixels.</summary>
    public StorageBuffer Output => _pixels ?? throw new InvalidOperationException("Run the pass before reading its output.");

    /// <summary>Uploads the frame and the map and draws the overlay.</summary>
    public void Run(ReadOnlySpan<float> map, int mapWidth, int mapHeight, ReadOnlySpan<uint> frame, int frameWidth, int frameHeight, int frameStridePixels,
                    HeatmapOverlayOptions options)
    {
        options.Validate();
        if (mapWidth <= 0 || mapHeight <= 0 || map.Length < mapWidth * mapHeight)
            throw new ArgumentException($"The map holds {map.Length} values; {mapWidth}×{mapHeight} needs {mapWidth * mapHeight}.");
        long framePixels = (long)frameStridePixels * (frameHeight - 1) + frameWidth;
        if (frameWidth <= 0 || frameHeight <= 0 || frameStridePixels < frameWidth || frame.Length < framePixels)
            throw new ArgumentException($"The frame buffer holds {frame.Length} pixels; {frameWidth}×{frameHeight} with stride {frameStridePixels} needs {framePixels}.");
        var values = map[..(mapWidth * mapHeight)];
        var (low, high) = HeatmapOverlay.Range(values, options);
        _map = PassBuffers.Grow(_context, _map, values.Length * sizeof(float));
        _map.Write(values);
        _frame = PassBuffers.Grow(_context, _frame, framePixels * sizeof(uint));
        _frame.Write(frame[..(int)framePixels]);
        _pixels = PassBuffers.Grow(_context, _pixels, (long)frameWidth * frameHeight * sizeof(uint));
        _rows = PassBuffers.Grow(_context, _rows, (long)mapHeight * frameWidth * sizeof(float));
        int bicubic = options.Upsampling == Upsampling.Bicubic ? 1 : 0;
        _rowsProgram.Use()
            .Set("u_map_width", mapWidth).Set("u_map_height", mapHeight).Set("u_frame_width", frameWidth).Set("u_bicubic", bicubic)
            .Bind(0, _map).Bind(4, _rows)
            .Dispatch((uint)((frameWidth + RowGroup - 1) / RowGroup), (uint)mapHeight);
        (options.ContourLevel is null ? _plain : _withContour).Use()
            .Set("u_map_width", mapWidth).Set("u_map_height", mapHeight)
            .Set("u_frame_width", frameWidth).Set("u_frame_height", frameHeight).Set("u_frame_stride", frameStridePixels)
            .Set("u_low", low).Set("u_high", high).Set("u_opacity", options.Opacity)
            .Set("u_bicubic", bicubic)
            .Set("u_contour_level", options.ContourLevel ?? -1f).Set("u_contour_color", options.ContourColor)
            .Bind(4, _rows).Bind(1, _frame).Bind(2, _tables[options.Colormap]).Bind(3, _pixels)
            .Dispatch((uint)((frameWidth + LocalSize - 1) / LocalSize), (uint)((frameHeight + LocalSize - 1) / LocalSize));
    }

    public void Dispose()
    {
        _rowsProgram.Dispose();
        _plain.Dispose();
        _withContour.Dispose();
        _tables.Dispose();
        _map?.Dispose();
        _rows?.Dispose();
        _frame?.Dispose();
        _pixels?.Dispose();
    }
}
