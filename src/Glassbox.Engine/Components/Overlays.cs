using Glassbox.Engine.Live;
using Glassbox.Inference;
using Glassbox.Visualisation;

namespace Glassbox.Engine;

/// <summary>The latest attribution map of the scene's <see cref="CnnInference"/>, drawn over a rectangle.</summary>
public sealed class AttributionOverlay : Component
{
    public int X { get; set; } = 20;

    public int Y { get; set; } = 20;

    public int Size { get; set; } = 280;

    /// <summary>Which method's map (as listed in CnnInference.Methods); empty for the first.</summary>
    public string Method { get; set; } = "";

    public float Opacity { get; set; } = 0.45f;

    public ColormapKind Colormap { get; set; } = ColormapKind.Turbo;

    private HeatmapOverlayOptions? _options;

    protected internal override void Render(IRenderer renderer)
    {
        var result = Scene.Active<CnnInference>().FirstOrDefault()?.Latest;
        if (result is null)
            return;
        if (Find(result.Explanation.Maps, Method) is { } map)
            Draw(renderer, map, Opacity, Colormap, X, Y, Size, ref _options);
    }

    /// <summary>
    /// Draws <paramref name="map"/> over the square at (x, y), a signed map with the diverging colormap. The options
    /// are a record, kept in <paramref name="options"/> and made again only when a setting changes, not every frame.
    /// </summary>
    internal static void Draw(IRenderer renderer, Glassbox.Explain.AttributionMap map, float opacity, ColormapKind colormap, int x, int y, int size, ref HeatmapOverlayOptions? options)
    {
        var shown = map.Signed ? ColormapKind.Diverging : colormap;
        if (options is not { } o || o.Opacity != opacity || o.Colormap != shown || o.Symmetric != map.Signed)
            options = HeatmapOverlayOptions.Default with { Opacity = opacity, Colormap = shown, Symmetric = map.Signed, Upsampling = Upsampling.Bicubic };
        renderer.DrawHeatmap(map.Values, map.Width, map.Height, x, y, size, size, options);
    }

    /// <summary>The map of <paramref name="method"/>, or the first for an empty name (a loop: this runs every frame).</summary>
    internal static Glassbox.Explain.AttributionMap? Find(System.Collections.Immutable.ImmutableArray<Glassbox.Explain.AttributionMap> maps, string method)
    {
        foreach (var map in maps)
        {
            if (method.Length == 0 || map.Method == method)
                return map;
        }
        return null;
    }
}

/// <summary>One bar per class for the latest probabilities, the top class highlighted.</summary>
public sealed class ProbabilityBars : Component
{
    public int X { get; set; } = 320;

    public int Y { get; set; } = 20;

    public int Width { get; set; } = 240;

    public int BarHeight { get; set; } = 18;

    public uint Color { get; set; } = 0xFFB4783Cu;

    public uint TopColor { get; set; } = 0xFF3CB4F0u;

    protected internal override void Render(IRenderer renderer)
    {
        var inference = Scene.Active<CnnInference>().FirstOrDefault();
        if (inference?.Latest is not { } result || inference.Package is not { } package)
            return;
        var probabilities = result.Explanation.Probabilities;
        int top = result.Explanation.PredictedClass;
        for (int k = 0; k < probabilities.Length; k++)
        {
            int y = Y + k * (BarHeight + 4);
            string label = k < package.Labels.Length ? package.Labels[k] : k.ToString(System.Globalization.CultureInfo.InvariantCulture);
            renderer.DrawText(label, X, y, 0xFFFFFFFF);
            renderer.FillRect(X + 30, y, Math.Max(1, (int)(probabilities[k] * Width)), BarHeight, k == top ? TopColor : Color);
        }
    }
}

/// <summary>Frames per second, the stage times of the latest result, the execution provider and any error.</summary>
public sealed class StatsPanel : Component
{
    private readonly List<string> _lines = [];
    private TimeSpan _refreshed = TimeSpan.MinValue;
    private InferenceResult? _shownResult;
    private object? _shownProblem;
    private double _fps;

    public int X { get; set; } = 20;

    public int Y { get; set; } = 320;

    /// <summary>
    /// Seconds between refreshes of the figures: numbers that change every frame cannot be read, and
    /// formatting them every frame would make garbage every frame. A first result or a new problem shows at once.
    /// </summary>
    public float RefreshSeconds { get; set; } = 0.25f;

    /// <summary>Frames per second, averaged over about half a second.</summary>
    public double Fps => _fps;

    protected internal override void Update(FrameTime time)
    {
        double seconds = time.Delta.TotalSeconds;
        if (seconds > 0)
            _fps = _fps == 0 ? 1 / seconds : _fps + (1 / seconds - _fps) * Math.Min(1, seconds / 0.5);
    }

    protected internal override void Render(IRenderer renderer)
    {
        var inference = Scene.Active<CnnInference>().FirstOrDefault();
        var result = inference?.Latest;
        // The problem's source is compared, not its text: a scene error's text is made anew on every ToString.
        object? problem = (object?)inference?.Status ?? (object?)inference?.Worker?.LastError ?? Scene.LastError;
        var now = Scene.Time.Elapsed;
        bool due = _refreshed == TimeSpan.MinValue || now - _refreshed >= TimeSpan.FromSeconds(RefreshSeconds);
        if (due || (result is null) != (_shownResult is null) || !ReferenceEquals(problem, _shownProblem))
        {
            Refresh(inference, result, problem);
            _refreshed = now;
        }
        for (int i = 0; i < _lines.Count; i++)
            renderer.DrawText(_lines[i], X, Y + i * 20, 0xFFFFFFFF);
    }

    private void Refresh(CnnInference? inference, InferenceResult? r, object? problem)
    {
        _lines.Clear();
        _lines.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"FPS {_fps:0}"));
        if (r is not null)
        {
            _lines.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"preprocess {r.PreprocessTime.TotalMilliseconds:0.00} ms, run {r.Explanation.SharedRunTime.TotalMilliseconds:0.00} ms, explain {r.ExplainTime.TotalMilliseconds:0.00} ms, latency {r.Latency.TotalMilliseconds:0} ms"));
            _lines.Add($"{r.Explanation.Provider.DisplayName()}, frame {r.Sequence}, dropped {inference!.Worker?.DroppedFrames ?? 0}");
        }
        if (problem?.ToString() is { } text)
            _lines.Add(text);
        _shownResult = r;
        _shownProblem = problem;
    }
}

/// <summary>
/// The feature maps of one layer as a grid of tiles (per-channel normalised, colormapped), from the
/// latest result of the scene's <see cref="CnnInference"/>, which taps the layer for it.
/// </summary>
public sealed class FeatureMapGrid : Component
{
    private InferenceResult? _shown;
    private RgbaImage? _atlas;
    private string _caption = "";
    // The layout, worked out once per model and layer; each result only refills the order and the atlas.
    private (Glassbox.Explain.Explainer Explainer, string Layer, int MaxChannels, int Columns, int MaxWidth, ColormapKind Colormap)? _layoutFor;
    private int _channels, _height, _width;
    private int[]? _order;
    private FeatureAtlasOptions? _options;
    private Glassbox.Explain.Explainer? _missingFor;
    private string _missing = "";

    [RequiredField]
    public string Layer { get; set; } = "";

    public int X { get; set; } = 660;

    public int Y { get; set; } = 320;

    /// <summary>Largest width the grid may take; tiles scale by whole factors to fill it.</summary>
    public int MaxWidth { get; set; } = 560;

    /// <summary>Show at most this many channels, most active first (0 for all, in channel order).</summary>
    public int MaxChannels { get; set; }

    public ColormapKind Colormap { get; set; } = ColormapKind.Viridis;

    /// <summary>Tiles per row; 0 picks a grid about half again as wide as tall.</summary>
    public int Columns { get; set; }

    protected internal override void Render(IRenderer renderer)
    {
        var inference = Scene.Active<CnnInference>().FirstOrDefault();
        if (inference?.Latest is not { } result)
            return;
        if (!result.Explanation.Tensors.TryGetValue(Layer, out var maps))
        {
            if (inference.Worker?.Explainer is { } explainer && !ReferenceEquals(explainer, _missingFor))
            {
                _missingFor = explainer;
                _missing = explainer.Model.HasTensor(Layer) ? "" : $"{Layer}: not a layer of {inference.Package?.Name ?? "this model"} (L picks one)";
            }
            if (_missing.Length > 0)
                renderer.DrawText(_missing, X, Y - 20, 0xFFC8C8C8u);
            return;
        }
        // Once per result (a model, layer or method switch explains the same frame again: a new result).
        if (!ReferenceEquals(result, _shown))
        {
            var settings = (inference.Worker!.Explainer, Layer, MaxChannels, Columns, MaxWidth, Colormap);
            if (_layoutFor != settings)
                Lay(settings);
            if (_options is not { } options)
                return;
            if (_order is { } order)
                FeatureAtlas.StrongestChannels(maps, _channels, _height, _width, order);
            FeatureAtlas.Render(maps, _channels, _height, _width, options, _atlas!.Pixels);
            _shown = result;
        }
        renderer.DrawImage(_atlas!, X, Y, _atlas!.Width, _atlas.Height);
        renderer.DrawText(_caption, X, Y - 20, 0xFFFFFFFFu);
    }

    private void Lay((Glassbox.Explain.Explainer Explainer, string Layer, int MaxChannels, int Columns, int MaxWidth, ColormapKind Colormap) settings)
    {
        _layoutFor = settings;
        _options = null;
        var shape = settings.Explainer.Model.Layers().FirstOrDefault(l => l.Output == Layer)?.Shape;
        if (shape is not { Rank: 4 } s || s[1] < 1 || s[2] < 1 || s[3] < 1)
            return;
        (_channels, _height, _width) = ((int)s[1], (int)s[2], (int)s[3]);
        _caption = $"{Layer}: {_channels}×{_height}×{_width}";
        _order = MaxChannels > 0 ? new int[Math.Min(MaxChannels, _channels)] : null;
        int tiles = _order?.Length ?? _channels;
        int columns = Columns > 0 ? Math.Min(Columns, tiles) : (int)Math.Ceiling(Math.Sqrt(tiles * 1.5));
        int scale = Math.Max(1, (MaxWidth - columns - 1) / (columns * _width));
        _options = FeatureAtlasOptions.Default with { Channels = _order, Columns = columns, Scale = scale, Colormap = Colormap, Gutter = 1 };
        var layout = FeatureAtlasLayout.For(tiles, _height, _width, _options);
        if (_atlas is null || _atlas.Width != layout.Width || _atlas.Height != layout.Height)
            _atlas = new RgbaImage(layout.Width, layout.Height);
    }
}

/// <summary>
/// Attention rollout of a transformer over its input: the scene's CnnInference must list
/// "attention-rollout" among its methods (with its head fusion and discard ratio). Drawn like the
/// attribution overlay, with its own colormap.
/// </summary>
public sealed class AttentionOverlay : Component
{
    public int X { get; set; } = 20;

    public int Y { get; set; } = 20;

    public int Size { get; set; } = 280;

    public float Opacity { get; set; } = 0.5f;

    public ColormapKind Colormap { get; set; } = ColormapKind.Inferno;

    protected internal override void Render(IRenderer renderer)
    {
        var result = Scene.Active<CnnInference>().FirstOrDefault()?.Latest;
        if (result is not null && AttributionOverlay.Find(result.Explanation.Maps, "attention-rollout") is { } map)
            AttributionOverlay.Draw(renderer, map, Opacity, Colormap, X, Y, Size, ref _options);
    }

    private HeatmapOverlayOptions? _options;
}
