using Glassbox.Onnx.Graph;
using Glassbox.Onnx.Protos;
using static Glassbox.Onnx.Gradients.GraphBuilder;

namespace Glassbox.Onnx.Gradients;

/// <summary>What a rule sees: the forward node, the gradients of its outputs, and where to write.</summary>
internal sealed class RuleContext(NodeProto node, string nodeName, GraphBuilder builder, ShapeInference shapes, GraphIndex index,
                                  string?[] outputGradients, bool[] needed)
{
    public NodeProto Node => node;
    public GraphBuilder B => builder;
    public GraphIndex Index => index;
    public ShapeInference Shapes => shapes;

    public string X(int i) => node.Input[i];
    public string Y(int i = 0) => node.Output[i];

    /// <summary>The same node with other signals arriving at its outputs (a rule built on another rule).</summary>
    public RuleContext WithOutputGradients(params string?[] gradients) => new(node, nodeName, builder, shapes, index, gradients, needed);

    /// <summary>
    /// Another node in this one's place (the same op with other weights, or a layer with a normalisation folded
    /// in): its inputs and outputs are what X and Y read. It is not in the graph; its tensors' shapes must be known.
    /// </summary>
    public RuleContext WithNode(NodeProto replacement) => new(replacement, nodeName, builder, shapes, index, outputGradients, needed);

    /// <summary>Gradient of output 0 (every single-output rule).</summary>
    public string DY => outputGradients[0] ?? throw new InvalidOperationException("no output gradient");
    public string? DYAt(int i) => outputGradients[i];

    public bool Needs(int input) => input < needed.Length && needed[input];

    public TensorShape ShapeOf(string tensor, string why) =>
        shapes[tensor] ?? throw Fail($"needs the shape of '{tensor}' ({why}), which shape inference could not determine; give the model static shapes (onnx.shape_inference or fixed input sizes)");

    public int RankOf(string tensor, string why) => ShapeOf(tensor, why).Rank;

    public GradientRuleException Fail(string message) => new($"{node.OpType} node '{nodeName}': {message}.");

    /// <summary>
    /// Sums a broadcast gradient back to the shape of the input it came from. Which axes were
    /// broadcast is decided from the static shapes where they tell (a size-1 axis, or two free sizes
    /// known to be equal), and at run time from the two shapes where they do not.
    /// </summary>
    public string ReduceTo(string gradient, string output, string input)
    {
        var target = shapes[input];
        var from = shapes[output];
        if (target is null || from is null || from.Rank < target.Rank)
            return ReduceToAtRunTime(gradient, output, input, target is null || from is null ? null : from.Rank - target.Rank);
        int lead = from.Rank - target.Rank;
        var keepAxes = new List<long>();
        for (int i = 0; i < target.Rank; i++)
        {
            long t = target[i], f = from[i + lead];
            if (t == 1 && f != 1)
                keepAxes.Add(i + lead);
            else if (t == TensorShape.Dynamic && f != 1 && (f >= 0 || target.SymbolAt(i) is null || target.SymbolAt(i) != from.SymbolAt(i + lead)))
                return ReduceToAtRunTime(gradient, output, input, lead);
        }
        var g = B.ReduceSum(gradient, keepAxes.ToArray(), keepDims: true);
        return lead > 0 ? B.ReduceSum(g, Enumerable.Range(0, lead).Select(i => (long)i).ToArray(), keepDims: false) : g;
    }

    // Reduce over the axes where the input's size (padded with leading 1s) is 1 and the output's is not.
    public string ReduceToAtRunTime(string gradient, string output, string input, int? lead)
    {
        int leading = lead ?? throw Fail($"needs the ranks of '{input}' and '{output}' to undo broadcasting, which shape inference could not determine");
        var inputShape = B.ShapeOf(input);
        var padded = leading > 0 ? B.Op("Concat", [B.Int64s(Enumerable.Repeat(1L, leading).ToArray()), inputShape], AttrInt("axis", 0)) : inputShape;
        var one = B.Int64s(1);
        var broadcast = B.Op("And", B.Op("Equal", padded, one), B.Op("Not", B.Op("Equal", B.ShapeOf(output), one)));
        var axes = B.Op("Reshape", B.Op("NonZero", broadcast), B.Int64s(-1));
        var summed = B.Op("ReduceSum", [gradient, axes], AttrInt("keepdims", 1), AttrInt("noop_with_empty_axes", 1));
        return B.Op("Reshape", summed, inputShape);
    }

    /// <summary>Where(condition, dY, 0): the gradient passes only where the condition holds.</summary>
    public string Gate(string condition, string gradient) => B.Op("Where", condition, gradient, B.Float(0f));

    /// <summary>An int64 input's values when known before running: a constant, or computed from static sizes.</summary>
    public long[]? KnownInts(int input) => input < node.Input.Count && node.Input[input].Length > 0 ? shapes.KnownInts(node.Input[input]) : null;

    public string ConstantScalar(int input, string what) =>
        index.Floats(X(input)) is { Length: 1 } ? X(input) : throw Fail($"{what} must be a constant scalar for its gradient rule");
}

/// <summary>A node on the gradient path whose rule cannot apply; the message names it.</summary>
internal sealed class GradientRuleException(string message) : Exception(message);

/// <summary>Backward rules, one per op type: given dL/dY, emit the nodes that compute dL/dX.</summary>
internal static partial class GradientRules
{
    public delegate string?[] Rule(RuleContext c);

    private const float Sqrt2OverPi = 0.7978845608028654f;   // √(2/π)
    private const float TwoOverSqrtPi = 1.1283791670955126f; // 2/√π
    private const float InvSqrt2 = 0.7071067811865476f;
    private const float InvSqrt2Pi = 0.3989422804014327f;    // 1/√(2π)

    /// <summary>Ops whose outputs carry no gradient (shapes, comparisons, indices).</summary>
    public static readonly HashSet<string> NonDifferentiable =
    [
        "Shape", "Size", "ConstantOfShape", "Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "Not", "And", "Or", "Xor",
        "ArgMax", "ArgMin", "NonZero", "Range", "EyeLike", "Floor", "Ceil", "Round", "Sign", "IsNaN", "IsInf", "Constant", "RandomNormalLike", "RandomUniformLike",
    ];

    /// <summary>Input positions that never carry gradient (shapes, axes, indices, bounds).</summary>
    public static bool IsDifferentiableInput(string op, int input) => op switch
    {
        "Reshape" or "Expand" or "Squeeze" or "Unsqueeze" or "ReduceSum" or "ReduceMean" or "Split" or "Tile" or "Upsample" => input == 0,
        "ReduceMax" or "ReduceMin" or "ReduceL2" => input == 0,
        "Slice" or "Pad" or "Clip" or "Dropout" or "Resize" => input == 0,
        "Gather" or "GatherElements" => input == 0,
        "Where" => input != 0,
        "Pow" => input == 0,
        _ => true,
    };

    public static readonly Dictionary<string, Rule> Rules = WithWildRules(new(StringComparer.Ordinal)
    {
        ["Identity"] = c => [c.B.Op("Identity", c.DY)],
        ["Dropout"] = c => [c.B.Op("Identity", c.DY)],
        ["Cast"] = c => [c.B.Op("Identity", c.DY)],
        ["Neg"] = c => [c.B.Neg(c.DY)],
        ["Exp"] = c => [c.B.Mul(c.DY, c.Y())],
        ["Log"] = c => [c.B.Div(c.DY, c.X(0))],
        // The masks read the activation's output, not its input (y > 0 ⇔ x > 0): a backward graph
        // that reads the pre-activation tensor stops ONNX Runtime from fusing Conv + ReLU forward.
        ["Relu"] = c => [c.Gate(c.B.Op("Greater", c.Y(), c.B.Float(0f)), c.DY)],
        ["LeakyRelu"] = c =>
        {
            float alpha = Attr.Float(c.Node, "alpha", 0.01f);
            var positive = alpha > 0f ? c.Y() : c.X(0);
            return [c.B.Op("Where", c.B.Op("Greater", positive, c.B.Float(0f)), c.DY, c.B.Scale(c.DY, alpha))];
        },
        ["PRelu"] = c =>
        {
            if (c.Needs(1))
                throw c.Fail("the gradient with respect to the slope is not derived (it is a parameter)");
            return [c.B.Op("Where", c.B.Op("Greater", c.X(0), c.B.Float(0f)), c.DY, c.B.Mul(c.DY, c.X(1)))];
        },
        ["Clip"] = Clip,
        ["Sigmoid"] = c => [c.B.Mul(c.DY, c.B.Mul(c.Y(), c.B.Sub(c.B.Float(1f), c.Y())))],
        ["Tanh"] = c => [c.B.Mul(c.DY, c.B.Sub(c.B.Float(1f), c.B.Mul(c.Y(), c.Y())))],
        ["HardSigmoid"] = c =>
        {
            float alpha = Attr.Float(c.Node, "alpha", 0.2f), beta = Attr.Float(c.Node, "beta", 0.5f);
            var z = c.B.Add(c.B.Scale(c.X(0), alpha), c.B.Float(beta));
            var inside = c.B.Op("And", c.B.Op("Greater", z, c.B.Float(0f)), c.B.Op("Less", z, c.B.Float(1f)));
            return [c.Gate(inside, c.B.Scale(c.DY, alpha))];
        },
        ["HardSwish"] = c =>
        {
            // y = x·clamp(x/6 + ½, 0, 1): 0 below −3, 1 above 3, (2x + 3)/6 between (PyTorch's convention at the ends).
            var x = c.X(0);
            var middle = c.B.Add(c.B.Scale(x, 1f / 3f), c.B.Float(0.5f));
            var slope = c.B.Op("Where", c.B.Op("Less", x, c.B.Float(-3f)), c.B.Float(0f),
                c.B.Op("Where", c.B.Op("Greater", x, c.B.Float(3f)), c.B.Float(1f), middle));
            return [c.B.Mul(c.DY, slope)];
        },
        ["Erf"] = c =>
        {
            var x = c.X(0);
            return [c.B.Mul(c.DY, c.B.Scale(c.B.Op("Exp", c.B.Neg(c.B.Mul(x, x))), TwoOverSqrtPi))];
        },
        ["Gelu"] = Gelu,
        ["Sqrt"] = c => [c.B.Div(c.B.Scale(c.DY, 0.5f), c.Y())],
        ["Pow"] = c =>
        {
            var exponent = c.Index.Floats(c.X(1)) is { Length: 1 } e ? e[0] : throw c.Fail("the exponent must be a constant scalar for its gradient rule");
            var x = c.X(0);
            var derivative = exponent == 2f ? c.B.Scale(x, 2f) : c.B.Scale(c.B.Op("Pow", x, c.B.Float(exponent - 1f)), exponent);
            return [c.B.Mul(c.DY, derivative)];
        },
        ["Softmax"] = c =>
        {
            long axis = Attr.Int(c.Node, "axis", -1);
            var y = c.Y();
            var dot = c.B.ReduceSum(c.B.Mul(c.DY, y), [axis], keepDims: true);
            return [c.B.Mul(y, c.B.Sub(c.DY, dot))];
        },
        ["LogSoftmax"] = c =>
        {
            long axis = Attr.Int(c.Node, "axis", -1);
            var total = c.B.ReduceSum(c.DY, [axis], keepDims: true);
            return [c.B.Sub(c.DY, c.B.Mul(c.B.Op("Exp", c.Y()), total))];
        },
        ["Add"] = c => [c.Needs(0) ? c.ReduceTo(c.DY, c.Y(), c.X(0)) : null, c.Needs(1) ? c.ReduceTo(c.DY, c.Y(), c.X(1)) : null],
        ["Sum"] = c => Enumerable.Range(0, c.Node.Input.Count).Select(i => c.Needs(i) ? c.ReduceTo(c.DY, c.Y(), c.X(i)) : null).ToArray(),
        ["Sub"] = c => [c.Needs(0) ? c.ReduceTo(c.DY, c.Y(), c.X(0)) : null, c.Needs(1) ? c.ReduceTo(c.B.Neg(c.DY), c.Y(), c.X(1)) : null],
        ["Mul"] = c =>
        [
            c.Needs(0) ? c.ReduceTo(c.B.Mul(c.DY, c.X(1)), c.Y(), c.X(0)) : null,
            c.Needs(1) ? c.ReduceTo(c.B.Mul(c.DY, c.X(0)), c.Y(), c.X(1)) : null,
        ],
        ["Div"] = c =>
        [
            c.Needs(0) ? c.ReduceTo(c.B.Div(c.DY, c.X(1)), c.Y(), c.X(0)) : null,
            c.Needs(1) ? c.ReduceTo(c.B.Neg(c.B.Div(c.B.Mul(c.DY, c.Y()), c.X(1))), c.Y(), c.X(1)) : null,
        ],
        ["Where"] = c =>
        [
            null,
            c.Needs(1) ? c.ReduceTo(c.Gate(c.X(0), c.DY), c.Y(), c.X(1)) : null,
            c.Needs(2) ? c.ReduceTo(c.Gate(c.B.Op("Not", c.X(0)), c.DY), c.Y(), c.X(2)) : null,
        ],
        ["MatMul"] = MatMul,
        ["Gemm"] = Gemm,
        ["Conv"] = Conv,
        ["MaxPool"] = MaxPool,
        ["AveragePool"] = AveragePool,
        ["GlobalAveragePool"] = c =>
        {
            var x = c.X(0);
            var spread = c.B.Op("Expand", c.DY, c.B.ShapeOf(x));
            return [c.B.Div(spread, SpatialSize(c, x))];
        },
        ["BatchNormalization"] = c =>
        {
            if (Attr.Int(c.Node, "training_mode", 0) != 0)
                throw c.Fail("only inference-mode BatchNormalization has a gradient rule; export the model in eval mode");
            if (c.Needs(1) || c.Needs(2) || c.Needs(3) || c.Needs(4))
                throw c.Fail("gradients with respect to its parameters are not derived");
            int rank = c.RankOf(c.X(0), "to broadcast the per-channel factor");
            float epsilon = Attr.Float(c.Node, "epsilon", 1e-5f);
            var ones = Enumerable.Repeat(1L, rank - 2);
            string perChannel;
            if (c.Index.Floats(c.X(1)) is { } scale && c.Index.Floats(c.X(4)) is { } variance && scale.Length == variance.Length)
            {
                // Constant parameters: fold scale / √(var + ε) now, in the order the graph would compute it.
                // Referencing the BN's own initializers from the backward graph would stop ONNX Runtime
                // from fusing the forward Conv + BatchNormalization (ResNet-18 saliency: ~20% slower).
                var factors = new float[scale.Length];
                for (int i = 0; i < factors.Length; i++)
                    factors[i] = scale[i] / MathF.Sqrt(variance[i] + epsilon);
                perChannel = c.B.Floats(factors, [factors.Length, .. ones]);
            }
            else
            {
                var factor = c.B.Div(c.X(1), c.B.Op("Sqrt", c.B.Add(c.X(4), c.B.Float(epsilon))));
                perChannel = rank > 2 ? c.B.Op("Unsqueeze", factor, c.B.Int64s(Enumerable.Range(1, rank - 2).Select(i => (long)i).ToArray())) : factor;
            }
            return [c.B.Mul(c.DY, perChannel)];
        },
        ["LayerNormalization"] = LayerNormalization,
        ["Flatten"] = ReshapeBack,
        ["Reshape"] = ReshapeBack,
        ["Squeeze"] = ReshapeBack,
        ["Unsqueeze"] = ReshapeBack,
        ["Expand"] = c => [c.ReduceTo(c.DY, c.Y(), c.X(0))],
        ["Transpose"] = c =>
        {
            var perm = Attr.Ints(c.Node, "perm") ?? Enumerable.Range(0, c.RankOf(c.X(0), "for the default permutation")).Reverse().Select(i => (long)i).ToArray();
            var inverse = new long[perm.Length];
            for (int i = 0; i < perm.Length; i++)
                inverse[perm[i]] = i;
            return [c.B.Op("Transpose", [c.DY], AttrInts("perm", inverse))];
        },
        ["Concat"] = Concat,
        ["Split"] = Split,
        ["Slice"] = Slice,
        ["Gather"] = Gather,
        ["Pad"] = Pad,
        ["ReduceSum"] = c => Reduce(c, mean: false),
        ["ReduceMean"] = c => Reduce(c, mean: true),
    });

    private static Dictionary<string, Rule> WithWildRules(Dictionary<string, Rule> rules)
    {
        AddWildRules(rules);
        return rules;
    }

    private static string?[] ReshapeBack(RuleContext c) => [c.B.Op("Reshape", c.DY, c.B.ShapeOf(c.X(0)))];

    private static string?[] Clip(RuleContext c)
    {
        // min < x < max ⇔ min < y < max for y = clamp(x): reading the output keeps Conv + Clip fusible.
        var x = c.Y();
        // Bounds are inputs from opset 11 on, attributes before. PyTorch passes gradient strictly inside the bounds.
        string? min = c.Node.Input.Count > 1 && c.Node.Input[1].Length > 0 ? c.X(1) : c.Node.Attribute.Any(a => a.Name == "min") ? c.B.Float(Attr.Float(c.Node, "min", 0)) : null;
        string? max = c.Node.Input.Count > 2 && c.Node.Input[2].Length > 0 ? c.X(2) : c.Node.Attribute.Any(a => a.Name == "max") ? c.B.Float(Attr.Float(c.Node, "max", 0)) : null;
        string? inside = null;
        if (min is not null)
            inside = c.B.Op("Greater", x, min);
        if (max is not null)
        {
            var below = c.B.Op("Less", x, max);
            inside = inside is null ? below : c.B.Op("And", inside, below);
        }
        return [inside is null ? c.B.Op("Identity", c.DY) : c.Gate(inside, c.DY)];
    }

    private static string?[] Gelu(RuleContext c)
    {
        var x = c.X(0);
        var b = c.B;
        if (Attr.String(c.Node, "approximate", "none") == "tanh")
        {
            // y = ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³)
            var x2 = b.Mul(x, x);
            var u = b.Scale(b.Add(x, b.Scale(b.Mul(x2, x), 0.044715f)), Sqrt2OverPi);
            var t = b.Op("Tanh", u);
            var du = b.Scale(b.Add(b.Float(1f), b.Scale(x2, 3f * 0.044715f)), Sqrt2OverPi);
            var left = b.Scale(b.Add(b.Float(1f), t), 0.5f);
            var right = b.Mul(b.Scale(x, 0.5f), b.Mul(b.Sub(b.Float(1f), b.Mul(t, t)), du));
            return [b.Mul(c.DY, b.Add(left, right))];
        }
        // y = xΦ(x): dy/dx = Φ(x) + xφ(x)
        var cdf = b.Scale(b.Add(b.Float(1f), b.Op("Erf", b.Scale(x, InvSqrt2))), 0.5f);
        var pdf = b.Scale(b.Op("Exp", b.Scale(b.Mul(x, x), -0.5f)), InvSqrt2Pi);
        return [b.Mul(c.DY, b.Add(cdf, b.Mul(x, pdf)))];
    }

    private static string?[] MatMul(RuleContext c)
    {
        var a = c.X(0);
        var bm = c.X(1);
        int rankA = c.RankOf(a, "to transpose it"), rankB = c.RankOf(bm, "to transpose it");
        if (rankA < 2 || rankB < 2)
            throw c.Fail("matrix-vector products (an operand of rank 1) have no gradient rule yet");
        string?[] result = [null, null];
        if (c.Needs(0))
        {
            var dA = c.B.Op("MatMul", c.DY, TransposeLast2(c, bm, rankB));
            result[0] = ReduceMatMulBatch(c, dA, a, rankA);
        }
        if (c.Needs(1))
        {
            var dB = c.B.Op("MatMul", TransposeLast2(c, a, rankA), c.DY);
            result[1] = ReduceMatMulBatch(c, dB, bm, rankB);
        }
        return result;
    }

    private static string TransposeLast2(RuleContext c, string x, int rank)
    {
        var perm = Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
        (perm[rank - 1], perm[rank - 2]) = (perm[rank - 2], perm[rank - 1]);
        return c.B.Op("Transpose", [x], AttrInts("perm", perm));
    }

    // The product broadcasts batch dimensions; sum the gradient over the ones the operand did not have.
    private static string ReduceMatMulBatch(RuleContext c, string gradient, string operand, int operandRank)
    {
        var output = c.ShapeOf(c.Y(), "to undo batch broadcasting");
        var target = c.ShapeOf(operand, "to undo batch broadcasting");
        int lead = output.Rank - operandRank;
        var keep = new List<long>();
        for (int i = 0; i < operandRank - 2; i++)
        {
            long t = target[i], f = output[i + lead];
            if (t == 1 && f != 1)
                keep.Add(i + lead);
            else if (t == TensorShape.Dynamic && f != 1 && (f >= 0 || target.SymbolAt(i) is null || target.SymbolAt(i) != output.SymbolAt(i + lead)))
                return c.ReduceToAtRunTime(gradient, gradient, operand, lead);
        }
        var g = c.B.ReduceSum(gradient, keep.ToArray(), keepDims: true);
        return lead > 0 ? c.B.ReduceSum(g, Enumerable.Range(0, lead).Select(i => (long)i).ToArray(), keepDims: false) : g;
    }

    private static string?[] Gemm(RuleContext c)
    {
        float alpha = Attr.Float(c.Node, "alpha", 1f), beta = Attr.Float(c.Node, "beta", 1f);
        bool transA = Attr.Int(c.Node, "transA", 0) != 0, transB = Attr.Int(c.Node, "transB", 0) != 0;
        string?[] result = [null, null, null];
        if (c.Needs(0))
        {
            // d(A') = α·dY·B'ᵀ, and A = A'ᵀ when transA.
            var dAPrime = c.B.Op("Gemm", [c.DY, c.X(1)], AttrFloat("alpha", alpha), AttrInt("transB", transB ? 0 : 1));
            result[0] = transA ? c.B.Op("Transpose", [dAPrime], AttrInts("perm", [1, 0])) : dAPrime;
        }
        if (c.Needs(1))
        {
            // d(B') = α·A'ᵀ·dY, and B = B'ᵀ when transB.
            var dBPrime = c.B.Op("Gemm", [c.X(0), c.DY], AttrFloat("alpha", alpha), AttrInt("transA", transA ? 0 : 1));
            result[1] = transB ? c.B.Op("Transpose", [dBPrime], AttrInts("perm", [1, 0])) : dBPrime;
        }
        if (c.Needs(2))
            result[2] = c.ReduceTo(c.B.Scale(c.DY, beta), c.Y(), c.X(2));
        return result;
    }

    /// <summary>
    /// Explicit begin/end pads of a Conv or pooling node, resolving auto_pad from the static sizes.
    /// Null pads when auto_pad SAME with a stride above 1 meets a size known only at run time.
    /// </summary>
    private static (long[]? Begin, long[]? End, long[] Kernel, long[] Strides, long[] Dilations) Window(RuleContext c, TensorShape x, TensorShape y, long[] kernel)
    {
        int spatial = x.Rank - 2;
        var strides = Attr.Ints(c.Node, "strides") ?? Enumerable.Repeat(1L, spatial).ToArray();
        var dilations = Attr.Ints(c.Node, "dilations") ?? Enumerable.Repeat(1L, spatial).ToArray();
        var pads = Attr.Ints(c.Node, "pads") ?? new long[2 * spatial];
        string autoPad = Attr.String(c.Node, "auto_pad", "NOTSET");
        var begin = new long[spatial];
        var end = new long[spatial];
        for (int i = 0; i < spatial; i++)
        {
            long effective = dilations[i] * (kernel[i] - 1) + 1;
            if (autoPad is "SAME_UPPER" or "SAME_LOWER")
            {
                // Stride 1 keeps the size, so the total padding is the window's reach at any size.
                if (strides[i] != 1 && (y[i + 2] < 0 || x[i + 2] < 0))
                    return (null, null, kernel, strides, dilations);
                long total = strides[i] == 1 ? effective - 1 : Math.Max(0, (y[i + 2] - 1) * strides[i] + effective - x[i + 2]);
                begin[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
                end[i] = total - begin[i];
            }
            else if (autoPad != "VALID")
            {
                begin[i] = pads[i];
                end[i] = pads[i + spatial];
            }
        }
        return (begin, end, kernel, strides, dilations);
    }

    /// <summary>
    /// dX of a strided window op (Conv, AveragePool) as a transposed convolution of dY with
    /// <paramref name="weights"/>: with static sizes, one ConvTranspose whose output_padding lands
    /// exactly on the input; with free sizes, a ConvTranspose cropped and padded onto the input's
    /// size read at run time, which is the same numbers for every size.
    /// </summary>
    private static string TransposeOntoInput(RuleContext c, string gradient, string weights, TensorShape x, TensorShape y, long[] kernel, long group)
    {
        int spatial = x.Rank - 2;
        if (FitsOneTransposedWindow(c, x, y, kernel))
            return c.B.Op("ConvTranspose", [gradient, weights], TransposedWindow(c, x, y, kernel, group));
        var b = c.B;
        var (begin, _, k, strides, dilations) = Window(c, x, y, kernel);
        var spatialAxes = b.Int64s(Enumerable.Range(2, spatial).Select(i => (long)i).ToArray());
        var inputSize = b.Op("Slice", b.ShapeOf(c.X(0)), b.Int64s(2), b.Int64s(long.MaxValue));
        // Transposed without cropping the end: the last window may reach into the end padding or stop short of the input's end.
        string start;
        string full;
        if (begin is not null)
        {
            full = b.Op("ConvTranspose", [gradient, weights], AttrInts("kernel_shape", k), AttrInts("strides", strides), AttrInts("dilations", dilations),
                AttrInts("pads", begin.Concat(new long[spatial])), AttrInt("group", group));
            start = b.Int64s(new long[spatial]);
        }
        else
        {
            // SAME with a stride: the padding depends on the size, total = max(0, (out − 1)·s + d(k − 1) + 1 − in).
            full = b.Op("ConvTranspose", [gradient, weights], AttrInts("kernel_shape", k), AttrInts("strides", strides), AttrInts("dilations", dilations), AttrInt("group", group));
            var outputSize = b.Op("Slice", b.ShapeOf(c.Y()), b.Int64s(2), b.Int64s(long.MaxValue));
            var reach = b.Int64s(Enumerable.Range(0, spatial).Select(i => dilations[i] * (k[i] - 1) + 1).ToArray());
            var total = b.Op("Max", b.Sub(b.Add(b.Mul(b.Sub(outputSize, b.Int64s(1)), b.Int64s(strides)), reach), inputSize), b.Int64s(0));
            var half = b.Div(total, b.Int64s(2));
            start = Attr.String(c.Node, "auto_pad", "NOTSET") == "SAME_UPPER" ? half : b.Sub(total, half);
        }
        full = b.Op("Slice", full, start, b.Add(start, inputSize), spatialAxes);
        // Input rows no window reached (the remainder of a stride) get no gradient: pad the end up to the input's size.
        var missing = b.Sub(inputSize, b.Op("Slice", b.ShapeOf(full), b.Int64s(2), b.Int64s(long.MaxValue)));
        var pads = b.Op("Concat", [b.Int64s(new long[x.Rank + 2]), missing], AttrInt("axis", 0));
        return b.Op("Pad", full, pads);
    }

    /// <summary>
    /// Whether one ConvTranspose lands dY exactly on x: static sizes, and an output padding below the stride (a
    /// ceil_mode window that reaches past the end padding needs cropping instead).
    /// </summary>
    private static bool FitsOneTransposedWindow(RuleContext c, TensorShape x, TensorShape y, long[] kernel)
    {
        if (Enumerable.Range(2, x.Rank - 2).Any(i => x[i] < 0 || y[i] < 0))
            return false;
        var (begin, end, k, strides, dilations) = Window(c, x, y, kernel);
        if (begin is null || end is null)
            return false;
        for (int i = 0; i < x.Rank - 2; i++)
        {
            long outputPadding = x[i + 2] - ((y[i + 2] - 1) * strides[i] + dilations[i] * (k[i] - 1) + 1 - begin[i] - end[i]);
            if (outputPadding < 0 || outputPadding >= Math.Max(strides[i], dilations[i]))
                return false;
        }
        return true;
    }

    /// <summary>ConvTranspose attributes that map dY (size of y) back onto exactly the size of x.</summary>
    private static AttributeProto[] TransposedWindow(RuleContext c, TensorShape x, TensorShape y, long[] kernel, long group)
    {
        if (Enumerable.Range(2, x.Rank - 2).Any(i => x[i] < 0 || y[i] < 0))
            throw c.Fail($"needs static spatial sizes (input {x}, output {y}); fix the input size of the model");
        var (begin, end, k, strides, dilations) = Window(c, x, y, kernel);
        if (begin is null || end is null)
            throw c.Fail("needs static spatial sizes for auto_pad SAME with a stride");
        int spatial = x.Rank - 2;
        var outputPadding = new long[spatial];
        for (int i = 0; i < spatial; i++)
        {
            long effective = dilations[i] * (k[i] - 1) + 1;
            outputPadding[i] = x[i + 2] - ((y[i + 2] - 1) * strides[i] + effective - begin[i] - end[i]);
            if (outputPadding[i] < 0 || outputPadding[i] >= Math.Max(strides[i], dilations[i]))
                throw c.Fail($"cannot map the output back onto the input along spatial axis {i} (output padding {outputPadding[i]})");
        }
        return
        [
            AttrInts("kernel_shape", k), AttrInts("strides", strides), AttrInts("dilations", dilations),
            AttrInts("pads", begin.Concat(end)), AttrInts("output_padding", outputPadding), AttrInt("group", group),
        ];
    }

    private static string?[] Conv(RuleContext c)
    {
        if (c.Needs(1) || c.Needs(2))
            throw c.Fail("gradients with respect to weights or bias are not derived (they are parameters)");
        var x = c.ShapeOf(c.X(0), "for the transposed convolution");
        var y = c.ShapeOf(c.Y(), "for the transposed convolution");
        var w = c.ShapeOf(c.X(1), "for the kernel size");
        var kernel = Attr.Ints(c.Node, "kernel_shape") ?? w.Dimensions.Skip(2).ToArray();
        long group = Attr.Int(c.Node, "group", 1);
        if (FlippedConvolution(c, x, y, w, kernel, group) is { } fast)
            return [fast];
        // ConvTranspose reads the weight as [C_in = M, C_out / group, k…]: the forward weight as it is.
        return [TransposeOntoInput(c, c.DY, c.X(1), x, y, kernel, group)];
    }

    /// <summary>
    /// For a stride-1 2-D convolution with constant weights, ∂L/∂X is itself a convolution of ∂L/∂Y
    /// with the kernel flipped in space and its channel axes swapped, padded by d·(k − 1) − p. Runtimes
    /// optimise Conv far more than ConvTranspose (ONNX Runtime's CPU provider by about 3× on ResNet-18),
    /// so this form is used where it applies: groups 1 or depthwise, weights known at derivation time.
    /// </summary>
    private static string? FlippedConvolution(RuleContext c, TensorShape x, TensorShape y, TensorShape w, long[] kernel, long group)
    {
        if (x.Rank != 4 || kernel.Length != 2 || w.Rank != 4 || !w.IsFullyKnown)
            return null;
        if ((Attr.Ints(c.Node, "strides") ?? [1, 1]).Any(s => s != 1))
            return null;
        long m = w[0], perGroup = w[1];
        bool depthwise = group > 1 && perGroup == 1 && m == group;
        if (group != 1 && !depthwise)
            return null;
        if (!c.Index.IsConstant(c.X(1)))
            return null;
        var (begin, end, _, _, dilations) = Window(c, x, y, kernel);
        if (begin is null || end is null)
            return null;
        var pads = new long[4];
        for (int i = 0; i < 2; i++)
        {
            long reach = dilations[i] * (kernel[i] - 1);
            pads[i] = reach - begin[i];
            pads[i + 2] = reach - end[i];
            if (pads[i] < 0 || pads[i + 2] < 0)
                return null;
        }
        // W'[ci, o] = W[o, ci] flipped in space (depthwise: W'[o, 0] = W[o, 0] flipped), written as
        // Transpose and reversing Slices of the constant: ONNX Runtime folds them when the session is
        // made, so deriving a graph never copies the weights (37 MB for one layer of FCN-ResNet50).
        var swapped = depthwise ? c.X(1) : c.B.Op("Transpose", [c.X(1)], AttrInts("perm", [1, 0, 2, 3]));
        var kernelTensor = c.B.Op("Slice", swapped, c.B.Int64s(-1, -1), c.B.Int64s(long.MinValue, long.MinValue), c.B.Int64s(2, 3), c.B.Int64s(-1, -1));
        return c.B.Op("Conv", [c.DY, kernelTensor],
            AttrInts("kernel_shape", kernel), AttrInts("strides", [1, 1]), AttrInts("dilations", dilations),
            AttrInts("pads", pads), AttrInt("group", group));
    }

    private static string?[] MaxPool(RuleContext c)
    {
        if (Attr.Int(c.Node, "storage_order", 0) != 0)
            throw c.Fail("storage_order = 1 (column-major indices) has no gradient rule");
        // The forward node also writes the flat index of each maximum (first one on ties, as PyTorch);
        // the gradient is scattered back to those positions, adding where windows overlap.
        string indices;
        if (c.Node.Output.Count > 1 && c.Node.Output[1].Length > 0)
        {
            indices = c.Node.Output[1];
        }
        else
        {
            indices = c.B.Unique("maxpool_indices");
            while (c.Node.Output.Count < 2)
                c.Node.Output.Add("");
            c.Node.Output[1] = indices;
        }
        if (c.B.OpsetCeiling < 16)
            return [MaxPoolByWindows(c, indices)];
        var x = c.X(0);
        var count = c.B.Op("Unsqueeze", c.B.Op("Size", x), c.B.Int64s(0));
        var zeros = c.B.Op("ConstantOfShape", [count], AttrTensor("value", new TensorProto { DataType = (int)TensorProto.Types.DataType.Float, Dims = { 1 }, FloatData = { 0f } }));
        var flat = c.B.Int64s(-1);
        var scattered = c.B.Op("ScatterElements", [zeros, c.B.Op("Reshape", indices, flat), c.B.Op("Reshape", c.DY, flat)],
            AttrInt("axis", 0), AttrString("reduction", "add"));
        return [c.B.Op("Reshape", scattered, c.B.ShapeOf(x))];
    }

    /// <summary>
    /// The MaxPool gradient without ScatterElements' reduction (opset 16): each output's gradient goes to the offset
    /// of its maximum inside its window (a one-hot over the k_h·k_w offsets), and a transposed convolution whose
    /// kernel puts offset o at its place in the window adds every window back onto the input, overlaps included.
    /// Channels ride in the batch axis so one small kernel serves them all.
    /// </summary>
    private static string MaxPoolByWindows(RuleContext c, string indices)
    {
        var b = c.B;
        var x = c.ShapeOf(c.X(0), "to place the windows at opset 15");
        var y = c.ShapeOf(c.Y(), "to place the windows at opset 15");
        var kernel = Attr.Ints(c.Node, "kernel_shape") ?? throw c.Fail("has no kernel_shape");
        if (x.Rank != 4 || kernel.Length != 2)
            throw c.Fail("has a gradient below opset 16 for 2-D pooling only; export at opset 16 or newer");
        var (begin, _, _, strides, dilations) = Window(c, x, y, kernel);
        if (begin is null)
            throw c.Fail("needs static spatial sizes for auto_pad SAME with a stride below opset 16; fix the input size of the model");
        long offsets = kernel[0] * kernel[1];
        string Dim(string shape, long axis) => b.Op("Squeeze", b.Op("Slice", shape, b.Int64s(axis), b.Int64s(axis + 1)));
        string inShape = b.ShapeOf(c.X(0)), outShape = b.ShapeOf(c.Y());
        string width = Dim(inShape, 3);
        // Indices are flat over the whole input; the position inside the channel's plane gives row and column.
        string local = b.Op("Mod", indices, b.Mul(Dim(inShape, 2), width));
        string row = b.Div(local, width), column = b.Op("Mod", local, width);
        // Window origins (oh·s − pad), as [OH, 1] and [OW]; the offset inside the window counts in dilations.
        string Origins(long axis, int i)
        {
            string positions = b.Op("Range", b.Op("Squeeze", b.Int64s(0)), Dim(outShape, axis), b.Op("Squeeze", b.Int64s(1)));
            return b.Sub(b.Mul(positions, b.Int64s(strides[i])), b.Int64s(begin[i]));
        }
        string offsetRow = b.Div(b.Sub(row, b.Op("Unsqueeze", Origins(2, 0), b.Int64s(1))), b.Int64s(dilations[0]));
        string offsetColumn = b.Div(b.Sub(column, Origins(3, 1)), b.Int64s(dilations[1]));
        string offset = b.Add(b.Mul(offsetRow, b.Int64s(kernel[1])), offsetColumn);
        string oneHot = b.Op("OneHot", [offset, b.Int64s(offsets), b.Floats([0f, 1f], [2])], AttrInt("axis", 2));
        string spread = b.Op("Reshape", b.Mul(oneHot, b.Op("Unsqueeze", c.DY, b.Int64s(2))),
            b.Op("Concat", [b.Int64s(-1, offsets), b.Op("Slice", outShape, b.Int64s(2), b.Int64s(4))], AttrInt("axis", 0)));
        var placement = new float[offsets * offsets];
        for (int o = 0; o < offsets; o++)
            placement[o * offsets + o] = 1f;
        string weights = b.Floats(placement, [offsets, 1, kernel[0], kernel[1]]);
        // TransposeOntoInput reads only the spatial sizes of x and y; the batch axis here is batch × channels.
        return b.Op("Reshape", TransposeOntoInput(c, spread, weights, x, y, kernel, group: 1), inShape);
    }

    private static string?[] AveragePool(RuleContext c)
    {
        var x = c.ShapeOf(c.X(0), "for the transposed window");
        var y = c.ShapeOf(c.Y(), "for the transposed window");
        var kernel = Attr.Ints(c.Node, "kernel_shape") ?? throw c.Fail("has no kernel_shape");
        var (begin, end, _, _, _) = Window(c, x, y, kernel);
        bool padded = begin is null || end is null || begin.Any(p => p != 0) || end.Any(p => p != 0) || Attr.Int(c.Node, "ceil_mode", 0) != 0;
        long area = kernel.Aggregate(1L, (a, b) => a * b);
        string scaled;
        if (!padded || Attr.Int(c.Node, "count_include_pad", 0) != 0)
        {
            scaled = c.B.Scale(c.DY, 1f / area);
        }
        else
        {
            // Each window divides by its count of real (unpadded) elements: average a tensor of ones
            // counting padding to get count / area per window.
            var ones = c.B.Filled(c.X(0), 1f);
            var attributes = c.Node.Attribute.Where(a => a.Name != "count_include_pad").Append(AttrInt("count_include_pad", 1));
            var fraction = c.B.Op("AveragePool", [ones], attributes.ToArray());
            scaled = c.B.Div(c.DY, c.B.Scale(fraction, area));
        }
        long channels = x[1];
        if (channels == 0 || area < 1 || kernel.Any(k => k < 1) || Math.Max(channels, 1) * area > 1 << 24)
            throw new GradientRuleException($"node '{c.Node.Name}' (AveragePool) pools {channels} channels with kernel {string.Join("×", kernel)}; a gradient needs positive sizes and at most 2^24 kernel values.");
        if (channels < 0)
        {
            // Channels known only at run time: fold them into the batch and spread with one ones kernel.
            var b = c.B;
            var spatialShape = b.Op("Slice", b.ShapeOf(scaled), b.Int64s(2), b.Int64s(long.MaxValue));
            var folded = b.Op("Reshape", scaled, b.Op("Concat", [b.Int64s(-1, 1), spatialShape], AttrInt("axis", 0)));
            var one = b.Floats(Enumerable.Repeat(1f, (int)area).ToArray(), [1, 1, .. kernel]);
            var spread = TransposeOntoInput(c, folded, one, x, y, kernel, 1);
            return [b.Op("Reshape", spread, b.ShapeOf(c.X(0)))];
        }
        var onesKernel = c.B.Floats(Enumerable.Repeat(1f, (int)(channels * area)).ToArray(), [channels, 1, .. kernel]);
        return [TransposeOntoInput(c, scaled, onesKernel, x, y, kernel, channels)];
    }

    private static string SpatialSize(RuleContext c, string x)
    {
        var shape = c.Shapes[x];
        if (shape is not null && Enumerable.Range(2, shape.Rank - 2).All(i => shape[i] >= 0))
            return c.B.Float(Enumerable.Range(2, shape.Rank - 2).Aggregate(1f, (a, i) => a * shape[i]));
        var dims = c.B.Op("Slice", c.B.ShapeOf(x), c.B.Int64s(2), c.B.Int64s(long.MaxValue));
        return c.B.Op("Cast", [c.B.Op("ReduceProd", [dims], AttrInt("keepdims", 0))], AttrInt("to", (int)TensorProto.Types.DataType.Float));
    }

    private static string?[] LayerNormalization(RuleContext c)
    {
        if (c.Needs(1) || c.Needs(2))
            throw c.Fail("gradients with respect to scale or bias are not derived (they are parameters)");
        var (mean, centred, inverseStd) = LayerNormStatistics(c);
        var b = c.B;
        // x̂ = (x − μ)/σ; dx = (g − mean(g) − x̂·mean(g·x̂)) / σ with g = dY·scale.
        var normalised = b.Mul(centred, inverseStd);
        var g = b.Mul(c.DY, c.X(1));
        var inner = b.Sub(b.Sub(g, mean(g)), b.Mul(normalised, mean(b.Mul(g, normalised))));
        return [b.Mul(inner, inverseStd)];
    }

    /// <summary>
    /// A LayerNormalization node's mean over its normalised axes (as a function, for other tensors of x's shape), x − μ
    /// and 1/σ, computed the way the node computes them: what its gradient rule and its LRP rule both start from.
    /// </summary>
    internal static (Func<string, string> Mean, string Centred, string InverseStd) LayerNormStatistics(RuleContext c)
    {
        var x = c.X(0);
        var shape = c.ShapeOf(x, "to know the normalised axes");
        long axis = Attr.Int(c.Node, "axis", -1);
        if (axis < 0)
            axis += shape.Rank;
        var axes = Enumerable.Range((int)axis, shape.Rank - (int)axis).Select(i => (long)i).ToArray();
        var b = c.B;
        string? count = null;
        string Count()
        {
            if (axes.All(a => shape[(int)a] >= 0))
                return b.Float(axes.Aggregate(1f, (p, a) => p * shape[(int)a]));
            var dims = b.Op("Slice", b.ShapeOf(x), b.Int64s(axis), b.Int64s(long.MaxValue));
            return b.Op("Cast", [b.Op("ReduceProd", [dims], AttrInt("keepdims", 1))], AttrInt("to", (int)TensorProto.Types.DataType.Float));
        }
        string Mean(string t) => b.Div(b.ReduceSum(t, axes, keepDims: true), count ??= Count());
        var centred = b.Sub(x, Mean(x));
        var inverseStd = b.Div(b.Float(1f), b.Op("Sqrt", b.Add(Mean(b.Mul(centred, centred)), b.Float(Attr.Float(c.Node, "epsilon", 1e-5f)))));
        return (Mean, centred, inverseStd);
    }

    private static string?[] Concat(RuleContext c)
    {
        int count = c.Node.Input.Count;
        long axis = Attr.Int(c.Node, "axis", 0);
        // Slice takes negative axes as they are, so an output of unknown rank (a shape known only at run time) needs nothing more.
        if (axis < 0 && c.Shapes[c.Y()] is { } shape)
            axis += shape.Rank;
        var result = new string?[count];
        var sizes = Enumerable.Range(0, count).Select(i => axis >= 0 && c.Shapes[c.X(i)] is { } s && axis < s.Rank && s[(int)axis] >= 0 ? s[(int)axis] : -1).ToArray();
        string? dynamicOffset = null;
        long staticOffset = 0;
        bool allStatic = sizes.All(s => s >= 0);
        for (int i = 0; i < count; i++)
        {
            if (c.Needs(i))
            {
                string start, end;
                if (allStatic)
                {
                    start = c.B.Int64s(staticOffset);
                    end = c.B.Int64s(staticOffset + sizes[i]);
                }
                else
                {
                    start = dynamicOffset ?? c.B.Int64s(0);
                    end = c.B.Add(start, SizeAlong(c, c.X(i), axis));
                }
                result[i] = c.B.Op("Slice", c.DY, start, end, c.B.Int64s(axis));
            }
            if (allStatic)
                staticOffset += sizes[i];
            else
                dynamicOffset = dynamicOffset is null ? SizeAlong(c, c.X(i), axis) : c.B.Add(dynamicOffset, SizeAlong(c, c.X(i), axis));
        }
        return result;
    }

    private static string SizeAlong(RuleContext c, string tensor, long axis) =>
        c.B.Op("Slice", c.B.ShapeOf(tensor), c.B.Int64s(axis), c.B.Int64s(axis == -1 ? long.MaxValue : axis + 1));

    private static string?[] Split(RuleContext c)
    {
        int rank = c.RankOf(c.X(0), "to join the gradients");
        long axis = Attr.Int(c.Node, "axis", 0);
        if (axis < 0)
            axis += rank;
        var parts = Enumerable.Range(0, c.Node.Output.Count).Select(i => c.DYAt(i) ?? c.B.Filled(c.Y(i), 0f));
        return [c.B.Op("Concat", parts, AttrInt("axis", axis))];
    }

    private static string?[] Slice(RuleContext c)
    {
        // Starts and ends may be computed at run time (PyTorch's chunk of a free-size tensor); axes and steps must be known.
        var starts = c.KnownInts(1);
        var ends = c.KnownInts(2);
        int count = starts?.Length ?? ends?.Length ?? (c.Shapes[c.X(1)] is { Rank: 1 } s && s[0] >= 0 ? (int)s[0] : throw c.Fail("needs the number of sliced axes"));
        var axes = c.Node.Input.Count > 3 && c.Node.Input[3].Length > 0 ? c.KnownInts(3) ?? throw c.Fail("axes must be constant") : Enumerable.Range(0, count).Select(i => (long)i).ToArray();
        var steps = c.Node.Input.Count > 4 && c.Node.Input[4].Length > 0 ? c.KnownInts(4) ?? throw c.Fail("steps must be constant") : Enumerable.Repeat(1L, count).ToArray();
        int rank = c.RankOf(c.X(0), "to pad the gradient back");
        var x = c.Shapes[c.X(0)]!;
        var b = c.B;
        var g = c.DY;
        // Strided picks (YOLO's space-to-depth "Focus" slices x[..., ::2, ::2]): spread dY with step − 1
        // zeros after each element, so each value sits at its offset from the slice's start.
        for (int i = 0; i < axes.Length; i++)
        {
            int axis = (int)(axes[i] < 0 ? axes[i] + rank : axes[i]);
            if (steps[i] == 1)
                continue;
            if (steps[i] < 1)
                throw c.Fail($"step {steps[i]} has no gradient rule (positive steps only)");
            var widened = b.Op("Unsqueeze", g, b.Int64s(axis + 1));
            var spreadPads = new long[2 * (rank + 1)];
            spreadPads[rank + 1 + axis + 1] = steps[i] - 1;
            var spread = b.Op("Pad", widened, b.Int64s(spreadPads));
            var merged = b.Op("Concat", [b.Op("Slice", b.ShapeOf(g), b.Int64s(0), b.Int64s(axis)), b.Int64s(-1), b.Op("Slice", b.ShapeOf(g), b.Int64s(axis + 1), b.Int64s(long.MaxValue))], AttrInt("axis", 0));
            g = b.Op("Reshape", spread, merged);
        }
        if (x.IsFullyKnown && steps.All(s => s == 1) && starts is not null && ends is not null)
        {
            var pads = new long[2 * rank];
            for (int i = 0; i < axes.Length; i++)
            {
                int axis = (int)(axes[i] < 0 ? axes[i] + rank : axes[i]);
                var range = ShapeInference.SliceRange(starts[i], ends[i], 1, x[axis]) ?? throw c.Fail($"needs the size of sliced axis {axis}");
                pads[axis] = range.Start;
                pads[axis + rank] = x[axis] - range.Start - range.Count;
            }
            return [b.Op("Pad", g, b.Int64s(pads))];
        }
        // At run time: the clamped start of each sliced axis, then pad the end up to the input's size
        // (cropping first what a step's spreading added past it).
        var sliceAxes = axes.Select(a => a < 0 ? a + rank : a).ToArray();
        var inputSizes = b.Op("Gather", [b.ShapeOf(c.X(0)), b.Int64s(sliceAxes)], AttrInt("axis", 0));
        var rawStarts = starts is not null ? b.Int64s(starts) : b.Op("Cast", [c.X(1)], AttrInt("to", (int)TensorProto.Types.DataType.Int64));
        var wrapped = b.Op("Where", b.Op("Less", rawStarts, b.Int64s(0)), b.Add(rawStarts, inputSizes), rawStarts);
        var clampedStarts = b.Op("Min", b.Op("Max", wrapped, b.Int64s(0)), inputSizes);
        var room = b.Sub(inputSizes, clampedStarts);
        g = b.Op("Slice", g, b.Int64s(new long[sliceAxes.Length]), room, b.Int64s(sliceAxes));
        var present = b.Op("Gather", [b.ShapeOf(g), b.Int64s(sliceAxes)], AttrInt("axis", 0));
        var begin = b.Op("ScatterElements", [b.Int64s(new long[rank]), b.Int64s(sliceAxes), clampedStarts], AttrInt("axis", 0));
        var end = b.Op("ScatterElements", [b.Int64s(new long[rank]), b.Int64s(sliceAxes), b.Sub(room, present)], AttrInt("axis", 0));
        return [b.Op("Pad", g, b.Op("Concat", [begin, end], AttrInt("axis", 0)))];
    }

    private static string?[] Gather(RuleContext c)
    {
        var data = c.ShapeOf(c.X(0), "for the scatter back");
        var indices = c.Index.Int64s(c.X(1)) ?? throw c.Fail("indices must be constant for its gradient rule");
        var indexShape = c.Index.Constant(c.X(1))!.Dims;
        if (indexShape.Count > 1)
            throw c.Fail("multi-dimensional indices have no gradient rule (scalar or 1-D only)");
        long axis = Attr.Int(c.Node, "axis", 0);
        if (axis < 0)
            axis += data.Rank;
        long size = data[(int)axis];
        if (size < 0)
            throw c.Fail($"needs the size of gathered axis {axis}");
        // dX = dY contracted with a one-hot matrix M[l, j] = (index_l == j): a sum over repeated indices too.
        var oneHot = new float[indices.Length * size];
        for (int l = 0; l < indices.Length; l++)
            oneHot[l * size + (indices[l] < 0 ? indices[l] + size : indices[l])] = 1f;
        var matrix = c.B.Floats(oneHot, [indices.Length, size]);
        var g = indexShape.Count == 0 ? c.B.Op("Unsqueeze", c.DY, c.B.Int64s(axis)) : c.DY;
        int rank = data.Rank;
        if (axis == rank - 1)
            return [c.B.Op("MatMul", g, matrix)];
        var perm = Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
        (perm[axis], perm[rank - 1]) = (perm[rank - 1], perm[axis]);
        var moved = c.B.Op("Transpose", [g], AttrInts("perm", perm));
        return [c.B.Op("Transpose", [c.B.Op("MatMul", moved, matrix)], AttrInts("perm", perm))];
    }

    private static string?[] Pad(RuleContext c)
    {
        if (Attr.String(c.Node, "mode", "constant") != "constant")
            throw c.Fail("only constant-mode padding has a gradient rule");
        var pads = c.Node.Input.Count > 1 && c.Node.Input[1].Length > 0 ? c.KnownInts(1) ?? throw c.Fail("pads must be constant") : Attr.Ints(c.Node, "pads") ?? throw c.Fail("has no pads");
        if (c.Node.Input.Count > 3 && c.Node.Input[3].Length > 0)
            throw c.Fail("the axes input has no gradient rule");
        if (pads.Any(p => p < 0))
            throw c.Fail("negative (cropping) pads have no gradient rule");
        int rank = pads.Length / 2;
        var starts = pads.Take(rank).ToArray();
        var ends = Enumerable.Range(0, rank).Select(i => pads[i + rank] == 0 ? long.MaxValue : -pads[i + rank]).ToArray();
        var axes = Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
        return [c.B.Op("Slice", c.DY, c.B.Int64s(starts), c.B.Int64s(ends), c.B.Int64s(axes))];
    }

    private static string?[] Reduce(RuleContext c, bool mean)
    {
        var x = c.X(0);
        int rank = c.RankOf(x, "to restore the reduced axes");
        bool axesAsInput = c.Node.OpType == "ReduceSum" || c.Node.Input.Count > 1;
        var axes = axesAsInput
            ? (c.Node.Input.Count > 1 && c.Node.Input[1].Length > 0 ? c.KnownInts(1) ?? throw c.Fail("axes must be constant") : [])
            : Attr.Ints(c.Node, "axes") ?? [];
        if (axes.Length == 0)
        {
            if (Attr.Int(c.Node, "noop_with_empty_axes", 0) != 0)
                return [c.B.Op("Identity", c.DY)];
            axes = Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
        }
        axes = axes.Select(a => a < 0 ? a + rank : a).Order().ToArray();
        var g = Attr.Int(c.Node, "keepdims", 1) != 0 ? c.DY : c.B.Op("Unsqueeze", c.DY, c.B.Int64s(axes));
        var spread = c.B.Op("Expand", g, c.B.ShapeOf(x));
        if (!mean)
            return [spread];
        var shape = c.Shapes[x];
        if (shape is not null && axes.All(a => shape[(int)a] >= 0))
            return [c.B.Scale(spread, 1f / axes.Aggregate(1f, (p, a) => p * shape[(int)a]))];
        var dims = c.B.Op("Gather", [c.B.ShapeOf(x), c.B.Int64s(axes)], AttrInt("axis", 0));
        var count = c.B.Op("Cast", [c.B.Op("ReduceProd", [dims], AttrInt("keepdims", 0))], AttrInt("to", (int)TensorProto.Types.DataType.Float));
        return [c.B.Div(spread, count)];
    }
}
