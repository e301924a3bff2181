using Glassbox.Onnx.Gradients;
using Glassbox.Onnx.Protos;
using static Glassbox.Onnx.Gradients.GraphBuilder;

namespace Glassbox.Onnx.Graph;

/// <summary>
/// Rewrites, in place, a graph of opset 13 or newer into the same computation at another opset from 13 to
/// <see cref="Newest"/>: for an engine that stops at an older opset (Unity Sentis up to 2.5 reads 15) or a runtime that
/// wants a newer one. Down: reductions take their axes as an attribute again below 18; LayerNormalization (17),
/// HardSwish (14), Mish (18) and Gelu (20) are written out with older ops; attributes added later are dropped when they
/// hold their defaults. Up: reductions take their axes as an input from 18. Anything that has no older form (an op
/// introduced later, a later attribute in use) is refused by name before the file is written.
/// </summary>
internal static class OpsetConversion
{
    public const long Oldest = OpsetUpgrade.Target;

    /// <summary>The newest opset converted to; ONNX Runtime 1.30 reads it.</summary>
    public const long Newest = 23;

    private static readonly string[] ReductionsWithAxesInputFrom18 =
        ["ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSumSquare"];

    /// <summary>The opset each op of the default domain first appeared in, for those newer than 13.</summary>
    private static readonly Dictionary<string, long> IntroducedAfter13 = new(StringComparer.Ordinal)
    {
        ["HardSwish"] = 14, ["Trilu"] = 14,
        ["Bernoulli"] = 15, ["CastLike"] = 15, ["Optional"] = 15, ["OptionalGetElement"] = 15, ["OptionalHasElement"] = 15,
        ["GridSample"] = 16,
        ["LayerNormalization"] = 17, ["DFT"] = 17, ["STFT"] = 17, ["BlackmanWindow"] = 17, ["HammingWindow"] = 17, ["HannWindow"] = 17,
        ["MelWeightMatrix"] = 17, ["SequenceMap"] = 17,
        ["BitwiseAnd"] = 18, ["BitwiseNot"] = 18, ["BitwiseOr"] = 18, ["BitwiseXor"] = 18, ["CenterCropPad"] = 18, ["Col2Im"] = 18,
        ["GroupNormalization"] = 18, ["Mish"] = 18,
        ["DeformConv"] = 19,
        ["AffineGrid"] = 20, ["Gelu"] = 20, ["ImageDecoder"] = 20, ["RegexFullMatch"] = 20, ["StringConcat"] = 20, ["StringSplit"] = 20,
        ["Attention"] = 23, ["RMSNormalization"] = 23, ["RotaryEmbedding"] = 23,
    };

    /// <summary>The opset an op of the default domain first appeared in, when that is newer than 13; null otherwise.</summary>
    public static long? FirstOpsetOf(string op) => IntroducedAfter13.TryGetValue(op, out long since) ? since : null;

    /// <summary>The IR version each opset was released with: an older engine may refuse a newer IR.</summary>
    private static long IrVersionOf(long opset) => opset switch
    {
        <= 14 => 7,
        <= 18 => 8,
        <= 20 => 9,
        <= 22 => 10,
        _ => 11,
    };

    public static void CheckTarget(long target)
    {
        if (target < Oldest || target > Newest)
            throw new OnnxModelException($"Opset {target} is outside what Glassbox writes ({Oldest} to {Newest}); pick one in that range (15 for Unity Sentis up to 2.5).");
    }

    /// <summary>Converts the main graph of <paramref name="proto"/> (opset 13 or newer) to <paramref name="target"/>.</summary>
    public static void Apply(ModelProto proto, long target, string source)
    {
        CheckTarget(target);
        var import = proto.OpsetImport.FirstOrDefault(o => o.Domain.Length == 0 || o.Domain == "ai.onnx")
                     ?? throw new OnnxModelException($"Model '{source}' imports no ai.onnx opset.");
        long from = import.Version;
        if (from < Oldest)
            throw new OnnxModelException($"Model '{source}' is at opset {from}; upgrade it to {Oldest} first.");
        if (from == target)
        {
            proto.IrVersion = Math.Max(proto.IrVersion, IrVersionOf(target));
            return;
        }
        var graph = proto.Graph;
        var names = new GraphBuilder(graph, "opset/");
        var index = new GraphIndex(graph);
        var shapes = new Lazy<ShapeInference>(() => new ShapeInference(index, from));
        var rewritten = new List<NodeProto>(graph.Node.Count);
        var refused = new List<string>();
        foreach (var node in graph.Node)
        {
            if (node.Domain.Length > 0 && node.Domain != "ai.onnx")
            {
                rewritten.Add(node);
                continue;
            }
            var context = new Conversion(node, from, target, names, index, shapes);
            var result = target < from ? context.Down() : context.Up();
            if (result is null)
            {
                refused.Add(context.Refusal!);
                continue;
            }
            rewritten.AddRange(result);
        }
        if (refused.Count > 0)
        {
            throw new OnnxModelException($"Model '{source}' cannot be written at opset {target}: {string.Join("; ", refused.Distinct().Take(8))}" +
                                         $"{(refused.Distinct().Count() > 8 ? "; …" : "")}. Export at opset {from} or pick a newer opset.");
        }
        graph.Node.Clear();
        graph.Node.AddRange(rewritten);
        import.Version = target;
        proto.IrVersion = target < from ? IrVersionOf(target) : Math.Max(proto.IrVersion, IrVersionOf(target));
    }

    private sealed class Conversion(NodeProto node, long from, long target, GraphBuilder names, GraphIndex index, Lazy<ShapeInference> shapes)
    {
        public string? Refusal { get; private set; }

        private bool Crosses(long version) => Math.Min(from, target) < version && Math.Max(from, target) >= version;

        private IEnumerable<NodeProto>? Refuse(string why)
        {
            Refusal = $"{node.OpType} node '{node.Name}' {why}";
            return null;
        }

        private string Label => node.Name.Length > 0 ? node.Name : node.Output[0];

        public IEnumerable<NodeProto>? Up()
        {
            if (ReductionsWithAxesInputFrom18.Contains(node.OpType) && Crosses(18))
            {
                if (Attr.Ints(node, "axes") is { } axes)
                {
                    RemoveAttributes("axes");
                    node.Input.Add(names.Int64s(axes));
                }
                return [node];
            }
            if (node.OpType == "GroupNormalization" && Crosses(21))
                return Refuse("changes the meaning of its scale at opset 21 (per channel, not per group)");
            return [node];
        }

        public IEnumerable<NodeProto>? Down()
        {
            switch (node.OpType)
            {
                case var op when ReductionsWithAxesInputFrom18.Contains(op) && Crosses(18):
                    return ReductionAxesAsAttribute();
                case "LayerNormalization" when target < 17:
                    return LayerNormalization();
                case "HardSwish" when target < 14:
                    // x · HardSigmoid(x) with α = 1/6, β = 1/2: the definition of HardSwish.
                    return Chain(x => [Node("HardSigmoid", [x], AttrFloat("alpha", 1f / 6f), AttrFloat("beta", 0.5f)), Node("Mul", [x, Last])]);
                case "Mish" when target < 18:
                    return Chain(x => [Node("Softplus", [x]), Node("Tanh", [Last]), Node("Mul", [x, Last])]);
                case "Gelu" when target < 20:
                    return Gelu();
                case "Reshape" when Crosses(14):
                    if (Attr.Int(node, "allowzero", 0) != 0)
                        return Refuse("keeps zero sizes (allowzero, opset 14)");
                    RemoveAttributes("allowzero");
                    return [node];
                case "BatchNormalization" when Crosses(14):
                    if (Attr.Int(node, "training_mode", 0) != 0)
                        return Refuse("runs in training mode (opset 14)");
                    RemoveAttributes("training_mode");
                    return [node];
                case "GRU" or "LSTM" or "RNN" when Crosses(14):
                    if (Attr.Int(node, "layout", 0) != 0)
                        return Refuse("takes batch-first tensors (layout, opset 14)");
                    RemoveAttributes("layout");
                    return [node];
                case "Shape" when Crosses(15) && node.Attribute.Any(a => a.Name is "start" or "end"):
                {
                    // Shape-15's start and end: the whole shape, then the same Slice.
                    long start = Attr.Int(node, "start", 0), end = Attr.Int(node, "end", long.MaxValue);
                    RemoveAttributes("start", "end");
                    string whole = names.Unique($"{Label}/whole");
                    string output = node.Output[0];
                    node.Output[0] = whole;
                    return [node, Named("Slice", [whole, names.Int64s(start), names.Int64s(end), names.Int64s(0)], output)];
                }
                case "Split" when Crosses(18) && node.Attribute.Any(a => a.Name == "num_outputs"):
                    // Split-13 without sizes splits evenly, as num_outputs does when the axis divides.
                    RemoveAttributes("num_outputs");
                    return [node];
                case "Resize" when Crosses(18) || Crosses(19):
                    if (Attr.Int(node, "antialias", 0) != 0 || Attr.Ints(node, "axes") is not null || Attr.String(node, "keep_aspect_ratio_policy", "stretch") != "stretch")
                        return Refuse("uses antialias, axes or keep_aspect_ratio_policy (opset 18)");
                    if (Attr.String(node, "coordinate_transformation_mode", "half_pixel") == "half_pixel_symmetric")
                        return Refuse("uses coordinate_transformation_mode half_pixel_symmetric (opset 19)");
                    RemoveAttributes("antialias", "keep_aspect_ratio_policy");
                    return [node];
                case "Pad" when Crosses(18):
                    if (Attr.String(node, "mode", "constant") == "wrap")
                        return Refuse("uses mode wrap (opset 19)");
                    if (node.Input.Count > 3 && node.Input[3].Length > 0)
                        return Refuse("pads chosen axes (opset 18)");
                    return [node];
                case "AveragePool" when Crosses(19):
                    if (Attr.Ints(node, "dilations") is { } dilations && dilations.Any(d => d != 1))
                        return Refuse("is dilated (opset 19)");
                    RemoveAttributes("dilations");
                    return [node];
                case "Cast" when Crosses(19):
                    RemoveAttributes("saturate");
                    return [node];
                case "ScatterElements" or "ScatterND" when target < 16 && Attr.String(node, "reduction", "none") != "none":
                    return Refuse($"reduces with '{Attr.String(node, "reduction", "none")}' (opset 16)");
                case var op when IntroducedAfter13.TryGetValue(op, out long since) && since > target:
                    return Refuse($"is an op of opset {since}");
                default:
                    return [node];
            }
        }

        private IEnumerable<NodeProto>? ReductionAxesAsAttribute()
        {
            bool noopWhenEmpty = Attr.Int(node, "noop_with_empty_axes", 0) != 0;
            RemoveAttributes("noop_with_empty_axes");
            if (node.Input.Count < 2 || node.Input[1].Length == 0)
            {
                if (noopWhenEmpty)
                    return [new NodeProto { OpType = "Identity", Name = node.Name, Input = { node.Input[0] }, Output = { node.Output[0] } }];
                return [node];
            }
            var axes = index.Int64s(node.Input[1]);
            if (axes is null)
                return Refuse("reads its axes from a computed tensor, which opset 17 and older cannot");
            node.Input.RemoveAt(1);
            if (axes.Length == 0 && noopWhenEmpty)
                return [new NodeProto { OpType = "Identity", Name = node.Name, Input = { node.Input[0] }, Output = { node.Output[0] } }];
            if (axes.Length > 0)
                node.Attribute.Add(AttrInts("axes", axes));
            return [node];
        }

        /// <summary>
        /// (x − mean) / √(mean(x²) − mean² + ε) · scale + bias over the axes from axis on, in the order ONNX Runtime's
        /// kernel computes it (so the written-out form rounds as the op does); Mean and InvStdDev as the op gives them.
        /// </summary>
        private IEnumerable<NodeProto>? LayerNormalization()
        {
            long axis = Attr.Int(node, "axis", -1);
            long[] axes;
            if (axis < 0)
            {
                axes = [.. Enumerable.Range(0, (int)-axis).Select(i => axis + i)];
            }
            else
            {
                var shape = shapes.Value[node.Input[0]];
                if (shape is null)
                    return Refuse("normalises from a non-negative axis of an input whose rank is unknown");
                axes = [.. Enumerable.Range((int)axis, shape.Rank - (int)axis).Select(i => (long)i)];
            }
            float epsilon = Attr.Float(node, "epsilon", 1e-5f);
            string x = node.Input[0], y = node.Output[0];
            string Output(int i, string hint) => node.Output.Count > i && node.Output[i].Length > 0 ? node.Output[i] : names.Unique($"{Label}/{hint}");
            string Temporary(string hint) => names.Unique($"{Label}/{hint}");
            string mean = Output(1, "mean"), inverse = Output(2, "inv_std_dev");
            string squares = Temporary("squares"), meanSquare = Temporary("mean_square"), meanSquared = Temporary("mean_squared");
            string variance = Temporary("variance"), shifted = Temporary("shifted"), deviation = Temporary("deviation");
            string centred = Temporary("centred"), normalised = Temporary("normalised");
            string scaled = node.Input.Count > 2 && node.Input[2].Length > 0 ? Temporary("scaled") : y;
            var nodes = new List<NodeProto>
            {
                Named("ReduceMean", [x], mean, AttrInts("axes", axes), AttrInt("keepdims", 1)),
                Named("Mul", [x, x], squares),
                Named("ReduceMean", [squares], meanSquare, AttrInts("axes", axes), AttrInt("keepdims", 1)),
                Named("Mul", [mean, mean], meanSquared),
                Named("Sub", [meanSquare, meanSquared], variance),
                Named("Add", [variance, names.Float(epsilon)], shifted),
                Named("Sqrt", [shifted], deviation),
                Named("Reciprocal", [deviation], inverse),
                Named("Sub", [x, mean], centred),
                Named("Div", [centred, deviation], normalised),
                Named("Mul", [normalised, node.Input[1]], scaled),
            };
            if (scaled != y)
                nodes.Add(Named("Add", [scaled, node.Input[2]], y));
            return nodes;
        }

        private IEnumerable<NodeProto> Gelu()
        {
            string x = node.Input[0];
            if (Attr.String(node, "approximate", "none") == "tanh")
            {
                // ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
                return Chain(_ =>
                [
                    Node("Mul", [x, x]), Node("Mul", [Last, x]), Node("Mul", [Last, names.Float(0.044715f)]), Node("Add", [x, Last]),
                    Node("Mul", [Last, names.Float(MathF.Sqrt(2f / MathF.PI))]), Node("Tanh", [Last]), Node("Add", [Last, names.Float(1f)]),
                    Node("Mul", [x, Last]), Node("Mul", [Last, names.Float(0.5f)]),
                ]);
            }
            // ½x(1 + erf(x/√2))
            return Chain(_ =>
            [
                Node("Div", [x, names.Float(MathF.Sqrt(2f))]), Node("Erf", [Last]), Node("Add", [Last, names.Float(1f)]),
                Node("Mul", [x, Last]), Node("Mul", [Last, names.Float(0.5f)]),
            ]);
        }

        // A chain of nodes, each able to read the previous one's output as Last; the final one writes the node's output.
        private const string Last = "\u0000last";

        private IEnumerable<NodeProto> Chain(Func<string, NodeProto[]> build)
        {
            var nodes = build(node.Input[0]);
            string previous = "";
            for (int i = 0; i < nodes.Length; i++)
            {
                for (int j = 0; j < nodes[i].Input.Count; j++)
                {
                    if (nodes[i].Input[j] == Last)
                        nodes[i].Input[j] = previous;
                }
                nodes[i].Output.Add(i == nodes.Length - 1 ? node.Output[0] : names.Unique($"{Label}/{nodes[i].OpType.ToLowerInvariant()}"));
                previous = nodes[i].Output[0];
            }
            return nodes;
        }

        private NodeProto Node(string op, string[] inputs, params AttributeProto[] attributes) =>
            new() { OpType = op, Name = names.Unique($"{Label}/{op}"), Input = { inputs }, Attribute = { attributes } };

        private NodeProto Named(string op, string[] inputs, string output, params AttributeProto[] attributes) =>
            new() { OpType = op, Name = names.Unique($"{Label}/{op}"), Input = { inputs }, Output = { output }, Attribute = { attributes } };

        private void RemoveAttributes(params string[] attributeNames)
        {
            foreach (var a in node.Attribute.Where(a => attributeNames.Contains(a.Name)).ToList())
                node.Attribute.Remove(a);
        }
    }
}
