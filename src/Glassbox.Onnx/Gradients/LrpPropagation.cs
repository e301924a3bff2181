using System.Collections.Immutable;
using Glassbox.Onnx.Graph;
using Glassbox.Onnx.Protos;

namespace Glassbox.Onnx.Gradients;

/// <summary>
/// The LRP rules of one composite applied to one graph: which node takes which rule, the batch normalisations
/// folded into the layers before them (on the derivation's copy), the layer nearest the input, and which
/// tensors are never negative (there the rules' negative-input terms are exactly zero and are left out).
/// </summary>
internal sealed class LrpPlan
{
    private static readonly ImmutableHashSet<string> Convolutions = ImmutableHashSet.Create(StringComparer.Ordinal, "Conv", "ConvTranspose");
    private static readonly ImmutableHashSet<string> DenseLayers = ImmutableHashSet.Create(StringComparer.Ordinal, "Gemm", "MatMul");
    // Linear maps without weights: each output a fixed mix of inputs (an upsampling interpolates, as a pooling averages).
    private static readonly ImmutableHashSet<string> Poolings = ImmutableHashSet.Create(StringComparer.Ordinal,
        "AveragePool", "GlobalAveragePool", "ReduceMean", "ReduceSum", "Resize", "Upsample");
    private static readonly ImmutableHashSet<string> Sums = ImmutableHashSet.Create(StringComparer.Ordinal, "Add", "Sub", "Sum");

    // Zennit's Activation class: elementwise functions of one input, which every composite passes relevance through.
    private static readonly ImmutableHashSet<string> Activations = ImmutableHashSet.Create(StringComparer.Ordinal,
        "Relu", "LeakyRelu", "PRelu", "Clip", "Elu", "Selu", "Celu", "Gelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh",
        "Softplus", "Softsign", "Mish", "ThresholdedRelu", "Shrink");

    // Ops whose gradient rule already moves relevance as LRP does (routing and reshaping, no arithmetic on it).
    private static readonly ImmutableHashSet<string> Routing = ImmutableHashSet.Create(StringComparer.Ordinal,
        "MaxPool", "GlobalMaxPool", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Transpose", "Identity", "Dropout", "Cast", "Concat", "Split", "Slice", "Pad",
        "Gather", "Expand", "Tile");

    // Elementwise ops a function of one tensor may be built from (GELU as x·½(1 + erf(x/√2)), SiLU as x·σ(x), …).
    private static readonly ImmutableHashSet<string> Elementwise = ImmutableHashSet.Create(StringComparer.Ordinal,
        "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Erf", "Tanh", "Sigmoid", "Exp", "Log", "Neg", "Abs", "Reciprocal", "Softplus",
        "Relu", "Clip", "HardSigmoid", "HardSwish", "Max", "Min");

    private static readonly ImmutableHashSet<string> Affine = ImmutableHashSet.Create(StringComparer.Ordinal, "Add", "Sub", "Mul", "Div", "Neg");

    private static readonly ImmutableHashSet<string> Curves = ImmutableHashSet.Create(StringComparer.Ordinal, "Erf", "Exp", "Log", "Pow", "Sqrt", "Reciprocal");

    private readonly LrpComposite _composite;
    private readonly GraphIndex _index;
    private readonly HashSet<string> _needed;
    private readonly Dictionary<NodeProto, FoldedLayer> _folded = [];
    private readonly HashSet<NodeProto> _foldedAway = [];
    private readonly NodeProto? _firstLayer;
    private NodeProto? _finalNormaliser;
    private readonly Dictionary<string, bool> _nonNegative = new(StringComparer.Ordinal);
    private readonly Dictionary<NodeProto, string> _functionOutputs = [];
    private readonly Dictionary<string, List<NodeProto>> _readers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _graphOutputs;
    private readonly HashSet<NodeProto> _insideFunctions = [];

    private LrpPlan(LrpComposite composite, GraphIndex index, HashSet<string> needed, NodeProto? firstLayer)
    {
        _composite = composite;
        _index = index;
        _needed = needed;
        _firstLayer = firstLayer;
        // Who reads each tensor of the model as it is (before any backward node): folding and function finding ask.
        foreach (var node in index.Graph.Node)
        {
            foreach (var input in node.Input.Where(i => i.Length > 0))
            {
                if (!_readers.TryGetValue(input, out var list))
                    _readers[input] = list = [];
                if (!list.Contains(node))
                    list.Add(node);
            }
        }
        _graphOutputs = index.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>True when some node of this op type can take an LRP rule.</summary>
    public static bool HasRule(string opType) =>
        Activations.Contains(opType) || Sums.Contains(opType) || opType is "BatchNormalization" or "Softmax" or "LayerNormalization" or "Mul" or "Div"
        || (Convolutions.Contains(opType) || DenseLayers.Contains(opType) || Poolings.Contains(opType) || Routing.Contains(opType)) && GradientRules.Rules.ContainsKey(opType);

    /// <summary>True when this node takes a rule: by its op, or as part of an elementwise function of one tensor.</summary>
    public bool Covers(NodeProto node) => node == _finalNormaliser || _insideFunctions.Contains(node) || _functionOutputs.ContainsKey(node) || HasRule(node.OpType);

    /// <summary>
    /// The tensor an elementwise function of one tensor (a GELU written out, x·σ(x)) hands its relevance to
    /// unchanged, for the node that computes the function's value; null for every other node.
    /// </summary>
    public string? FunctionInput(NodeProto node) => _functionOutputs.GetValueOrDefault(node);

    /// <param name="relevant">The nodes on the path, last first (as the derivation visits them).</param>
    /// <param name="needed">The tensors relevance flows to.</param>
    public static LrpPlan Make(LrpComposite composite, IReadOnlyList<NodeProto> relevant, HashSet<string> needed, GraphIndex index,
                               ShapeInference shapes, GraphBuilder builder, string output)
    {
        // Zennit's "first layer" is the first linear module the model declares, the one nearest the input.
        var first = relevant.LastOrDefault(n => DataInput(n, needed) is not null && (Convolutions.Contains(n.OpType) || DenseLayers.Contains(n.OpType)));
        var plan = new LrpPlan(composite, index, needed, first)
        {
            // A classifier that ends in a softmax is explained through its logits, as Zennit users strip the softmax:
            // the explained probability passes to the logit whole and the layers below share it.
            _finalNormaliser = index.Producer(output) is { OpType: "Softmax" or "LogSoftmax" } last && relevant.Contains(last) ? last : null,
        };
        plan.FoldBatchNormalisations(relevant, shapes, builder);
        plan.FindElementwiseFunctions(relevant, shapes);
        return plan;
    }

    /// <summary>The rule for a node on the path; null where the gradient's own rule moves relevance (routing ops).</summary>
    public GradientRules.Rule? RuleFor(NodeProto node)
    {
        if (Routing.Contains(node.OpType))
            return null;
        if (_foldedAway.Contains(node) || node == _finalNormaliser)
            return PassRule;
        var rule = RuleOf(node);
        if (Activations.Contains(node.OpType))
            return rule.Kind == LrpRuleKind.Pass ? PassRule : c => throw c.Fail($"an activation takes the Pass rule in LRP, not {rule}");
        if (node.OpType == "Softmax")
            return SoftmaxRule;
        if (node.OpType == "LayerNormalization")
            return LayerNormRule(rule.Kind is LrpRuleKind.Epsilon or LrpRuleKind.Norm ? rule.Stabiliser : _composite.Sum.Stabiliser);
        if (node.OpType is "Mul" or "Div" || DenseLayers.Contains(node.OpType) && DataInput(node, _needed) is null)
            return ProductRule(_composite.Sum.Stabiliser, rule);
        if (Sums.Contains(node.OpType))
        {
            return rule.Kind is LrpRuleKind.Norm or LrpRuleKind.Epsilon ? SumRule(rule.Stabiliser)
                : c => throw c.Fail($"a sum shares relevance by the Norm (or ε) rule; {rule} needs a layer with weights");
        }
        _folded.TryGetValue(node, out var folded);
        return c => LinearRule(c, rule, folded);
    }

    private LrpRule RuleOf(NodeProto node)
    {
        if (node.Name.Length > 0 && _composite.Overrides.TryGetValue(node.Name, out var byName))
            return byName;
        if (node == _firstLayer && _composite.FirstLayer is { } firstRule)
            return firstRule;
        if (_composite.Overrides.TryGetValue(node.OpType, out var byType))
            return byType;
        if (Convolutions.Contains(node.OpType))
            return _composite.Convolution;
        if (DenseLayers.Contains(node.OpType))
            return _composite.Dense;
        if (Poolings.Contains(node.OpType))
            return _composite.Pooling;
        if (Sums.Contains(node.OpType) || node.OpType is "Mul" or "Div" or "LayerNormalization")
            return _composite.Sum;
        return LrpRule.Pass; // activations, and a batch normalisation that could not be folded (Zennit's BatchNorm: Pass)
    }

    private static int? DataInput(NodeProto node, HashSet<string> needed)
    {
        var onPath = Enumerable.Range(0, node.Input.Count).Where(i => node.Input[i].Length > 0 && needed.Contains(node.Input[i]) && GradientRules.IsDifferentiableInput(node.OpType, i)).ToList();
        return onPath.Count == 1 ? onPath[0] : null;
    }

    /// <summary>An activation hands its relevance on unchanged (Zennit's Pass rule).</summary>
    private static readonly GradientRules.Rule PassRule = c => [c.B.Op("Identity", c.DY)];

    /// <summary>
    /// A sum z = a ± b (or Sum of several) shares its relevance in proportion to each term: R_a = a ⊙ R / (z ± ε), R_b = ±b ⊙ R / (z ± ε),
    /// summed back over broadcast axes (Zennit's Norm rule on its Sum module). A constant term (a bias added as its
    /// own node) takes its share out of the flow, as a layer's bias does.
    /// </summary>
    private static GradientRules.Rule SumRule(float epsilon) => c =>
    {
        string z = c.Y();
        string ratio = Ratio(c, c.DY, z, epsilon);
        var result = new string?[c.Node.Input.Count];
        for (int i = 0; i < result.Length; i++)
        {
            if (!c.Needs(i))
                continue;
            string share = c.B.Mul(c.X(i), ratio);
            result[i] = c.ReduceTo(c.Node.OpType == "Sub" && i == 1 ? c.B.Neg(share) : share, z, c.X(i));
        }
        return result;
    };

    /// <summary>
    /// AttnLRP's softmax rule (Achtibat et al. 2024, Prop. 3.1): the softmax linearised at its input,
    /// R_x = x ⊙ (R − s ⊙ Σ R) over the softmax axis; the share of the constant term is absorbed.
    /// </summary>
    private static readonly GradientRules.Rule SoftmaxRule = c =>
    {
        long axis = Attr.Int(c.Node, "axis", -1);
        var total = c.B.ReduceSum(c.DY, [axis], keepDims: true);
        return [c.B.Mul(c.X(0), c.B.Sub(c.DY, c.B.Mul(c.Y(), total)))];
    };

    /// <summary>
    /// AttnLRP's layer-normalisation rule: the division by the standard deviation is held fixed (the identity rule on
    /// it), so the layer is linear, y = γ/σ ⊙ (x − μ) + β, and takes the ε rule: R_x = x ⊙ (u − mean u) with
    /// u = γ/σ ⊙ R / (y ± ε). β takes its share out of the flow, as a bias does.
    /// </summary>
    private static GradientRules.Rule LayerNormRule(float epsilon) => c =>
    {
        if (c.Needs(1) || c.Needs(2))
            throw c.Fail("relevance for the scale or bias of a layer normalisation is not derived (they are parameters)");
        var (mean, _, inverseStd) = GradientRules.LayerNormStatistics(c);
        var b = c.B;
        var u = b.Mul(b.Mul(Ratio(c, c.DY, c.Y(), epsilon), c.X(1)), inverseStd);
        return [b.Mul(c.X(0), b.Sub(u, mean(u)))];
    };

    /// <summary>
    /// Products. Of two activations (attention's Q·Kᵀ and A·V, a gate's a ⊙ b): AttnLRP's uniform rule, each operand
    /// taking half by the ε rule, R_a = ½ a ⊙ ∂z/∂a ᵀ(R / (z ± ε)). Of an activation and a constant (a scale): the ε
    /// rule of a linear layer. A division takes the rule only with its data in the numerator.
    /// </summary>
    private GradientRules.Rule ProductRule(float epsilon, LrpRule rule) => c =>
    {
        var onPath = Enumerable.Range(0, c.Node.Input.Count).Where(c.Needs).ToList();
        if (c.Node.OpType == "Div" && c.Needs(1))
            throw c.Fail("a division by an activation has no LRP rule (relevance through a reciprocal has no meaning); write the model with a multiplication, or explain it by the gradient");
        if (rule.Kind is not (LrpRuleKind.Epsilon or LrpRuleKind.Norm))
            throw c.Fail($"a product takes the ε (Norm) rule, not {rule}");
        float share = onPath.Count > 1 ? 1f / onPath.Count : 1f;
        string ratio = c.B.Scale(Ratio(c, c.DY, c.Y(), rule.Kind == LrpRuleKind.Epsilon ? rule.Stabiliser : epsilon), share);
        var spread = GradientRules.Rules[c.Node.OpType](c.WithOutputGradients(ratio));
        var result = new string?[c.Node.Input.Count];
        foreach (int i in onPath)
            result[i] = c.B.Mul(c.X(i), spread[i] ?? throw c.Fail("the product's gradient rule gave nothing for an operand"));
        return result;
    };

    /// <summary>
    /// Finds the elementwise functions of one tensor written out as several nodes (GELU as x·½(1 + erf(x/√2)), SiLU as
    /// x·σ(x)), which AttnLRP, like Zennit for activation modules, passes relevance through whole (the identity rule).
    /// A function counts when every node in it is elementwise, its only non-constant input is that one tensor, its
    /// value has the tensor's shape, its inner values are used nowhere else, and it is not merely affine (a bias or a
    /// scale keeps its own rule).
    /// </summary>
    private void FindElementwiseFunctions(IReadOnlyList<NodeProto> relevant, ShapeInference shapes)
    {
        var source = new Dictionary<string, string>(StringComparer.Ordinal);
        string? SourceOf(string tensor)
        {
            if (_index.IsConstant(tensor))
                return "";
            return source.TryGetValue(tensor, out var s) ? s : tensor;
        }
        // Forward (relevant is last first): which tensor each elementwise value is a function of.
        foreach (var node in relevant.Reverse())
        {
            if (!Elementwise.Contains(node.OpType) || node.Output.Count != 1)
                continue;
            var sources = node.Input.Where(i => i.Length > 0).Select(SourceOf).Where(s => s!.Length > 0).Distinct().ToList();
            if (sources.Count == 1)
                source[node.Output[0]] = sources[0]!;
        }
        // Backward: the largest function first; the nodes inside it are covered by its output's identity rule.
        foreach (var node in relevant)
        {
            if (_insideFunctions.Contains(node) || node.Output.Count != 1 || !source.TryGetValue(node.Output[0], out var x))
                continue;
            if (shapes[node.Output[0]] is not { } outShape || shapes[x] is not { } inShape || !outShape.Dimensions.SequenceEqual(inShape.Dimensions))
                continue;
            var members = new List<NodeProto>();
            var stack = new Stack<NodeProto>([node]);
            bool contained = true;
            while (stack.Count > 0 && contained)
            {
                var member = stack.Pop();
                if (members.Contains(member))
                    continue;
                members.Add(member);
                foreach (var input in member.Input.Where(i => i.Length > 0 && i != x && !_index.IsConstant(i)))
                {
                    if (_index.Producer(input) is not { } producer || !source.ContainsKey(input))
                    {
                        contained = false;
                        break;
                    }
                    stack.Push(producer);
                }
            }
            if (!contained)
                continue;
            // A bias or scale the function's input passes through first (every use of x goes through it) belongs
            // to the layer before: it keeps its own rule, and the function starts after it.
            while (members.Where(m => m.Input.Contains(x)).ToList() is [var entry] && entry != node
                   && Affine.Contains(entry.OpType) && entry.Input.All(i => i.Length == 0 || i == x || _index.IsConstant(i)))
            {
                members.Remove(entry);
                x = entry.Output[0];
            }
            // Inner values used outside the function (or as model outputs) would lose the relevance they carry.
            var inner = members.Where(m => m != node).Select(m => m.Output[0]);
            if (inner.Any(t => _graphOutputs.Contains(t) || _readers.GetValueOrDefault(t, []).Any(user => !members.Contains(user))))
                continue;
            // Only a function that is not affine: a product of two values of x, or a curve no activation rule covers.
            bool nonlinear = members.Any(m => Curves.Contains(m.OpType)
                || m.OpType is "Mul" or "Div" && m.Input.Count(i => i.Length > 0 && !_index.IsConstant(i)) >= 2);
            if (!nonlinear)
                continue;
            _functionOutputs[node] = x;
            foreach (var member in members.Where(m => m != node))
                _insideFunctions.Add(member);
        }
    }

    /// <summary>R / (z + ε·sign z), sign 0 taken as + (Zennit's stabiliser).</summary>
    private static string Ratio(RuleContext c, string relevance, string z, float epsilon)
    {
        string stabilised = c.B.Op("Where", c.B.Op("Less", z, c.B.Float(0f)), c.B.Sub(z, c.B.Float(epsilon)), c.B.Add(z, c.B.Float(epsilon)));
        return c.B.Div(relevance, stabilised);
    }

    private string?[] LinearRule(RuleContext original, LrpRule rule, FoldedLayer? folded)
    {
        var c = folded is null ? original : original.WithNode(folded.Node);
        int data = DataInput(original.Node, _needed)
                   ?? throw c.Fail("LRP's rules need one input on the relevance path and constant weights; a product of two activations (attention) needs the AttnLRP rules, which this composite does not have");
        var layer = new Layer(this, c, data, folded?.ExtraBias, folded is not null);
        string relevanceAtInput = rule.Kind switch
        {
            LrpRuleKind.Pass when c.Node.OpType == "BatchNormalization" => c.B.Op("Identity", c.DY),
            LrpRuleKind.Pass => throw c.Fail("Pass keeps relevance where it is, and this layer changes its shape; give it ε, Norm or a rule with weights"),
            LrpRuleKind.Epsilon or LrpRuleKind.Norm => c.B.Mul(layer.X, layer.Back(null, Ratio(c, c.DY, layer.Z, rule.Stabiliser))),
            LrpRuleKind.ZPlus => layer.ZPlus(rule.Stabiliser),
            LrpRuleKind.AlphaBeta => rule.Beta == 0f ? layer.ZPlus(rule.Stabiliser) : layer.AlphaBeta(rule.Alpha, rule.Beta, rule.Stabiliser),
            LrpRuleKind.Gamma => layer.Gamma(rule.GammaFactor, rule.Stabiliser),
            LrpRuleKind.Flat => layer.Flat(rule.Stabiliser),
            LrpRuleKind.WSquare => layer.WSquare(rule.Stabiliser),
            LrpRuleKind.ZBox => layer.ZBox(rule.Low, rule.High, rule.Stabiliser),
            _ => throw c.Fail($"no LRP rule {rule}"),
        };
        var result = new string?[c.Node.Input.Count];
        result[data] = relevanceAtInput;
        return result;
    }

    /// <summary>True when a tensor cannot be negative (after a ReLU, a max pool of one, …): its x⁻ is exactly zero.</summary>
    private bool NonNegative(string tensor)
    {
        if (_nonNegative.TryGetValue(tensor, out bool known))
            return known;
        _nonNegative[tensor] = false; // a cycle (there is none in a valid graph) ends here
        var node = _index.Producer(tensor);
        bool result = node?.OpType switch
        {
            null => false,
            "Relu" or "Sigmoid" or "Softmax" or "Softplus" or "Exp" or "Abs" or "Sqrt" or "HardSigmoid" => true,
            "Clip" => node.Input.Count > 1 && node.Input[1].Length > 0 && _index.Floats(node.Input[1]) is [>= 0f],
            "MaxPool" or "AveragePool" or "GlobalAveragePool" or "GlobalMaxPool" or "Flatten" or "Reshape" or "Squeeze" or "Unsqueeze"
                or "Transpose" or "Identity" or "Dropout" or "Slice" or "Split" => NonNegative(node.Input[0]),
            "Pad" => NonNegative(node.Input[0]) && Attr.String(node, "mode", "constant") == "constant"
                     && (node.Input.Count < 3 || node.Input[2].Length == 0 || _index.Floats(node.Input[2]) is [>= 0f]),
            "Concat" or "Add" or "Mul" or "Max" => node.Input.All(NonNegative),
            _ => false,
        };
        return _nonNegative[tensor] = result;
    }

    /// <summary>
    /// Folds each BatchNormalization whose input comes only from a Conv, Gemm or MatMul (2-D, weight on the right)
    /// with constant parameters into that layer: W'[o] = W[o]·s_o, b'_o = b_o·s_o + β_o − μ_o·s_o with
    /// s = γ / √(σ² + ε). The layer's rule then sees one linear layer whose output is the normalisation's, and the
    /// normalisation passes relevance straight through. New initializers carry the folded values; the forward
    /// nodes are not changed, so the prediction is the model's own to the bit.
    /// </summary>
    private void FoldBatchNormalisations(IReadOnlyList<NodeProto> relevant, ShapeInference shapes, GraphBuilder builder)
    {
        foreach (var norm in relevant.Where(n => n.OpType == "BatchNormalization"))
        {
            // The layer's output must feed this normalisation alone (not another node, not a model output).
            bool onlyRead = _readers.GetValueOrDefault(norm.Input[0], []).Count == 1 && !_graphOutputs.Contains(norm.Input[0]);
            if (norm.Input.Count < 5 || Attr.Int(norm, "training_mode", 0) != 0 || !onlyRead)
                continue;
            if (_index.Producer(norm.Input[0]) is not { } layer || !relevant.Contains(layer) || DataInput(layer, _needed) is not { } data)
                continue;
            var parameters = norm.Input.Skip(1).Take(4).Select(_index.Floats).ToArray();
            if (parameters.Any(p => p is null) || parameters.Select(p => p!.Length).Distinct().Count() != 1)
                continue;
            float epsilon = Attr.Float(norm, "epsilon", 1e-5f);
            var (gamma, beta, mean, variance) = (parameters[0]!, parameters[1]!, parameters[2]!, parameters[3]!);
            var scale = new float[gamma.Length];
            var shift = new float[gamma.Length];
            for (int o = 0; o < scale.Length; o++)
            {
                scale[o] = gamma[o] / MathF.Sqrt(variance[o] + epsilon);
                shift[o] = beta[o] - mean[o] * scale[o];
            }
            builder.Scope = $"{(layer.Name.Length > 0 ? layer.Name : layer.OpType)}+{(norm.Name.Length > 0 ? norm.Name : "bn")}";
            if (Fold(layer, data, norm.Output[0], scale, shift, shapes, builder) is { } folded)
            {
                _folded[layer] = folded;
                _foldedAway.Add(norm);
            }
        }
    }

    private FoldedLayer? Fold(NodeProto layer, int data, string output, float[] scale, float[] shift, ShapeInference shapes, GraphBuilder builder)
    {
        int weight = 1 - Math.Min(data, 1);
        if (layer.Input.Count <= weight || _index.Constant(layer.Input[weight]) is not { } weightProto || TensorValues.Floats(weightProto) is not { } w)
            return null;
        long[] dims = [.. weightProto.Dims];
        int channels = scale.Length;
        float[]? bias = null;
        bool biasSlot;
        int outAxis;
        switch (layer.OpType)
        {
            case "Conv" when data == 0 && dims.Length >= 3 && dims[0] == channels:
                outAxis = 0;
                biasSlot = true;
                if (layer.Input.Count > 2 && layer.Input[2].Length > 0 && (bias = _index.Floats(layer.Input[2])) is not { Length: > 0 } || bias is not null && bias.Length != channels)
                    return null;
                break;
            case "Gemm" when data == 0 && dims.Length == 2 && Attr.Int(layer, "transA", 0) == 0:
                bool transB = Attr.Int(layer, "transB", 0) != 0;
                outAxis = transB ? 0 : 1;
                if (dims[outAxis] != channels)
                    return null;
                biasSlot = true;
                if (layer.Input.Count > 2 && layer.Input[2].Length > 0)
                {
                    if (_index.Floats(layer.Input[2]) is not { } c || c.Length != 1 && c.Length != channels)
                        return null;
                    float betaAttr = Attr.Float(layer, "beta", 1f);
                    bias = [.. Enumerable.Range(0, channels).Select(o => betaAttr * c[c.Length == 1 ? 0 : o])];
                }
                if (Attr.Float(layer, "alpha", 1f) != 1f)
                    return null;
                break;
            case "MatMul" when data == 0 && dims.Length == 2 && dims[1] == channels && shapes[layer.Output[0]] is { Rank: 2 }:
                outAxis = 1;
                biasSlot = false;
                break;
            default:
                return null;
        }
        if (w.Length == 0 || dims[outAxis] != channels)
            return null;

        var folded = new float[w.Length];
        long inner = 1;
        for (int i = outAxis + 1; i < dims.Length; i++)
            inner *= dims[i];
        for (int i = 0; i < w.Length; i++)
            folded[i] = w[i] * scale[(int)(i / inner % channels)];
        var foldedBias = new float[channels];
        for (int o = 0; o < channels; o++)
            foldedBias[o] = (bias?[o] ?? 0f) * scale[o] + shift[o];

        var weightTensor = builder.FloatTensor(folded, dims, "folded_weight");
        var biasTensor = builder.FloatTensor(foldedBias, [channels], "folded_bias");
        _index.AddConstant(weightTensor);
        _index.AddConstant(biasTensor);
        shapes.Assume(weightTensor.Name, TensorShape.Of(dims));
        shapes.Assume(biasTensor.Name, TensorShape.Of(channels));

        var node = layer.Clone();
        node.Output.Clear();
        node.Output.Add(output);
        node.Input[weight] = weightTensor.Name;
        if (biasSlot)
        {
            while (node.Input.Count < 3)
                node.Input.Add("");
            node.Input[2] = biasTensor.Name;
            if (layer.OpType == "Gemm")
                SetFloat(node, "beta", 1f);
        }
        return new FoldedLayer(node, biasSlot ? null : biasTensor.Name);
    }

    private static void SetFloat(NodeProto node, string name, float value)
    {
        var existing = node.Attribute.FirstOrDefault(a => a.Name == name);
        if (existing is not null)
            node.Attribute.Remove(existing);
        node.Attribute.Add(GraphBuilder.AttrFloat(name, value));
    }

    /// <summary>A layer with a normalisation folded in: its node (output the normalisation's) and, for MatMul, the bias added after it.</summary>
    private sealed record FoldedLayer(NodeProto Node, string? ExtraBias);

    private enum Modified { Positive, Negative, GammaPositive, GammaNegative, Square, Ones }

    /// <summary>
    /// One linear layer z = F(x; W, b) under a rule: forward copies with modified inputs and parameters, and the
    /// layer's own gradient rule run with modified weights (Jᵀ_W' s, the same for any input since F is linear in x).
    /// </summary>
    private sealed class Layer(LrpPlan plan, RuleContext c, int data, string? extraBias, bool folded)
    {
        private readonly int _weight = c.Node.OpType is "Conv" or "ConvTranspose" ? 1 : data == 0 ? 1 : 0;
        private readonly Dictionary<(string, Modified, float), string> _parameters = [];

        public string X => c.X(data);

        /// <summary>
        /// The layer's output. With a normalisation folded in it is computed again from the folded weights (as a
        /// canonised module computes it), so numerator and denominator of the ratio agree to the last bit where z is near 0.
        /// </summary>
        public string Z => extraBias is null && !folded ? c.Y() : Forward(X, W, Bias);

        public string W => HasWeights ? c.X(_weight) : throw c.Fail("this rule needs a layer with weights (Conv, Gemm, MatMul with a constant weight); give this node ε, Norm or Pass");

        private bool HasWeights => (Convolutions.Contains(c.Node.OpType) || DenseLayers.Contains(c.Node.OpType)) && c.Node.Input.Count > _weight;

        private string? Bias => extraBias ?? ((Convolutions.Contains(c.Node.OpType) || c.Node.OpType == "Gemm") && c.Node.Input.Count > 2 && c.Node.Input[2].Length > 0 ? c.Node.Input[2] : null);

        private bool InputNonNegative => plan.NonNegative(X);

        /// <summary>Jᵀ_w s at the data input: the layer's gradient rule with its weights replaced (null: its own).</summary>
        public string Back(string? w, string signal)
        {
            var context = c;
            if (w is not null && w != c.X(_weight))
            {
                var node = c.Node.Clone();
                node.Input[_weight] = w;
                context = c.WithNode(node);
            }
            return GradientRules.Rules[c.Node.OpType](context.WithOutputGradients(signal))[data]
                   ?? throw c.Fail("the layer's gradient rule gave nothing for its data input");
        }

        /// <summary>F(x; w, b) as a new node beside the layer (b null: no bias).</summary>
        public string Forward(string x, string w, string? b)
        {
            var node = c.Node.Clone();
            node.Name = c.B.Unique($"{c.Node.OpType}_lrp");
            node.Input[data] = x;
            node.Input[_weight] = w;
            bool slot = extraBias is null && c.Node.OpType is "Conv" or "ConvTranspose" or "Gemm";
            while (node.Input.Count > 2)
                node.Input.RemoveAt(node.Input.Count - 1);
            if (slot && b is not null)
                node.Input.Add(b);
            string z = c.B.Unique(c.Node.OpType.ToLowerInvariant());
            node.Output.Clear();
            node.Output.Add(z);
            c.B.AddNode(node);
            c.Shapes.Assume(z, c.Shapes[c.Y()]);
            return !slot && b is not null ? c.B.Add(z, b) : z;
        }

        private string Param(string tensor, Modified how, float gamma = 0f)
        {
            if (_parameters.TryGetValue((tensor, how, gamma), out var done))
                return done;
            string result;
            if (c.Index.Constant(tensor) is { } proto && TensorValues.Floats(proto) is { } values)
            {
                // Constant weights are modified now: the runtime sees plain initializers (and the convolution's
                // gradient rule can flip them into a forward convolution).
                var modified = values.Select(v => how switch
                {
                    Modified.Positive => MathF.Max(v, 0f),
                    Modified.Negative => MathF.Min(v, 0f),
                    Modified.GammaPositive => v + gamma * MathF.Max(v, 0f),
                    Modified.GammaNegative => v + gamma * MathF.Min(v, 0f),
                    Modified.Square => v * v,
                    _ => 1f,
                }).ToArray();
                long[] dims = [.. proto.Dims];
                var tensorProto = c.B.FloatTensor(modified, dims, how.ToString().ToLowerInvariant());
                c.Index.AddConstant(tensorProto);
                c.Shapes.Assume(tensorProto.Name, TensorShape.Of(dims));
                result = tensorProto.Name;
            }
            else
            {
                result = how switch
                {
                    Modified.Positive => c.B.Op("Relu", tensor),
                    Modified.Negative => c.B.Op("Min", tensor, c.B.Float(0f)),
                    Modified.GammaPositive => c.B.Add(tensor, c.B.Scale(c.B.Op("Relu", tensor), gamma)),
                    Modified.GammaNegative => c.B.Add(tensor, c.B.Scale(c.B.Op("Min", tensor, c.B.Float(0f)), gamma)),
                    Modified.Square => c.B.Mul(tensor, tensor),
                    _ => c.B.Filled(tensor, 1f),
                };
                c.Shapes.Assume(result, c.Shapes[tensor]);
            }
            return _parameters[(tensor, how, gamma)] = result;
        }

        private string? BiasParam(Modified how, float gamma = 0f) => Bias is { } b ? Param(b, how, gamma) : null;

        private string PositivePart(string x) => c.B.Op("Relu", x);

        private string NegativePart(string x) => c.B.Op("Min", x, c.B.Float(0f));

        /// <summary>z⁺ (α1β0): x⁺·W⁺ + b⁺ + x⁻·W⁻ over the output, handed back along the same terms.</summary>
        public string ZPlus(float epsilon)
        {
            string wp = Param(W, Modified.Positive);
            if (InputNonNegative)
            {
                string s = Ratio(c, c.DY, Forward(X, wp, BiasParam(Modified.Positive)), epsilon);
                return c.B.Mul(X, Back(wp, s));
            }
            string wn = Param(W, Modified.Negative);
            string xp = PositivePart(X), xn = NegativePart(X);
            string z = c.B.Add(Forward(xp, wp, BiasParam(Modified.Positive)), Forward(xn, wn, null));
            string ratio = Ratio(c, c.DY, z, epsilon);
            return c.B.Add(c.B.Mul(xp, Back(wp, ratio)), c.B.Mul(xn, Back(wn, ratio)));
        }

        /// <summary>α(positive contributions' share) − β(negative contributions' share).</summary>
        public string AlphaBeta(float alpha, float beta, float epsilon)
        {
            string wp = Param(W, Modified.Positive), wn = Param(W, Modified.Negative);
            string positive, negative;
            if (InputNonNegative)
            {
                string sp = Ratio(c, c.DY, Forward(X, wp, BiasParam(Modified.Positive)), epsilon);
                string sn = Ratio(c, c.DY, Forward(X, wn, BiasParam(Modified.Negative)), epsilon);
                positive = c.B.Mul(X, Back(wp, sp));
                negative = c.B.Mul(X, Back(wn, sn));
            }
            else
            {
                string xp = PositivePart(X), xn = NegativePart(X);
                string sp = Ratio(c, c.DY, c.B.Add(Forward(xp, wp, BiasParam(Modified.Positive)), Forward(xn, wn, null)), epsilon);
                string sn = Ratio(c, c.DY, c.B.Add(Forward(xp, wn, BiasParam(Modified.Negative)), Forward(xn, wp, null)), epsilon);
                positive = c.B.Add(c.B.Mul(xp, Back(wp, sp)), c.B.Mul(xn, Back(wn, sp)));
                negative = c.B.Add(c.B.Mul(xp, Back(wn, sn)), c.B.Mul(xn, Back(wp, sn)));
            }
            return c.B.Sub(c.B.Scale(positive, alpha), c.B.Scale(negative, beta));
        }

        /// <summary>
        /// Generalised γ (Zennit's Gamma): where z &gt; 0 the contributions x⁺·(W + γW⁺) + x⁻·(W + γW⁻) share the
        /// relevance, where z &lt; 0 the contributions x⁺·(W + γW⁻) + x⁻·(W + γW⁺); biases b + γb± join the x⁺ terms.
        /// </summary>
        public string Gamma(float gamma, float epsilon)
        {
            string wgp = Param(W, Modified.GammaPositive, gamma), wgn = Param(W, Modified.GammaNegative, gamma);
            string z = Z;
            string up = c.B.Op("Greater", z, c.B.Float(0f)), down = c.B.Op("Less", z, c.B.Float(0f));
            if (InputNonNegative)
            {
                string gp = c.Gate(up, Ratio(c, c.DY, Forward(X, wgp, BiasParam(Modified.GammaPositive, gamma)), epsilon));
                string gn = c.Gate(down, Ratio(c, c.DY, Forward(X, wgn, BiasParam(Modified.GammaNegative, gamma)), epsilon));
                return c.B.Mul(X, c.B.Add(Back(wgp, gp), Back(wgn, gn)));
            }
            string xp = PositivePart(X), xn = NegativePart(X);
            string gUp = c.Gate(up, Ratio(c, c.DY, c.B.Add(Forward(xp, wgp, BiasParam(Modified.GammaPositive, gamma)), Forward(xn, wgn, null)), epsilon));
            string gDown = c.Gate(down, Ratio(c, c.DY, c.B.Add(Forward(xp, wgn, BiasParam(Modified.GammaNegative, gamma)), Forward(xn, wgp, null)), epsilon));
            return c.B.Sum([c.B.Mul(xp, Back(wgp, gUp)), c.B.Mul(xn, Back(wgn, gUp)), c.B.Mul(xp, Back(wgn, gDown)), c.B.Mul(xn, Back(wgp, gDown))]);
        }

        /// <summary>Flat: inputs and weights all 1, no bias: relevance spread evenly over each unit's receptive field.</summary>
        public string Flat(float epsilon)
        {
            string ones = Param(W, Modified.Ones);
            string z = Forward(c.B.Filled(X, 1f), ones, null);
            return Back(ones, Ratio(c, c.DY, z, epsilon));
        }

        /// <summary>w²: inputs 1, weights (and bias) squared.</summary>
        public string WSquare(float epsilon)
        {
            string squared = Param(W, Modified.Square);
            string z = Forward(c.B.Filled(X, 1f), squared, BiasParam(Modified.Square));
            return Back(squared, Ratio(c, c.DY, z, epsilon));
        }

        /// <summary>z^B: x·W − low·W⁺ − high·W⁻ (the biases cancel), for inputs bounded by [low, high].</summary>
        public string ZBox(ImmutableArray<float> low, ImmutableArray<float> high, float epsilon)
        {
            string wp = Param(W, Modified.Positive), wn = Param(W, Modified.Negative);
            string l = Bound(low), h = Bound(high);
            string z = c.B.Sub(c.B.Sub(Z, Forward(l, wp, BiasParam(Modified.Positive))), Forward(h, wn, BiasParam(Modified.Negative)));
            string s = Ratio(c, c.DY, z, epsilon);
            return c.B.Sub(c.B.Sub(c.B.Mul(X, Back(W, s)), c.B.Mul(l, Back(wp, s))), c.B.Mul(h, Back(wn, s)));
        }

        /// <summary>A bound as a tensor of the input's shape: one value, or one per channel (axis 1).</summary>
        private string Bound(ImmutableArray<float> values)
        {
            if (values.Length == 1)
                return c.B.Filled(X, values[0]);
            var shape = c.ShapeOf(X, "to lay the box bounds along its channels");
            if (shape.Rank < 2 || shape[1] >= 0 && shape[1] != values.Length)
                throw c.Fail($"z^B has {values.Length} bounds per side but the input has {(shape.Rank < 2 ? "no channel axis" : $"{shape[1]} channels")}; give one bound, or one per channel");
            long[] dims = [1, values.Length, .. Enumerable.Repeat(1L, shape.Rank - 2)];
            return c.B.Op("Expand", c.B.Floats([.. values], dims), c.B.ShapeOf(X));
        }
    }
}
