using Glassbox.Visualisation;

namespace Glassbox.Engine;

/// <summary>
/// Attention rollout of a transformer over its input: the scene's CnnInference must list
/// "attention-rollout" among its methods (with its head fusion and discard ratio). Drawn like the
/// attribution overlay, with its own colormap.
/// </summary>
public sealed class AttentionOverlay : Component
{
    /// <summary>The inference this reads: set in code, or in a scene file by the entity holding it ("inference": "Input"); unset, the scene's only one.</summary>
    public CnnInference? Inference { get; set; }

    public int X { get; set; } = 20;

    public int Y { get; set; } = 20;

    public int Size { get; set; } = 280;

    public float Opacity { get; set; } = 0.5f;

    public ColormapKind Colormap { get; set; } = ColormapKind.Inferno;

    protected internal override void Render(IRenderer renderer)
    {
        var result = Referenced(Inference, "inference")?.Latest;
        if (result is not null && AttributionOverlay.Find(result.Explanation.Maps, "attention-rollout") is { } map)
            AttributionOverlay.Draw(renderer, map, Opacity, Colormap, X, Y, Size, ref _options);
    }

    private HeatmapOverlayOptions? _options;
}
