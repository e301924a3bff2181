using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;

namespace Glassbox.Onnx.Gradients;

/// <summary>
/// Which backward rules a derived graph uses: the true gradient, or a modified backward pass that swaps
/// the rules of some ops.
/// <list type="bullet">
/// <item>Guided Backprop (Springenberg et al. 2015) passes back through a ReLU only positive signal where the
/// forward activation was positive; DeconvNet (Zeiler and Fergus 2014) passes back positive signal wherever
/// the activation was. Only the ReLU rule changes; clipped and leaky rectifiers keep their gradient.</item>
/// <item>Layer-wise Relevance Propagation (Bach et al. 2015) carries relevance, not gradient: it starts as the
/// explained output itself and each layer hands it back by its rule in an <see cref="LrpComposite"/> (ε, z⁺, αβ, γ,
/// Flat, w², z^B, Norm for sums, Pass for activations), on a copy of the graph with batch normalisations folded
/// into the layers before them. Max pooling gives relevance to the winner; reshapes and padding move it. Any other
/// op on the path (gates such as Sigmoid·x, attention's products of two activations) has no LRP rule here and is named.</item>
/// </list>
/// </summary>
public sealed class BackwardPass
{
    private static readonly ConcurrentDictionary<LrpComposite, BackwardPass> LrpPasses = new();

    private readonly ImmutableDictionary<string, GradientRules.Rule> _overrides;

    private BackwardPass(string name, ImmutableDictionary<string, GradientRules.Rule> overrides, LrpComposite? composite = null)
    {
        Name = name;
        _overrides = overrides;
        Composite = composite;
    }

    /// <summary>The derivative: every rule as it is.</summary>
    public static BackwardPass Gradient { get; } = new("gradient", ImmutableDictionary<string, GradientRules.Rule>.Empty);

    /// <summary>ReLU passes max(dY, 0) where y &gt; 0.</summary>
    public static BackwardPass GuidedBackprop { get; } = new("guided-backprop", ImmutableDictionary<string, GradientRules.Rule>.Empty
        .Add("Relu", c => [c.Gate(c.B.Op("Greater", c.Y(), c.B.Float(0f)), c.B.Op("Relu", c.DY))]));

    /// <summary>ReLU passes max(dY, 0) whatever y was.</summary>
    public static BackwardPass DeconvNet { get; } = new("deconvnet", ImmutableDictionary<string, GradientRules.Rule>.Empty
        .Add("Relu", c => [c.B.Op("Relu", c.DY)]));

    /// <summary>Layer-wise Relevance Propagation with the rules of <paramref name="composite"/>; equal composites give the same pass.</summary>
    public static BackwardPass Lrp(LrpComposite composite)
    {
        ArgumentNullException.ThrowIfNull(composite);
        return LrpPasses.GetOrAdd(composite, c => new BackwardPass($"lrp-{c}", ImmutableDictionary<string, GradientRules.Rule>.Empty, c));
    }

    public string Name { get; }

    /// <summary>Every rule, in words: equal keys mean equal passes (names leave out an LRP composite's settings).</summary>
    public string Key => Composite is { } composite ? $"lrp({composite.Description})" : Name;

    /// <summary>The LRP rules, for a relevance pass; null for gradient passes.</summary>
    public LrpComposite? Composite { get; }

    /// <summary>True when what flows back is relevance: the seed is multiplied by the output it explains.</summary>
    public bool SeedsRelevance => Composite is not null;

    /// <summary>True when this pass has a rule for an op: its own, or the gradient's where it keeps those.</summary>
    public bool HasRule(string opType) =>
        Composite is not null ? LrpPlan.HasRule(opType) : _overrides.ContainsKey(opType) || GradientRules.Rules.ContainsKey(opType);

    internal GradientRules.Rule RuleFor(string opType) => _overrides.TryGetValue(opType, out var rule) ? rule : GradientRules.Rules[opType];

    public override string ToString() => Name;
}
