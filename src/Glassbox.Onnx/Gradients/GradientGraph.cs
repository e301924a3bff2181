using System.Collections.Immutable;
using System.Diagnostics;
using Glassbox.Onnx.Graph;
using Glassbox.Onnx.Protos;
using static Glassbox.Onnx.Gradients.GraphBuilder;

namespace Glassbox.Onnx.Gradients;

/// <summary>
/// A model that computes, in the same run as its forward pass, the gradient of one output with
/// respect to chosen tensors. The gradient is of <c>sum(seed · output)</c>, where the seed is an
/// extra input of the output's shape: a one-hot row picks a class, any weighting works. Built only
/// from standard ONNX operators, so it runs on every execution provider.
/// </summary>
public sealed class GradientGraph
{
    /// <summary>
    /// The oldest opset a model may use. Graphs older than 13 (the opset the rules are written for)
    /// are upgraded on the derivation's copy first; the user's model is untouched.
    /// </summary>
    public const long MinimumOpset = OpsetUpgrade.Oldest;

    // ScatterElements with reduction="add" (the MaxPool rule) needs 16; older models are lifted to it.
    private const long EmittedOpset = 16;

    private GradientGraph(OnnxModel model, string output, string seedInput, string? topClassWeightInput,
                          ImmutableDictionary<string, string> gradientOutputs, int backwardNodes, TimeSpan derivationTime, BackwardPass backward)
    {
        Model = model;
        Backward = backward;
        Output = output;
        SeedInput = seedInput;
        TopClassWeightInput = topClassWeightInput;
        GradientOutputs = gradientOutputs;
        BackwardNodeCount = backwardNodes;
        DerivationTime = derivationTime;
    }

    /// <summary>The forward model with the backward nodes, the seed input and the gradient outputs added.</summary>
    public OnnxModel Model { get; }

    /// <summary>The rules the backward nodes follow.</summary>
    public BackwardPass Backward { get; }

    /// <summary>The differentiated output.</summary>
    public string Output { get; }

    /// <summary>Name of the extra input: weights of the output's shape.</summary>
    public string SeedInput { get; }

    /// <summary>
    /// With <c>seedTopClass</c>, a one-element input w: the graph adds w · onehot(argmax(output)) to
    /// the seed, so the top class is explained in the same run that finds it (w = 1, seed all zero).
    /// Zero-filled it changes nothing. Null when not asked for.
    /// </summary>
    public string? TopClassWeightInput { get; }

    /// <summary>For each requested tensor, the name of the graph output holding its gradient.</summary>
    public ImmutableDictionary<string, string> GradientOutputs { get; }

    public int BackwardNodeCount { get; }

    public TimeSpan DerivationTime { get; }

    /// <summary>
    /// Derives the gradient of <paramref name="output"/> with respect to each of
    /// <paramref name="withRespectTo"/> (intermediate tensors or graph inputs). Only nodes on a
    /// path between them get backward nodes; no parameter gradients are computed. Throws
    /// <see cref="OnnxModelException"/> naming every node whose op has no rule; nothing is returned half-built.
    /// </summary>
    /// <param name="seedTopClass">Add <see cref="TopClassWeightInput"/>; needs an output of shape [batch, classes].</param>
    /// <param name="backward">The rules to derive with; null for the true gradient.</param>
    /// <param name="opset">
    /// The opset the derived graph is written at (13 to 23; an engine that stops at 15 gets 15), its rules choosing
    /// ops that opset has; null for the model's own, lifted to 16 where a rule prefers ScatterElements' reduction.
    /// </param>
    public static GradientGraph Derive(OnnxModel model, string output, IEnumerable<string> withRespectTo, bool seedTopClass = false, BackwardPass? backward = null,
                                       long? opset = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (opset is long wanted)
            OpsetConversion.CheckTarget(wanted);
        backward ??= BackwardPass.Gradient;
        var timer = Stopwatch.StartNew();
        var targets = withRespectTo.Distinct().ToList();
        if (targets.Count == 0)
            throw new OnnxModelException("Name at least one tensor to differentiate with respect to (an intermediate tensor or the model input).");
        foreach (var name in targets.Append(output))
        {
            if (!model.HasTensor(name))
                throw new OnnxModelException($"Model '{model.Source}' has no tensor named '{name}'. Pick one from the layer listing.");
        }
        var proto = model.CopyForEditing();
        OpsetUpgrade.Apply(proto, model.Source);
        long modelOpset = proto.OpsetImport.FirstOrDefault(o => o.Domain.Length == 0 || o.Domain == "ai.onnx")?.Version ?? 0;
        var graph = proto.Graph;
        var nodes = TopologicalOrder(graph, model.Source);
        graph.Node.Clear();
        graph.Node.AddRange(nodes);
        var index = new GraphIndex(graph);
        var shapes = new ShapeInference(index, modelOpset);

        var (relevant, needed) = Path(nodes, targets, output);
        var builder = new GraphBuilder(graph, "grad/") { OpsetCeiling = opset };
        var lrp = backward.Composite is { } composite ? LrpPlan.Make(composite, relevant, needed, index, shapes, builder, output) : null;
        var missing = relevant.Where(n => lrp is null ? !backward.HasRule(n.OpType) : !lrp.Covers(n)).ToList();
        if (missing.Count > 0)
        {
            throw new OnnxModelException(
                $"No {(backward == BackwardPass.Gradient ? "gradient" : backward.Name)} rule for {string.Join(", ", missing.Select(n => n.OpType).Distinct())} on the path from {string.Join(", ", targets.Select(t => $"'{t}'"))} to '{output}' " +
                $"(nodes {string.Join(", ", missing.Take(10).Select(n => $"'{NameOf(n)}'"))}{(missing.Count > 10 ? ", …" : "")}). " +
                "Gradient-free explanations (occlusion, RISE, Score-CAM) still work on this model.");
        }

        string seed = builder.Unique($"seed:{output}");
        var outputInfo = graph.Output.FirstOrDefault(o => o.Name == output)
                         ?? graph.ValueInfo.FirstOrDefault(v => v.Name == output);
        graph.Input.Add(SeedInfo(seed, outputInfo, shapes[output]));

        string? topClassWeight = null;
        string effectiveSeed = seed;
        if (seedTopClass)
        {
            var outputShape = shapes[output];
            if (outputShape is not { Rank: 2 } || outputShape[1] < 1)
                throw new OnnxModelException($"Seeding the top class needs output '{output}' to be [batch, classes]; it is {outputShape?.ToString() ?? "of unknown shape"}. Give the seed explicitly instead.");
            topClassWeight = builder.Unique($"top_class_weight:{output}");
            graph.Input.Add(new ValueInfoProto
            {
                Name = topClassWeight,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = ShapeProto(TensorShape.Of(1)) } },
            });
            builder.Scope = "top_class";
            // ArgMax keeps the first of equal maxima, as a loop over the scores would.
            string top = builder.Op("ArgMax", [output], AttrInt("axis", -1), AttrInt("keepdims", 0));
            string oneHot = builder.Op("OneHot", [top, builder.Int64s(outputShape[1]), builder.Floats([0f, 1f], [2])], AttrInt("axis", -1));
            effectiveSeed = builder.Add(seed, builder.Mul(oneHot, topClassWeight));
        }

        if (backward.SeedsRelevance)
        {
            // Relevance starts as the explained output itself: the seed picks it, the output gives its value.
            builder.Scope = "relevance";
            effectiveSeed = builder.Mul(effectiveSeed, output);
        }
        var contributions = new Dictionary<string, List<string>>(StringComparer.Ordinal) { [output] = [effectiveSeed] };
        string Total(string tensor)
        {
            var list = contributions[tensor];
            if (list.Count > 1)
            {
                builder.Scope = "sum";
                contributions[tensor] = list = [builder.Sum(list)];
            }
            return list[0];
        }

        int before = graph.Node.Count;
        try
        {
            foreach (var node in relevant)
            {
                var outputGradients = node.Output.Select(o => contributions.ContainsKey(o) ? Total(o) : null).ToArray();
                if (outputGradients.All(g => g is null))
                    continue;
                if (lrp?.FunctionInput(node) is { } functionInput)
                {
                    // An elementwise function of one tensor hands its relevance to that tensor whole.
                    builder.Scope = NameOf(node);
                    if (!contributions.TryGetValue(functionInput, out var passed))
                        contributions[functionInput] = passed = [];
                    passed.Add(builder.Op("Identity", outputGradients[0]!));
                    continue;
                }
                var needs = node.Input.Select((input, j) => input.Length > 0 && needed.Contains(input) && GradientRules.IsDifferentiableInput(node.OpType, j)).ToArray();
                builder.Scope = NameOf(node);
                string?[] inputGradients;
                try
                {
                    inputGradients = (lrp?.RuleFor(node) ?? backward.RuleFor(node.OpType))(new RuleContext(node, NameOf(node), builder, shapes, index, outputGradients, needs));
                }
                catch (Exception e) when (e is ArgumentException or OverflowException or IndexOutOfRangeException or InvalidOperationException or FormatException)
                {
                    // A model file is untrusted: attributes and shapes that contradict each other end here, named.
                    throw new GradientRuleException($"node '{NameOf(node)}' ({node.OpType}) has attributes or shapes that do not fit together ({e.Message}).");
                }
                for (int j = 0; j < node.Input.Count; j++)
                {
                    if (!needs[j] || j >= inputGradients.Length || inputGradients[j] is not { } g)
                        continue;
                    if (!contributions.TryGetValue(node.Input[j], out var list))
                        contributions[node.Input[j]] = list = [];
                    list.Add(g);
                }
            }
        }
        catch (GradientRuleException e)
        {
            throw new OnnxModelException($"Cannot derive the gradient of '{output}' in '{model.Source}': {e.Message}");
        }

        var gradientOutputs = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var target in targets)
        {
            builder.Scope = "";
            string name = builder.Unique($"gradient:{target}");
            string value = contributions.ContainsKey(target) ? Total(target) : throw new OnnxModelException($"'{output}' does not depend on '{target}' through differentiable operations.");
            graph.Node.Add(new NodeProto { OpType = "Identity", Name = builder.Unique("identity"), Input = { value }, Output = { name } });
            graph.Output.Add(GradientInfo(name, shapes[target]));
            gradientOutputs[target] = name;
        }

        if (opset is long written)
        {
            OpsetConversion.Apply(proto, written, model.Source);
        }
        else
        {
            foreach (var import in proto.OpsetImport.Where(o => o.Domain.Length == 0 || o.Domain == "ai.onnx"))
                import.Version = Math.Max(import.Version, EmittedOpset);
            // Opset 16 needs IR version 8; older files (IR 3 listed initializers as inputs) read the same at 8.
            proto.IrVersion = Math.Max(proto.IrVersion, 8);
        }
        var derived = OnnxModel.FromProto(proto, model.Source);
        return new GradientGraph(derived, output, seed, topClassWeight, gradientOutputs.ToImmutable(), graph.Node.Count - before, timer.Elapsed, backward);
    }

    /// <summary>
    /// Which ops lie on the gradient path from <paramref name="withRespectTo"/> to <paramref name="output"/>
    /// (after the upgrade an older opset gets) and whether each has a rule: what a model doctor shows
    /// before anything is derived. Throws when the output does not depend on the tensor.
    /// </summary>
    public static IReadOnlyList<OpCoverage> Coverage(OnnxModel model, string output, string withRespectTo)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var name in new[] { withRespectTo, output })
        {
            if (!model.HasTensor(name))
                throw new OnnxModelException($"Model '{model.Source}' has no tensor named '{name}'. Pick one from the layer listing.");
        }
        var proto = model.CopyForEditing();
        OpsetUpgrade.Apply(proto, model.Source);
        var nodes = TopologicalOrder(proto.Graph, model.Source);
        var (relevant, _) = Path(nodes, [withRespectTo], output);
        return relevant.GroupBy(n => n.OpType).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new OpCoverage(g.Key, g.Count(), GradientRules.Rules.ContainsKey(g.Key), [.. g.Reverse().Take(5).Select(NameOf)]))
            .ToList();
    }

    /// <summary>
    /// The nodes between the targets and the output that carry gradient (in reverse order), and the
    /// tensors whose gradient is needed.
    /// </summary>
    private static (List<NodeProto> Relevant, HashSet<string> Needed) Path(List<NodeProto> nodes, List<string> targets, string output)
    {
        // Forward: tensors that carry gradient from a requested tensor.
        var active = targets.ToHashSet(StringComparer.Ordinal);
        var activeNodes = new HashSet<NodeProto>();
        foreach (var node in nodes)
        {
            if (GradientRules.NonDifferentiable.Contains(node.OpType) || node.Domain.Length > 0 && node.Domain != "ai.onnx")
                continue;
            if (node.Input.Where((input, i) => input.Length > 0 && GradientRules.IsDifferentiableInput(node.OpType, i)).Any(active.Contains))
            {
                activeNodes.Add(node);
                foreach (var o in node.Output.Where(o => o.Length > 0))
                    active.Add(o);
            }
        }
        if (!active.Contains(output))
            throw new OnnxModelException($"Output '{output}' does not depend on {string.Join(", ", targets.Select(t => $"'{t}'"))} through differentiable operations, so the gradient is zero; pick tensors upstream of it.");

        // Backward: of those, the nodes the output depends on.
        var needed = new HashSet<string>(StringComparer.Ordinal) { output };
        var relevant = new List<NodeProto>();
        for (int i = nodes.Count - 1; i >= 0; i--)
        {
            var node = nodes[i];
            if (!activeNodes.Contains(node) || !node.Output.Any(needed.Contains))
                continue;
            relevant.Add(node);
            for (int j = 0; j < node.Input.Count; j++)
            {
                if (node.Input[j].Length > 0 && active.Contains(node.Input[j]) && GradientRules.IsDifferentiableInput(node.OpType, j))
                    needed.Add(node.Input[j]);
            }
        }
        return (relevant, needed);
    }

    /// <summary>
    /// Nodes ordered so each comes after the producers of its inputs. ONNX requires files to be in
    /// such an order already; this keeps a file that is not from silently giving wrong gradients.
    /// </summary>
    private static List<NodeProto> TopologicalOrder(GraphProto graph, string source)
    {
        var available = graph.Input.Select(i => i.Name).Concat(graph.Initializer.Select(i => i.Name)).Append("").ToHashSet(StringComparer.Ordinal);
        var producedBy = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < graph.Node.Count; i++)
        {
            foreach (var output in graph.Node[i].Output)
                producedBy[output] = i;
        }
        var done = new bool[graph.Node.Count];
        var order = new List<NodeProto>(graph.Node.Count);
        var visiting = new bool[graph.Node.Count];
        var stack = new Stack<(int Node, int NextInput)>();
        for (int start = 0; start < graph.Node.Count; start++)
        {
            if (done[start])
                continue;
            stack.Push((start, 0));
            visiting[start] = true;
            while (stack.Count > 0)
            {
                var (node, next) = stack.Pop();
                var inputs = graph.Node[node].Input;
                if (next < inputs.Count)
                {
                    stack.Push((node, next + 1));
                    if (!available.Contains(inputs[next]) && producedBy.TryGetValue(inputs[next], out int producer) && !done[producer])
                    {
                        if (visiting[producer])
                            throw new OnnxModelException($"Model '{source}' has a cycle through node '{NameOf(graph.Node[producer])}'; an ONNX graph must be acyclic.");
                        visiting[producer] = true;
                        stack.Push((producer, 0));
                    }
                    continue;
                }
                visiting[node] = false;
                done[node] = true;
                order.Add(graph.Node[node]);
            }
        }
        return order;
    }

    private static string NameOf(NodeProto node) => node.Name.Length > 0 ? node.Name : $"{node.OpType}→{node.Output.FirstOrDefault()}";

    /// <summary>
    /// The seed has the output's shape. Its free dimensions are all named (the output's names, else
    /// "output:axis"), so a run can give their sizes.
    /// </summary>
    private static ValueInfoProto SeedInfo(string name, ValueInfoProto? output, TensorShape? shape)
    {
        var info = new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } };
        var known = output?.Type?.TensorType?.Shape;
        if (known is not null && known.Dim.Count > 0)
            info.Type.TensorType.Shape = known.Clone();
        else if (shape is not null)
            info.Type.TensorType.Shape = ShapeProto(shape);
        else
            return info;
        var dims = info.Type.TensorType.Shape.Dim;
        for (int i = 0; i < dims.Count; i++)
        {
            if (dims[i].ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && string.IsNullOrEmpty(dims[i].DimParam))
                dims[i] = new TensorShapeProto.Types.Dimension { DimParam = $"{output?.Name ?? name}:{i}" };
        }
        return info;
    }

    private static ValueInfoProto GradientInfo(string name, TensorShape? shape)
    {
        var info = new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } };
        if (shape is not null)
            info.Type.TensorType.Shape = ShapeProto(shape);
        return info;
    }

    private static TensorShapeProto ShapeProto(TensorShape shape)
    {
        var proto = new TensorShapeProto();
        for (int i = 0; i < shape.Rank; i++)
        {
            proto.Dim.Add(shape[i] >= 0 ? new TensorShapeProto.Types.Dimension { DimValue = shape[i] }
                : shape.SymbolAt(i) is { } symbol ? new TensorShapeProto.Types.Dimension { DimParam = symbol }
                : new TensorShapeProto.Types.Dimension());
        }
        return proto;
    }
}

/// <summary>One op type on a gradient path: how many nodes, whether it has a backward rule, and a few of its nodes.</summary>
public sealed record OpCoverage(string OpType, int Count, bool HasRule, ImmutableArray<string> Nodes);
