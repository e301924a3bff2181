namespace Glassbox.Visualisation;

/// <summary>
/// An <see cref="IRenderer"/> that records one frame as a <see cref="DrawList"/> and its images,
/// for <see cref="DrawListRasterizer"/> (CPU) or the GPU draw-list renderer to draw. Text uses the
/// baked font with the given position as the top of the line. A heatmap is blended, with the
/// overlay's own arithmetic (<see cref="HeatmapOverlay.Render"/>), over the image last drawn at the
/// same rectangle, or over the clear colour when there is none. Call <see cref="Begin"/> per frame.
/// </summary>
public sealed class SceneCanvas(int width, int height, BakedFont font, uint clearColor = 0xFF202020u) : IRenderer
{
    private readonly DrawList _list = new();
    private readonly List<RgbaImage> _images = [];
    private readonly Dictionary<PixelRect, int> _imageAt = [];

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
        // The frame under the overlay at the rectangle's own size (nearest, as the image command draws it).
        var frame = new RgbaImage(w, h);
        if (_imageAt.TryGetValue(rect, out int under))
        {
            var source = _images[under];
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
        DrawImage(blended, x, y, w, h);
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
