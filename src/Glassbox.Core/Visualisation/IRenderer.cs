namespace Glassbox.Visualisation;

/// <summary>
/// What scene components draw with: <see cref="SceneCanvas"/> records a frame as a draw list that the
/// CPU rasteriser or the GPU draw-list renderer turns into pixels; the <see cref="NullRenderer"/>
/// records the calls so scene logic is tested without either. Coordinates are pixels of the target,
/// origin top left. Lives here, beside the draw list, so the engine and the GL code both see it
/// without depending on each other.
/// </summary>
public interface IRenderer
{
    int Width { get; }

    int Height { get; }

    /// <summary>An RGBA image in a rectangle (scaled to fit).</summary>
    void DrawImage(RgbaImage image, int x, int y, int width, int height);

    /// <summary>A map over the rectangle with a colormap and opacity, blended over what is already drawn there (the overlay pass).</summary>
    void DrawHeatmap(ReadOnlySpan<float> map, int mapWidth, int mapHeight, int x, int y, int width, int height, HeatmapOverlayOptions options);

    /// <summary>Text at a position, in the baked font's size.</summary>
    void DrawText(string text, int x, int y, uint color);

    /// <summary>A filled rectangle.</summary>
    void FillRect(int x, int y, int width, int height, uint color);
}

/// <summary>Records every call in order, draws nothing: for tests and headless logic.</summary>
public sealed class NullRenderer(int width = 1280, int height = 720) : IRenderer
{
    private readonly List<string> _calls = [];

    public int Width => width;

    public int Height => height;

    /// <summary>One line per call, such as "text 10,20 'FPS 60'".</summary>
    public IReadOnlyList<string> Calls => _calls;

    public void Clear() => _calls.Clear();

    public void DrawImage(RgbaImage image, int x, int y, int w, int h) => _calls.Add($"image {image.Width}x{image.Height} at {x},{y} {w}x{h}");

    public void DrawHeatmap(ReadOnlySpan<float> map, int mapWidth, int mapHeight, int x, int y, int w, int h, HeatmapOverlayOptions options) =>
        _calls.Add($"heatmap {mapWidth}x{mapHeight} at {x},{y} {w}x{h} {options.Colormap.ToString().ToLowerInvariant()} {options.Opacity:0.##}");

    public void DrawText(string text, int x, int y, uint color) => _calls.Add($"text {x},{y} '{text}'");

    public void FillRect(int x, int y, int w, int h, uint color) => _calls.Add($"rect {x},{y} {w}x{h}");
}
