namespace Glassbox.Visualisation;

/// <summary>
/// An <see cref="IRenderer"/> that records one frame as a <see cref="DrawList"/> and its images,
/// for <see cref="DrawListRasterizer"/> (CPU) or the GPU draw-list renderer to draw. Text uses the
/// baked font with the given position as the top of the line. A heatmap is an image blended over the
/// image last drawn at the same rectangle, at that image's resolution (or over the clear colour when
/// there is none), with the overlay's own arithmetic: on the GPU by the scene renderer's overlay pass,
/// or on the CPU (<see cref="HeatmapOverlay.Render"/>) when the frame is read here (<see cref="Images"/>,
/// <see cref="RenderOnCpu()"/>). Either way a blend is made only when the map, the options or the pixels
/// under it change (a live overlay changes a few times a second, the frame rate is far higher).
/// Call <see cref="Begin"/> per frame.
/// </summary>
public sealed class SceneCanvas(int width, int height, BakedFont font, uint clearColor = 0xFF202020u) : IRenderer
{
    private readonly DrawList _list = new();
    private readonly List<RgbaImage> _images = [];
    private readonly Dictionary<PixelRect, int> _imageAt = [];
    private readonly Dictionary<PixelRect, Overlay> _overlays = [];
    private readonly List<Overlay> _overlaysThisFrame = [];

    public int Width => width;

    public int Height => height;

    public BakedFont Font => font;

    public uint ClearColor => clearColor;

    /// <summary>The frame so far.</summary>
    internal DrawList List => _list;

    /// <summary>The images the list's image commands refer to by index, overlays blended.</summary>
    internal IReadOnlyList<RgbaImage> Images
    {
        get
        {
            BlendOverlaysOnCpu();
            return _images;
        }
    }

    /// <summary>The images as recorded: an overlay's is its last CPU blend, which may be older than its inputs (see <see cref="Overlays"/>).</summary>
    internal IReadOnlyList<RgbaImage> RecordedImages => _images;

    /// <summary>This frame's overlays, each with the image slot it is drawn from.</summary>
    internal IReadOnlyList<Overlay> Overlays => _overlaysThisFrame;

    public void Begin()
    {
        _list.Clear();
        _images.Clear();
        _imageAt.Clear();
        _overlaysThisFrame.Clear();
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
        ArgumentNullException.ThrowIfNull(options);
        var rect = new PixelRect(x, y, w, h);
        RgbaImage? under = _imageAt.TryGetValue(rect, out int index) ? _images[index] : null;
        ulong checksum = under is null ? clearColor : Checksum(under.Pixels);
        if (!_overlays.TryGetValue(rect, out var overlay))
            _overlays[rect] = overlay = new Overlay();
        if (!overlay.Holds(map, mapWidth, mapHeight, options, checksum))
            overlay.Take(map, mapWidth, mapHeight, options, checksum, under?.Width ?? w, under?.Height ?? h);
        overlay.Under = under;
        overlay.ImageIndex = _images.Count;
        _overlaysThisFrame.Add(overlay);
        DrawImage(overlay.Result, x, y, w, h);
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
        RenderOnCpu(target);
        return target;
    }

    /// <summary>The frame drawn on the CPU into <paramref name="target"/> (the canvas's size), which a live loop reuses.</summary>
    public void RenderOnCpu(RgbaImage target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Width != width || target.Height != height)
            throw new ArgumentException($"The target is {target.Width}×{target.Height}; this canvas draws {width}×{height}.");
        Array.Fill(target.Pixels, clearColor);
        DrawListRasterizer.Render(_list, target, Images, font);
    }

    private void BlendOverlaysOnCpu()
    {
        foreach (var overlay in _overlaysThisFrame)
            overlay.BlendOnCpu(clearColor);
    }

    /// <summary>
    /// One overlay rectangle across frames: its inputs as last given, a version that changes with them, and
    /// its image (<see cref="Result"/>), which holds the CPU blend of the current version once
    /// <see cref="BlendedOnCpu"/> is true.
    /// </summary>
    internal sealed class Overlay
    {
        private float[] _map = [];

        public ReadOnlySpan<float> Map => _map;

        public int MapWidth { get; private set; }

        public int MapHeight { get; private set; }

        public HeatmapOverlayOptions Options { get; private set; } = HeatmapOverlayOptions.Default;

        /// <summary>The image blended over this frame; null for the clear colour.</summary>
        public RgbaImage? Under { get; set; }

        public int ImageIndex { get; set; }

        public RgbaImage Result { get; private set; } = new(1, 1);

        public long Version { get; private set; }

        public bool BlendedOnCpu { get; private set; }

        private ulong _underChecksum;

        public bool Holds(ReadOnlySpan<float> map, int mapWidth, int mapHeight, HeatmapOverlayOptions options, ulong underChecksum) =>
            Version > 0 && _underChecksum == underChecksum && Options == options && MapWidth == mapWidth && MapHeight == mapHeight && map.SequenceEqual(_map);

        // New inputs: kept in the previous version's buffers when the sizes allow (a live overlay changes with every result).
        public void Take(ReadOnlySpan<float> map, int mapWidth, int mapHeight, HeatmapOverlayOptions options, ulong underChecksum, int width, int height)
        {
            if (_map.Length != map.Length)
                _map = new float[map.Length];
            map.CopyTo(_map);
            (MapWidth, MapHeight, Options, _underChecksum) = (mapWidth, mapHeight, options, underChecksum);
            if (Result.Width != width || Result.Height != height)
                Result = new RgbaImage(width, height);
            Version++;
            BlendedOnCpu = false;
        }

        public void BlendOnCpu(uint clearColor)
        {
            if (BlendedOnCpu)
                return;
            // Over the clear colour the blend reads and writes the same pixels: each is read before it is written.
            if (Under is null)
                Array.Fill(Result.Pixels, clearColor);
            var frame = Under?.Pixels ?? Result.Pixels;
            HeatmapOverlay.Render(_map, MapWidth, MapHeight, frame, Result.Width, Result.Height, Result.Width, Options, Result.Pixels);
            BlendedOnCpu = true;
        }
    }
}
