using Glassbox.Engine.Live;
using Glassbox.Inference;
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

    private HeatmapOverlayOptions? _options;

    protected internal override void Render(IRenderer renderer)
    {
        var result = Referenced(Inference, "inference")?.Latest;
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
