using System.Collections.Immutable;

namespace Glassbox.Onnx.Gradients;

/// <summary>
/// Which backward rules a derived graph uses: the true gradient, or a modified backward pass that swaps
/// the rules of some ops and keeps every other rule. Guided Backprop (Springenberg et al. 2015) passes
/// back through a ReLU only positive signal where the forward activation was positive; DeconvNet (Zeiler
/// and Fergus 2014) passes back positive signal wherever the activation was. Only the ReLU rule changes:
/// clipped and leaky rectifiers keep their gradient.
/// </summary>
public sealed class BackwardPass
{
    private readonly ImmutableDictionary<string, GradientRules.Rule> _overrides;

    private BackwardPass(string name, ImmutableDictionary<string, GradientRules.Rule> overrides)
    {
        Name = name;
        _overrides = overrides;
    }

    /// <summary>The derivative: every rule as it is.</summary>
    public static BackwardPass Gradient { get; } = new("gradient", ImmutableDictionary<string, GradientRules.Rule>.Empty);

    /// <summary>ReLU passes max(dY, 0) where y &gt; 0.</summary>
    public static BackwardPass GuidedBackprop { get; } = new("guided-backprop", ImmutableDictionary<string, GradientRules.Rule>.Empty
        .Add("Relu", c => [c.Gate(c.B.Op("Greater", c.Y(), c.B.Float(0f)), c.B.Op("Relu", c.DY))]));

    /// <summary>ReLU passes max(dY, 0) whatever y was.</summary>
    public static BackwardPass DeconvNet { get; } = new("deconvnet", ImmutableDictionary<string, GradientRules.Rule>.Empty
        .Add("Relu", c => [c.B.Op("Relu", c.DY)]));

    public string Name { get; }

    /// <summary>True when this pass differentiates an op: its own rule or the gradient's.</summary>
    public bool HasRule(string opType) => _overrides.ContainsKey(opType) || GradientRules.Rules.ContainsKey(opType);

    internal GradientRules.Rule RuleFor(string opType) => _overrides.TryGetValue(opType, out var rule) ? rule : GradientRules.Rules[opType];

    public override string ToString() => Name;
}
