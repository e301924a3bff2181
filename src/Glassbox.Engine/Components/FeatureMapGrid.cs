using Glassbox.Engine.Live;
using Glassbox.Visualisation;

namespace Glassbox.Engine;

/// <summary>
/// The feature maps of one layer as a grid of tiles (per-channel normalised, colormapped), from the
/// latest result of the scene's <see cref="CnnInference"/>, which taps the layer for it.
/// </summary>
public sealed class FeatureMapGrid : Component
{
    /// <summary>The inference this reads: set in code, or in a scene file by the entity holding it ("inference": "Input"); unset, the scene's only one.</summary>
    public CnnInference? Inference { get; set; }

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
        var inference = Referenced(Inference, "inference");
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
