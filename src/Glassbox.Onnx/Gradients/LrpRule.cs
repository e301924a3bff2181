using System.Collections.Immutable;
using System.Globalization;

namespace Glassbox.Onnx.Gradients;

/// <summary>The LRP rules, as Zennit defines them (its rules.py); see <see cref="LrpRule"/>.</summary>
public enum LrpRuleKind
{
    Epsilon,
    Gamma,
    AlphaBeta,
    ZPlus,
    Flat,
    WSquare,
    ZBox,
    Pass,
    Norm,
}

/// <summary>
/// How one layer hands its relevance R (at its output z = W·x + b) back to its input x. Every rule is a
/// stabilised ratio R / (z' ± ε) spread back through some version of the layer's weights, times some version of
/// its input (Montavon et al. 2019, "Layer-wise relevance propagation: an overview"); the definitions are
/// Zennit's, term for term:
/// <list type="bullet">
/// <item>ε: x ⊙ Wᵀ(R / (z ± ε)). With ε → 0 on a layer without bias it is gradient × input; a larger ε keeps
/// only strong evidence.</item>
/// <item>z⁺: positive contributions only: x⁺ with W⁺ (and b⁺), x⁻ with W⁻, over their sum. It is α1β0.</item>
/// <item>αβ: α times the positive contributions' share minus β times the negative ones' (α − β = 1).</item>
/// <item>γ: the weights' own sign favoured by γ: W + γW⁺ for the contributions of the output's sign.</item>
/// <item>Flat: as if every input and weight were 1 (the relevance spread evenly over the receptive field);
/// w²: as if inputs were 1 and weights squared. Both for the layer nearest the input.</item>
/// <item>z^B: for the input layer when pixels are bounded by [low, high] (per channel, in the model's
/// normalised units): x·W − low·W⁺ − high·W⁻.</item>
/// <item>Norm: ε as a stabiliser only, for layers without weights (sums, average pooling); Pass: relevance
/// handed on unchanged (activations).</item>
/// </list>
/// </summary>
public sealed record LrpRule
{
    private LrpRule(LrpRuleKind kind, float stabiliser)
    {
        if (!(stabiliser > 0f && stabiliser <= 1e3f))
            throw new ArgumentOutOfRangeException(nameof(stabiliser), stabiliser, "LRP's ε (the stabiliser) must be above 0 and sensible; Zennit's default is 1e-6.");
        Kind = kind;
        Stabiliser = stabiliser;
    }

    public LrpRuleKind Kind { get; }

    /// <summary>ε: added with the sign of each denominator. For the ε rule it is also the rule's own parameter.</summary>
    public float Stabiliser { get; }

    /// <summary>γ of the γ rule; 0 for the others.</summary>
    public float GammaFactor { get; private init; }

    /// <summary>α and β of the αβ rule (z⁺ is 1 and 0).</summary>
    public float Alpha { get; private init; } = 1f;

    public float Beta { get; private init; }

    /// <summary>The bounds of z^B, one value per input channel or one for all; empty for other rules.</summary>
    public ImmutableArray<float> Low { get; private init; } = [];

    public ImmutableArray<float> High { get; private init; } = [];

    /// <summary>True for rules that need a layer with weights (all but ε, Norm and Pass).</summary>
    public bool NeedsWeights => Kind is not (LrpRuleKind.Epsilon or LrpRuleKind.Norm or LrpRuleKind.Pass);

    public static LrpRule Epsilon(float epsilon = 1e-6f) => new(LrpRuleKind.Epsilon, epsilon);

    public static LrpRule ZPlus(float stabiliser = 1e-6f) => new(LrpRuleKind.ZPlus, stabiliser);

    public static LrpRule AlphaBeta(float alpha = 2f, float beta = 1f, float stabiliser = 1e-6f)
    {
        if (!(alpha >= 0f && beta >= 0f) || MathF.Abs(alpha - beta - 1f) > 1e-6f)
            throw new ArgumentOutOfRangeException(nameof(alpha), $"α = {alpha}, β = {beta}: both must be non-negative and α − β = 1 (α2β1 or α1β0), or relevance is not conserved.");
        return new LrpRule(LrpRuleKind.AlphaBeta, stabiliser) { Alpha = alpha, Beta = beta };
    }

    public static LrpRule Gamma(float gamma = 0.25f, float stabiliser = 1e-6f)
    {
        if (!(gamma >= 0f && gamma <= 1e3f))
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "γ must be non-negative (0 is the ε rule's contributions; Zennit's default is 0.25).");
        return new LrpRule(LrpRuleKind.Gamma, stabiliser) { GammaFactor = gamma };
    }

    public static LrpRule Flat(float stabiliser = 1e-6f) => new(LrpRuleKind.Flat, stabiliser);

    public static LrpRule WSquare(float stabiliser = 1e-6f) => new(LrpRuleKind.WSquare, stabiliser);

    /// <param name="low">Lowest input value, per channel or one for all, in the units the model takes (after normalisation).</param>
    /// <param name="high">Highest input value, likewise.</param>
    public static LrpRule ZBox(IEnumerable<float> low, IEnumerable<float> high, float stabiliser = 1e-6f)
    {
        ImmutableArray<float> l = [.. low], h = [.. high];
        if (l.IsEmpty || l.Length != h.Length || l.Zip(h, (lo, hi) => !float.IsFinite(lo) || !float.IsFinite(hi) || lo > hi).Any(bad => bad))
            throw new ArgumentException($"z^B needs finite bounds low ≤ high, as many of each (one per input channel, or one for all); got [{string.Join(", ", l)}] and [{string.Join(", ", h)}].");
        return new LrpRule(LrpRuleKind.ZBox, stabiliser) { Low = l, High = h };
    }

    public static LrpRule Norm(float stabiliser = 1e-6f) => new(LrpRuleKind.Norm, stabiliser);

    public static LrpRule Pass { get; } = new(LrpRuleKind.Pass, 1e-6f);

    /// <summary>
    /// A rule from its short name, as the explain tool writes it: "epsilon", "epsilon=0.25", "gamma",
    /// "gamma=0.5", "alpha2-beta1", "alpha1-beta0", "z-plus", "flat", "w-square", "norm", "pass".
    /// (z^B takes bounds: give it in code, or use a composite that reads them from the model's preprocessing.)
    /// </summary>
    public static LrpRule Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string name = text.Trim().ToLowerInvariant();
        string? value = null;
        int eq = name.IndexOf('=');
        if (eq > 0)
            (name, value) = (name[..eq], name[(eq + 1)..]);
        float Number(float fallback) =>
            value is null ? fallback
            : float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) ? v
            : throw new ArgumentException($"LRP rule '{text}': '{value}' is not a number.");
        return name switch
        {
            "epsilon" or "e" => Epsilon(Number(1e-6f)),
            "gamma" => Gamma(Number(0.25f)),
            "z-plus" or "zplus" or "z+" or "alpha1-beta0" => ZPlus(),
            "alpha2-beta1" => AlphaBeta(2f, 1f),
            "flat" => Flat(),
            "w-square" or "wsquare" or "w2" => WSquare(),
            "norm" => Norm(),
            "pass" => Pass,
            _ => throw new ArgumentException($"Unknown LRP rule '{text}'. Rules: epsilon[=ε], gamma[=γ], alpha2-beta1, alpha1-beta0 (z-plus), flat, w-square, norm, pass."),
        };
    }

    public bool Equals(LrpRule? other) =>
        other is not null && Kind == other.Kind && Stabiliser == other.Stabiliser && GammaFactor == other.GammaFactor && Alpha == other.Alpha && Beta == other.Beta
        && Low.SequenceEqual(other.Low) && High.SequenceEqual(other.High);

    public override int GetHashCode() => HashCode.Combine(Kind, Stabiliser, GammaFactor, Alpha, Beta, Low.Length);

    public override string ToString()
    {
        string e = Stabiliser.ToString("R", CultureInfo.InvariantCulture);
        string Numbers(ImmutableArray<float> v) => string.Join(",", v.Select(x => x.ToString("R", CultureInfo.InvariantCulture)));
        return Kind switch
        {
            LrpRuleKind.Epsilon => $"epsilon({e})",
            LrpRuleKind.Gamma => $"gamma({GammaFactor.ToString("R", CultureInfo.InvariantCulture)})",
            LrpRuleKind.AlphaBeta => $"alpha{Alpha.ToString("R", CultureInfo.InvariantCulture)}-beta{Beta.ToString("R", CultureInfo.InvariantCulture)}",
            LrpRuleKind.ZPlus => "z-plus",
            LrpRuleKind.Flat => "flat",
            LrpRuleKind.WSquare => "w-square",
            LrpRuleKind.ZBox => $"z-box([{Numbers(Low)}]..[{Numbers(High)}])",
            LrpRuleKind.Norm => "norm",
            _ => "pass",
        } + (Kind is LrpRuleKind.Epsilon or LrpRuleKind.Pass || Stabiliser == 1e-6f ? "" : $"/stabiliser={e}");
    }
}

/// <summary>
/// Which LRP rule each layer of a model gets: Zennit's composites, equal in meaning, on ONNX ops. Convolutions
/// (Conv) take <see cref="Convolution"/>, dense layers (Gemm, and MatMul with a constant weight) take
/// <see cref="Dense"/>, the linear layer nearest the input takes <see cref="FirstLayer"/> when one is set, sums
/// (Add, Sub) and average pooling or means take Norm, activations and a batch normalisation that could not be
/// folded take Pass. Max pooling gives relevance to the winner, reshapes move it. A softmax (or log-softmax) that
/// computes the explained output passes the explained score to its logit whole: the classifier is explained through
/// its logits. Inside a transformer, softmax, products of two activations, layer normalisation and elementwise
/// functions take the AttnLRP rules.
/// <para>Before propagating, the graph is canonised on its copy (the user's model is untouched): a
/// BatchNormalization right after a Conv, Gemm or 2-D MatMul is folded into that layer's weights and bias, so
/// the pair is one linear layer to the rules, as Zennit's canonizers do.</para>
/// <para>Overrides pick a rule for a node by its name, or for an op type; a name wins over the first-layer rule,
/// which wins over an op type.</para>
/// </summary>
public sealed record LrpComposite
{
    private LrpComposite(string name, LrpRule convolution, LrpRule dense, LrpRule? firstLayer, float stabiliser)
    {
        Name = name;
        Convolution = convolution;
        Dense = dense;
        FirstLayer = firstLayer;
        Sum = LrpRule.Norm(stabiliser);
        Pooling = LrpRule.Norm(stabiliser);
    }

    /// <summary>The preset's name ("epsilon-plus-flat"), with " + overrides" when any are set.</summary>
    public string Name { get; private init; }

    public LrpRule Convolution { get; private init; }

    public LrpRule Dense { get; private init; }

    /// <summary>The rule of the linear layer nearest the input; null: it takes its kind's rule.</summary>
    public LrpRule? FirstLayer { get; private init; }

    public LrpRule Sum { get; private init; }

    public LrpRule Pooling { get; private init; }

    public LrpRule Activation => LrpRule.Pass;

    /// <summary>Rules by node name or op type.</summary>
    public ImmutableSortedDictionary<string, LrpRule> Overrides { get; private init; } = ImmutableSortedDictionary.Create<string, LrpRule>(StringComparer.Ordinal);

    /// <summary>The preset names <see cref="Named"/> knows.</summary>
    public static ImmutableArray<string> PresetNames { get; } =
        ["epsilon", "epsilon-plus", "epsilon-plus-flat", "epsilon-gamma-box", "epsilon-alpha2-beta1", "epsilon-alpha2-beta1-flat"];

    /// <summary>ε on every layer with weights (the plain LRP of Bach et al. 2015); sums and pooling take Norm.</summary>
    public static LrpComposite Epsilon(float epsilon = 1e-6f, float stabiliser = 1e-6f) =>
        new("epsilon", LrpRule.Epsilon(epsilon), LrpRule.Epsilon(epsilon), null, stabiliser);

    /// <summary>z⁺ for convolutions, ε for dense layers.</summary>
    public static LrpComposite EpsilonPlus(float epsilon = 1e-6f, float stabiliser = 1e-6f) =>
        new("epsilon-plus", LrpRule.ZPlus(stabiliser), LrpRule.Epsilon(epsilon), null, stabiliser);

    /// <summary>As EpsilonPlus, with Flat for the first layer (Kohlbrenner et al. 2020's recommendation).</summary>
    public static LrpComposite EpsilonPlusFlat(float epsilon = 1e-6f, float stabiliser = 1e-6f) =>
        new("epsilon-plus-flat", LrpRule.ZPlus(stabiliser), LrpRule.Epsilon(epsilon), LrpRule.Flat(stabiliser), stabiliser);

    /// <summary>γ for convolutions, ε for dense layers, z^B for the first layer with the input's bounds.</summary>
    public static LrpComposite EpsilonGammaBox(IEnumerable<float> low, IEnumerable<float> high, float gamma = 0.25f, float epsilon = 1e-6f, float stabiliser = 1e-6f) =>
        new("epsilon-gamma-box", LrpRule.Gamma(gamma, stabiliser), LrpRule.Epsilon(epsilon), LrpRule.ZBox(low, high, stabiliser), stabiliser);

    /// <summary>α2β1 for convolutions, ε for dense layers.</summary>
    public static LrpComposite EpsilonAlpha2Beta1(float epsilon = 1e-6f, float stabiliser = 1e-6f) =>
        new("epsilon-alpha2-beta1", LrpRule.AlphaBeta(2f, 1f, stabiliser), LrpRule.Epsilon(epsilon), null, stabiliser);

    /// <summary>As EpsilonAlpha2Beta1, with Flat for the first layer.</summary>
    public static LrpComposite EpsilonAlpha2Beta1Flat(float epsilon = 1e-6f, float stabiliser = 1e-6f) =>
        new("epsilon-alpha2-beta1-flat", LrpRule.AlphaBeta(2f, 1f, stabiliser), LrpRule.Epsilon(epsilon), LrpRule.Flat(stabiliser), stabiliser);

    /// <summary>
    /// A preset by name. <paramref name="low"/> and <paramref name="high"/> are the input's bounds for
    /// epsilon-gamma-box (per channel, in the units the model takes); the other presets ignore them.
    /// </summary>
    public static LrpComposite Named(string name, float epsilon = 1e-6f, IEnumerable<float>? low = null, IEnumerable<float>? high = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToLowerInvariant() switch
        {
            "epsilon" => Epsilon(epsilon),
            "epsilon-plus" => EpsilonPlus(epsilon),
            "epsilon-plus-flat" => EpsilonPlusFlat(epsilon),
            "epsilon-gamma-box" => EpsilonGammaBox(low ?? [0f], high ?? [1f], epsilon: epsilon),
            "epsilon-alpha2-beta1" => EpsilonAlpha2Beta1(epsilon),
            "epsilon-alpha2-beta1-flat" => EpsilonAlpha2Beta1Flat(epsilon),
            _ => throw new ArgumentException($"Unknown LRP composite '{name}'. Composites: {string.Join(", ", PresetNames)}."),
        };
    }

    /// <summary>This composite with <paramref name="rule"/> for the node named <paramref name="nodeNameOrOpType"/>, or for every node of that op type.</summary>
    public LrpComposite Override(string nodeNameOrOpType, LrpRule rule)
    {
        if (string.IsNullOrWhiteSpace(nodeNameOrOpType))
            throw new ArgumentException("Name a node or an op type to override.", nameof(nodeNameOrOpType));
        ArgumentNullException.ThrowIfNull(rule);
        return this with { Overrides = Overrides.SetItem(nodeNameOrOpType, rule) };
    }

    public bool Equals(LrpComposite? other) => other is not null && Description == other.Description;

    public override int GetHashCode() => Description.GetHashCode(StringComparison.Ordinal);

    /// <summary>Every rule, in words: equal descriptions mean equal composites.</summary>
    public string Description =>
        $"{Name}: conv {Convolution}, dense {Dense}, first {FirstLayer?.ToString() ?? "-"}, sum {Sum}, pooling {Pooling}" +
        string.Concat(Overrides.Select(o => $", {o.Key} {o.Value}"));

    public override string ToString() => Overrides.IsEmpty ? Name : $"{Name} + {Overrides.Count} override{(Overrides.Count == 1 ? "" : "s")}";
}
