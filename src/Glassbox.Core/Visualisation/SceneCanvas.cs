namespace Glassbox.Visualisation;

/// <summary>
/// An <see cref="IRenderer"/> that records one frame as a <see cref="DrawList"/> and its images,
/// for <see cref="DrawListRasterizer"/> (CPU) or the GPU draw-list renderer to draw. Text uses the
/// baked font with the given position as the top of the line. A heatmap is blended, with the
/// overlay's own arithmetic (<see cref="HeatmapOverlay.Render"/>), over the image last drawn at the
/// same rectangle, or over the clear colour when there is none; the blend is kept and reused while
/// the map, the options and the pixels under it stay the same (a live overlay changes a few times a
/// second, the frame rate is far higher). Call <see cref="Begin"/> per frame.
/// </summary>
public sealed class SceneCanvas(int width, int height, BakedFont font, uint clearColor = 0xFF202020u) : IRenderer
{
    private readonly DrawList _list = new();
    private readonly List<RgbaImage> _images = [];
    private readonly Dictionary<PixelRect, int> _imageAt = [];
    private readonly Dictionary<PixelRect, BlendedOverlay> _overlays = [];

    private sealed record BlendedOverlay(float[] Map, int MapWidth, int MapHeight, HeatmapOverlayOptions Options, ulong Under, RgbaImage Result);

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
        ulong under = _imageAt.TryGetValue(rect, out int index) ? Checksum(_images[index].Pixels) : clearColor;
        if (_overlays.TryGetValue(rect, out var kept) && kept.Under == under && kept.Options == options
            && kept.MapWidth == mapWidth && kept.MapHeight == mapHeight && map.SequenceEqual(kept.Map))
        {
            DrawImage(kept.Result, x, y, w, h);
            return;
        }
        // The frame under the overlay at the rectangle's own size (nearest, as the image command draws it).
        var frame = new RgbaImage(w, h);
        if (_imageAt.ContainsKey(rect))
        {
            var source = _images[index];
            for (int py = 0; py < h; py++)
            {
                int sy = (int)((2L * py + 1) * source.Height / (2L * h));
                for (int px = 0; px < w; px++)
                    frame[px, py] = source[(int)((2L * px + 1) * source.Width / (2L * w)), sy];
            }
        }
        else
        {
            Array.Fill(frame.Pixels, clearColor);
        }
        var blended = new RgbaImage(w, h);
        HeatmapOverlay.Render(map, mapWidth, mapHeight, frame.Pixels, w, h, w, options, blended.Pixels);
        _overlays[rect] = new BlendedOverlay(map.ToArray(), mapWidth, mapHeight, options, under, blended);
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
