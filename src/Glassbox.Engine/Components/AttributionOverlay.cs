using Glassbox.Visualisation;

namespace Glassbox.Engine;

/// <summary>The latest attribution map of the scene's <see cref="CnnInference"/>, drawn over a rectangle.</summary>
public sealed class AttributionOverlay : Component
{
    /// <summary>The inference this reads: set in code, or in a scene file by the entity holding it ("inference": "Input"); unset, the scene's only one.</summary>
    public CnnInference? Inference { get; set; }

    public int X { get; set; } = 20;

    public int Y { get; set; } = 20;

    public int Size { get; set; } = 280;

    /// <summary>Which method's map (as listed in CnnInference.Methods); empty for the first.</summary>
    public string Method { get; set; } = "";

    public float Opacity { get; set; } = 0.45f;

    public ColormapKind Colormap { get; set; } = ColormapKind.Turbo;

    /// <summary>
    /// Weight of the newest map in a moving average of successive maps, in (0, 1], so a live overlay does not
    /// flicker from frame to frame; 1 (the default) shows each map as it was computed. The average starts over
    /// when a map explains another class or moves far from the average (a new scene), so two scenes are never
    /// blended into one picture.
    /// </summary>
    public float Smoothing { get; set; } = 1f;

    private HeatmapOverlayOptions? _options;
    private TemporalSmoothing? _smoothing;
    private long _smoothedSequence;
    private int _smoothedClass = -1;

    protected internal override void Awake()
    {
        if (!(Smoothing > 0f && Smoothing <= 1f))
            throw new GlassboxException($"AttributionOverlay needs smoothing in (0, 1] (the newest map's weight; 1 turns it off); got {Smoothing}.");
    }

    protected internal override void Render(IRenderer renderer)
    {
        var result = Referenced(Inference, "inference")?.Latest;
        if (result is null || Find(result.Explanation.Maps, Method) is not { } map)
            return;
        if (Smoothing >= 1f)
        {
            Draw(renderer, map, map.Values.AsSpan(), Opacity, Colormap, X, Y, Size, ref _options);
            return;
        }
        // Once per result, not per frame: the average is over successive explanations. A map of another class
        // explains something else (the drawing became a 1), so it starts the average over.
        if (_smoothing is null || _smoothing.Alpha != Smoothing)
            (_smoothing, _smoothedSequence) = (new TemporalSmoothing(Smoothing), 0);
        if (result.Sequence != _smoothedSequence)
        {
            _smoothing.Apply(map.Values.AsSpan(), sceneChanged: map.TargetClass != _smoothedClass);
            (_smoothedSequence, _smoothedClass) = (result.Sequence, map.TargetClass);
        }
        Draw(renderer, map, _smoothing.State, Opacity, Colormap, X, Y, Size, ref _options);
    }

    /// <summary>
    /// Draws <paramref name="map"/> over the square at (x, y), a signed map with the diverging colormap. The options
    /// are a record, kept in <paramref name="options"/> and made again only when a setting changes, not every frame.
    /// </summary>
    internal static void Draw(IRenderer renderer, Glassbox.Explain.AttributionMap map, float opacity, ColormapKind colormap, int x, int y, int size, ref HeatmapOverlayOptions? options) =>
        Draw(renderer, map, map.Values.AsSpan(), opacity, colormap, x, y, size, ref options);

    private static void Draw(IRenderer renderer, Glassbox.Explain.AttributionMap map, ReadOnlySpan<float> values, float opacity, ColormapKind colormap, int x, int y, int size, ref HeatmapOverlayOptions? options)
    {
        var shown = map.Signed ? ColormapKind.Diverging : colormap;
        if (options is not { } o || o.Opacity != opacity || o.Colormap != shown || o.Symmetric != map.Signed)
            options = HeatmapOverlayOptions.Default with { Opacity = opacity, Colormap = shown, Symmetric = map.Signed, Upsampling = Upsampling.Bicubic };
        renderer.DrawHeatmap(values, map.Width, map.Height, x, y, size, size, options);
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
