using System.Collections.Immutable;

namespace Glassbox.Explain;

/// <summary>
/// One explanation: a map at the method's native resolution (the layer's grid for CAM methods,
/// the input's for pixel methods, the patch grid for attention), row-major, row 0 at the top,
/// and what produced it.
/// </summary>
public sealed record AttributionMap
{
    public required string Method { get; init; }

    /// <summary>The layer the map is computed at; null for input-space methods.</summary>
    public string? Layer { get; init; }

    public required int Width { get; init; }

    public required int Height { get; init; }

    public required float[] Values { get; init; }

    /// <summary>True when negative values mean something (evidence against); show with a diverging colormap.</summary>
    public bool Signed { get; init; }

    /// <summary>The explained class, and the class it was contrasted with.</summary>
    public required int TargetClass { get; init; }

    public int? ContrastClass { get; init; }

    /// <summary>The explained score (logit, or logit difference for a contrast) on the unperturbed input.</summary>
    public required float TargetScore { get; init; }

    /// <summary>Seed of a stochastic method; null for deterministic ones.</summary>
    public int? Seed { get; init; }

    /// <summary>Time in model runs made only for this method (shared runs are not counted).</summary>
    public TimeSpan RunTime { get; init; }

    /// <summary>Time turning tensors into the map.</summary>
    public TimeSpan PostProcessTime { get; init; }

    /// <summary>Method settings and diagnostics (for example Integrated Gradients' completeness gap), as text.</summary>
    public ImmutableDictionary<string, string> Details { get; init; } = ImmutableDictionary<string, string>.Empty;

    public float this[int x, int y] => Values[y * Width + x];

    /// <summary>This map resampled to <paramref name="width"/>×<paramref name="height"/> (bilinear, pixel centres aligned).</summary>
    public float[] Resample(int width, int height) => MapMath.Resample(Values, Width, Height, width, height);
}
