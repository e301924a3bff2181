namespace Glassbox.Visualisation;

/// <summary>
/// An <see cref="IRenderer"/> that records one frame as a <see cref="DrawList"/> and its images,
/// for <see cref="DrawListRasterizer"/> (CPU) or the GPU draw-list renderer to draw. Text uses the
/// baked font with the given position as the top of the line. A heatmap is blended, with the
/// overlay's own arithmetic (<see cref="HeatmapOverlay.Render"/>), over the image last drawn at the
/// same rectangle at that image's resolution, or over the clear colour when there is none; the blend is kept and reused while
/// the map, the options and the pixels under it stay the same (a live overlay changes a few times a
/// second, the frame rate is far higher). Call <see cref="Begin"/> per frame.
/// </summary>
public sealed class SceneCanvas(int width, int height, BakedFont font, uint clearColor = 0xFF202020u) : IRenderer
{
    private readonly DrawList _list = new();
    private readonly List<RgbaImage> _images = [];
    private readonly Dictionary<PixelRect, int> _imageAt = [];
    private readonly Dictionary<PixelRect, BlendedOverlay> _overlays = [];

    private readonly record struct BlendedOverlay(float[] Map, int MapWidth, int MapHeight, HeatmapOverlayOptions Options, ulong Under, RgbaImage Result);

    public int Width => width;

    public int Height => height;

    public BakedFont Font => font;

    public uint ClearColor => clearColor;

    /// <summary>The frame so far.</summary>
    public DrawList List => _list;

    /// <summary>The images the list's image commands refer to by index.</summary>
    public IReadOnlyList<RgbaImage> Images => _images;

    public void Begin()
    {
        _list.Clear();
        _images.Clear();
        _imageAt.Clear();
    }

    public void DrawImage(RgbaImage image, int x, int y, int w, int h)
    {
        var rect = new PixelRect(x, y, w, h);
        _imageAt[rect] = _images.Count;
        _list.Image(rect, _images.Count);
        _images.Add(image);
    }

    public void DrawHeatmap(ReadOnlySpan<float> map, int mapWidth, int mapHeight, int x, int y, int w, int h, HeatmapOverlayOptions options)
    {
        var rect = new PixelRect(x, y, w, h);
        // Over an image, the overlay is blended at the image's own resolution (the frame it explains)
        // and drawn scaled like the image; over nothing, at the rectangle's size over the clear colour.
        RgbaImage? under = _imageAt.TryGetValue(rect, out int index) ? _images[index] : null;
        ulong checksum = under is null ? clearColor : Checksum(under.Pixels);
        bool known = _overlays.TryGetValue(rect, out var kept);
        if (known && kept.Under == checksum && kept.Options == options
            && kept.MapWidth == mapWidth && kept.MapHeight == mapHeight && map.SequenceEqual(kept.Map))
        {
            DrawImage(kept.Result, x, y, w, h);
            return;
        }
        int fw = under?.Width ?? w, fh = under?.Height ?? h;
        var frame = under?.Pixels ?? Enumerable.Repeat(clearColor, w * h).ToArray();
        // A live overlay changes with every result: blend into the last one's buffers when the sizes allow.
        var blended = known && kept.Result.Width == fw && kept.Result.Height == fh ? kept.Result : new RgbaImage(fw, fh);
        HeatmapOverlay.Render(map, mapWidth, mapHeight, frame, fw, fh, fw, options, blended.Pixels);
        var mapCopy = known && kept.Map.Length == map.Length ? kept.Map : new float[map.Length];
        map.CopyTo(mapCopy);
        _overlays[rect] = new BlendedOverlay(mapCopy, mapWidth, mapHeight, options, checksum, blended);
        DrawImage(blended, x, y, w, h);
    }

    // FNV-1a over the pixels: tells a changed frame under an overlay from an unchanged one.
    private static ulong Checksum(ReadOnlySpan<uint> pixels)
    {
        ulong hash = 14695981039346656037UL;
        foreach (uint p in pixels)
            hash = (hash ^ p) * 1099511628211UL;
        return hash;
    }

    public void DrawText(string text, int x, int y, uint color) => _list.Text(font, text, x, y + font.PixelHeight * 0.8f, color);

    public void FillRect(int x, int y, int w, int h, uint color) => _list.Fill(new PixelRect(x, y, w, h), color);

    /// <summary>The frame drawn on the CPU.</summary>
    public RgbaImage RenderOnCpu()
    {
        var target = new RgbaImage(width, height);
        Array.Fill(target.Pixels, clearColor);
        DrawListRasterizer.Render(_list, target, _images, font);
        return target;
    }
}
