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
/// <item>Layer-wise Relevance Propagation with the ε rule (Bach et al. 2015) carries relevance, not gradient:
/// it starts as the explained output itself, and a linear layer z = W·x + b hands x the share
/// x ⊙ Wᵀ(R / (z ± ε)) of its relevance (batch normalisation counts as one, per channel); a sum shares it
/// in proportion to its terms. ReLU passes relevance through; max pooling gives it to the winner; reshapes
/// and padding move it. Any other op on the path (gates such as Sigmoid·x, attention) has no LRP rule here and is named.</item>
/// </list>
/// </summary>
public sealed class BackwardPass
{
    private static readonly ConcurrentDictionary<float, BackwardPass> EpsilonPasses = new();

    // Ops whose gradient rule already moves relevance as LRP does (routing and reshaping, no arithmetic on it).
    private static readonly ImmutableHashSet<string> RelevanceRoutingOps = ImmutableHashSet.Create(StringComparer.Ordinal,
        "MaxPool", "GlobalMaxPool", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Transpose", "Identity", "Dropout", "Cast", "Concat", "Split", "Slice", "Pad");

    private readonly ImmutableDictionary<string, GradientRules.Rule> _overrides;
    private readonly ImmutableHashSet<string>? _onlyTheseGradientRules;

    private BackwardPass(string name, ImmutableDictionary<string, GradientRules.Rule> overrides, ImmutableHashSet<string>? onlyTheseGradientRules = null, bool seedsRelevance = false)
    {
        Name = name;
        _overrides = overrides;
        _onlyTheseGradientRules = onlyTheseGradientRules;
        SeedsRelevance = seedsRelevance;
    }

    /// <summary>The derivative: every rule as it is.</summary>
    public static BackwardPass Gradient { get; } = new("gradient", ImmutableDictionary<string, GradientRules.Rule>.Empty);

    /// <summary>ReLU passes max(dY, 0) where y &gt; 0.</summary>
    public static BackwardPass GuidedBackprop { get; } = new("guided-backprop", ImmutableDictionary<string, GradientRules.Rule>.Empty
        .Add("Relu", c => [c.Gate(c.B.Op("Greater", c.Y(), c.B.Float(0f)), c.B.Op("Relu", c.DY))]));

    /// <summary>ReLU passes max(dY, 0) whatever y was.</summary>
    public static BackwardPass DeconvNet { get; } = new("deconvnet", ImmutableDictionary<string, GradientRules.Rule>.Empty
        .Add("Relu", c => [c.B.Op("Relu", c.DY)]));

    /// <summary>
    /// LRP-ε on every linear layer (Conv, Gemm, MatMul with a constant weight, average pooling and means, batch
    /// normalisation) and sum (residual Add); rectifiers (ReLU, leaky, clipped) pass relevance through. ε only keeps the
    /// division away from zero; it absorbs relevance, so a larger ε keeps only the strongest contributions.
    /// </summary>
    public static BackwardPass LrpEpsilon(float epsilon = 1e-6f)
    {
        if (!(epsilon > 0f && epsilon <= 1e3f))
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "LRP's ε must be above 0 (and not absurdly large); Zennit's default is 1e-6.");
        return EpsilonPasses.GetOrAdd(epsilon, e => new BackwardPass(
            $"lrp-epsilon({e.ToString("R", CultureInfo.InvariantCulture)})",
            ImmutableDictionary<string, GradientRules.Rule>.Empty
                .Add("Conv", EpsilonRule(e)).Add("Gemm", EpsilonRule(e)).Add("MatMul", EpsilonRule(e))
                .Add("AveragePool", EpsilonRule(e)).Add("GlobalAveragePool", EpsilonRule(e)).Add("BatchNormalization", EpsilonRule(e))
                .Add("ReduceMean", EpsilonRule(e)).Add("ReduceSum", EpsilonRule(e))
                .Add("Add", SumRule(e))
                .Add("Relu", PassThrough).Add("LeakyRelu", PassThrough).Add("Clip", PassThrough),
            RelevanceRoutingOps,
            seedsRelevance: true));
    }

    public string Name { get; }

    /// <summary>True when what flows back is relevance: the seed is multiplied by the output it explains.</summary>
    public bool SeedsRelevance { get; }

    /// <summary>True when this pass has a rule for an op: its own, or the gradient's where it keeps those.</summary>
    public bool HasRule(string opType) =>
        _overrides.ContainsKey(opType) || (_onlyTheseGradientRules is null || _onlyTheseGradientRules.Contains(opType)) && GradientRules.Rules.ContainsKey(opType);

    internal GradientRules.Rule RuleFor(string opType) => _overrides.TryGetValue(opType, out var rule) ? rule : GradientRules.Rules[opType];

    /// <summary>
    /// R_x = x ⊙ Jᵀ(R / (z + ε·sign z)) for a layer linear in its data input x (J its weights, z its output with the
    /// bias): the layer's own gradient rule applied to the stabilised ratio, times the input.
    /// </summary>
    private static GradientRules.Rule EpsilonRule(float epsilon) => c =>
    {
        // The data input is the one on the path (MatMul(x, W) or MatMul(W, x)); the others are weights.
        var data = Enumerable.Range(0, c.Node.Input.Count).Where(c.Needs).ToList();
        if (data.Count != 1)
            throw c.Fail("LRP's ε rule needs one data input and constant weights; a product of two activations needs the attention rules (AttnLRP), which this pass does not have");
        int x = data[0];
        var spread = GradientRules.Rules[c.Node.OpType](c.WithOutputGradients(StabilisedRatio(c, epsilon)));
        var result = new string?[c.Node.Input.Count];
        result[x] = c.B.Mul(c.X(x), spread[x] ?? throw c.Fail("the layer's gradient rule gave nothing for its data input"));
        return result;
    };

    /// <summary>R / (z + ε·sign z) at the node's output, sign 0 taken as +: the share each unit of the output hands back.</summary>
    private static string StabilisedRatio(RuleContext c, float epsilon)
    {
        string z = c.Y();
        string stabilised = c.B.Op("Where", c.B.Op("Less", z, c.B.Float(0f)), c.B.Sub(z, c.B.Float(epsilon)), c.B.Add(z, c.B.Float(epsilon)));
        return c.B.Div(c.DY, stabilised);
    }

    /// <summary>An activation hands its relevance on unchanged (Zennit's Pass rule).</summary>
    private static readonly GradientRules.Rule PassThrough = c => [c.B.Op("Identity", c.DY)];

    /// <summary>
    /// A sum z = a + b (a residual connection) shares its relevance in proportion to each term:
    /// R_a = a ⊙ R / (z ± ε), R_b = b ⊙ R / (z ± ε), summed back over broadcast axes. Constant terms (a bias
    /// added as its own node) take their share out of the flow, as a layer's bias does.
    /// </summary>
    private static GradientRules.Rule SumRule(float epsilon) => c =>
    {
        string z = c.Y();
        string ratio = StabilisedRatio(c, epsilon);
        return
        [
            c.Needs(0) ? c.ReduceTo(c.B.Mul(c.X(0), ratio), z, c.X(0)) : null,
            c.Needs(1) ? c.ReduceTo(c.B.Mul(c.X(1), ratio), z, c.X(1)) : null,
        ];
    };

    public override string ToString() => Name;
}
