using Glassbox.Inference.Planning;

namespace Glassbox.Explain;

/// <summary>
/// One explanation method. It declares what it needs from the shared run (taps, gradients, a
/// channel gate) so the planner can serve every active method with one session and one run, then
/// computes its map from that run, making batched runs of perturbed inputs through the context
/// where the method is built on them. Methods are immutable settings; one instance may be used
/// by many explainers.
/// </summary>
public abstract class AttributionMethod
{
    /// <summary>The method's name on the command line and in reports ("grad-cam").</summary>
    public abstract string Name { get; }

    /// <summary>True when the method differentiates the model (so needs a gradient rule for every op on the path).</summary>
    public virtual bool UsesGradients => false;

    /// <summary>True when the map is at the explainer's layer (the CAM family).</summary>
    public virtual bool UsesLayer => false;

    /// <summary>What the shared run must compute for this method.</summary>
    public abstract RunNeeds Needs(Explainer explainer);

    /// <summary>Runs of its own after the shared one that the method makes (a modified backward pass); none by default.</summary>
    public virtual IEnumerable<RunNeeds> OwnRunNeeds(Explainer explainer) => [];

    /// <summary>The map for the context's input and target.</summary>
    public abstract AttributionMap Compute(ExplainContext context);

    /// <summary>A map with the context's target filled in.</summary>
    protected AttributionMap MapOf(ExplainContext context, float[] values, int width, int height, string? layer = null, bool signed = false, int? seed = null) => new()
    {
        Method = Name,
        Layer = layer,
        Width = width,
        Height = height,
        Values = values,
        Signed = signed,
        TargetClass = context.TargetClass,
        ContrastClass = context.Target.Contrast,
        TargetScore = context.TargetScore,
        Seed = seed,
    };

    public override string ToString() => Name;
}
