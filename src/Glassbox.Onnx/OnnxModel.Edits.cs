using System.Collections.Immutable;
using Glassbox.Onnx.Graph;
using Glassbox.Onnx.Protos;
using Google.Protobuf;

namespace Glassbox.Onnx;

/// <summary>A model whose chosen tensor is multiplied by a per-channel gate before anything reads it.</summary>
/// <param name="GateInput">Extra input of shape [batch, channels, 1, 1]: 1 keeps a channel, 0 removes it.</param>
public sealed record ChannelGatedModel(OnnxModel Model, string Tensor, string GateInput, int Channels);

/// <summary>A layer with learned weights: the unit the model-randomisation sanity check re-initialises.</summary>
/// <param name="Parameters">Initializer names of its weight and bias.</param>
public sealed record ParameterLayer(string Name, string OpType, ImmutableArray<string> Parameters);

public sealed partial class OnnxModel
{
    private static readonly ImmutableHashSet<string> WeightOps = ["Conv", "ConvTranspose", "Gemm", "MatMul"];

    /// <summary>
    /// A copy whose input <paramref name="input"/> has the concrete <paramref name="shape"/> in place
    /// of its free dimensions (the sizes it fixes must agree). Derived graphs of it use static
    /// shapes throughout; the model as given serves every size with shapes read at run time.
    /// </summary>
    public OnnxModel WithInputShape(string input, TensorShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var info = Inputs.FirstOrDefault(i => i.Name == input) ?? throw new OnnxModelException($"Model '{Source}' has no input '{input}'. Its inputs are {string.Join(", ", Inputs.Select(i => $"'{i.Name}'"))}.");
        if (shape.Rank != info.Shape.Rank || !shape.IsFullyKnown || Enumerable.Range(0, shape.Rank).Any(i => info.Shape[i] != TensorShape.Dynamic && info.Shape[i] != shape[i]))
            throw new OnnxModelException($"Input '{input}' of '{Source}' has shape {info.Shape}; {shape} does not fit it. Give every size, keeping the ones the model fixes.");
        var proto = CopyForEditing();
        var dims = proto.Graph.Input.First(i => i.Name == input).Type.TensorType.Shape.Dim;
        for (int i = 0; i < dims.Count; i++)
            dims[i] = new TensorShapeProto.Types.Dimension { DimValue = shape[i] };
        // Shapes the exporter recorded for intermediate tensors may name the free sizes; they are inferred again from the input.
        proto.Graph.ValueInfo.Clear();
        return FromProto(proto, Source);
    }

    /// <summary>
    /// A copy written at <paramref name="opset"/> (13 to 23) that computes the same: for an engine that stops at an
    /// older opset (Unity Sentis up to 2.5 reads 15) or a runtime that wants a newer one. Ops without an older form
    /// are written out with older ops (LayerNormalization, Gelu, HardSwish, Mish); anything that has none is refused
    /// by name. Models older than 13 are upgraded first.
    /// </summary>
    public OnnxModel AtOpset(long opset)
    {
        var proto = CopyForEditing();
        Graph.OpsetUpgrade.Apply(proto, Source);
        Graph.OpsetConversion.Apply(proto, opset, Source);
        return FromProto(proto, Source);
    }

    /// <summary>
    /// The part of the model that computes <paramref name="outputs"/>: they become its only outputs, and the nodes and
    /// initializers they do not depend on are left out. What runs an inner layer alone (feature visualisation of an
    /// early channel need not run the layers after it).
    /// </summary>
    public OnnxModel UpTo(IEnumerable<string> outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        var names = outputs.Distinct(StringComparer.Ordinal).ToList();
        if (names.Count == 0)
            throw new OnnxModelException("Name at least one tensor for the model to compute.");
        var proto = WithExtraOutputs(names).CopyForEditing();
        var kept = new HashSet<string>(names, StringComparer.Ordinal);
        var needed = new HashSet<string>(names, StringComparer.Ordinal);
        var nodes = new List<NodeProto>();
        // Back from the outputs, in reverse graph order: a node stays when it makes a needed tensor.
        for (int i = proto.Graph.Node.Count - 1; i >= 0; i--)
        {
            var node = proto.Graph.Node[i];
            if (!node.Output.Any(needed.Contains))
                continue;
            nodes.Add(node);
            foreach (string input in node.Input)
            {
                if (input.Length > 0)
                    needed.Add(input);
            }
        }
        nodes.Reverse();
        proto.Graph.Node.Clear();
        proto.Graph.Node.AddRange(nodes);
        var outputsKept = proto.Graph.Output.Where(o => kept.Contains(o.Name)).ToList();
        proto.Graph.Output.Clear();
        proto.Graph.Output.AddRange(outputsKept);
        var initializers = proto.Graph.Initializer.Where(t => needed.Contains(t.Name)).ToList();
        proto.Graph.Initializer.Clear();
        proto.Graph.Initializer.AddRange(initializers);
        var info = proto.Graph.ValueInfo.Where(v => needed.Contains(v.Name)).ToList();
        proto.Graph.ValueInfo.Clear();
        proto.Graph.ValueInfo.AddRange(info);
        return FromProto(proto, Source);
    }

    /// <summary>The values of a float initializer (weights, biases); null when there is none of that name or it is not float.</summary>
    public float[]? InitializerValues(string name)
    {
        var tensor = _proto.Graph.Initializer.FirstOrDefault(t => t.Name == name);
        return tensor is null || tensor.DataType != (int)TensorProto.Types.DataType.Float ? null : TensorValues.Floats(tensor);
    }

    /// <summary>Nodes that multiply by learned weights (Conv, ConvTranspose, Gemm, MatMul with an initializer operand), in graph order.</summary>
    public IReadOnlyList<ParameterLayer> ParameterLayers()
    {
        var floats = _proto.Graph.Initializer.Where(t => t.DataType == (int)TensorProto.Types.DataType.Float && t.Dims.Count >= 1)
            .Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        return Nodes.Where(n => WeightOps.Contains(n.OpType))
            .Select(n => new ParameterLayer(n.Name, n.OpType, n.Inputs.Where(floats.Contains).ToImmutableArray()))
            .Where(l => l.Parameters.Length > 0)
            .ToList();
    }

    /// <summary>
    /// A copy in which every reader of <paramref name="tensor"/> (rank 4, [batch, channels, height, width])
    /// reads it multiplied by a gate input instead: the tool for ablating channels in a batch, one
    /// pattern per batch row. The tensor itself stays readable as a tap.
    /// </summary>
    public ChannelGatedModel WithChannelGate(string tensor)
    {
        if (!_producers.ContainsKey(tensor))
            throw new OnnxModelException($"Model '{Source}' has no intermediate tensor named '{tensor}' to gate. {SuggestNames(tensor)}Pick one from the layer listing.");
        var shapes = new ShapeInference(new GraphIndex(_proto.Graph), Opsets.GetValueOrDefault("ai.onnx", 0));
        if (shapes[tensor] is not { Rank: 4 } shape || shape[1] < 1)
            throw new OnnxModelException($"Channel gating needs a [batch, channels, height, width] tensor; '{tensor}' is {shapes[tensor]?.ToString() ?? "of unknown shape"}.");

        var copy = CopyForEditing();
        var graph = copy.Graph;
        var names = new Gradients.GraphBuilder(graph, prefix: "");
        string gate = names.Unique($"channel_gate:{tensor}");
        string gated = names.Unique($"gated:{tensor}");
        var batch = shape.SymbolAt(0) is { } symbol ? new TensorShapeProto.Types.Dimension { DimParam = symbol }
            : shape[0] > 0 ? new TensorShapeProto.Types.Dimension { DimValue = shape[0] } : new TensorShapeProto.Types.Dimension { DimParam = "batch" };
        graph.Input.Add(new ValueInfoProto
        {
            Name = gate,
            Type = new TypeProto
            {
                TensorType = new TypeProto.Types.Tensor
                {
                    ElemType = (int)TensorProto.Types.DataType.Float,
                    Shape = new TensorShapeProto { Dim = { batch, Fixed(shape[1]), Fixed(1), Fixed(1) } },
                },
            },
        });
        int firstReader = -1;
        for (int i = 0; i < graph.Node.Count; i++)
        {
            var inputs = graph.Node[i].Input;
            for (int j = 0; j < inputs.Count; j++)
            {
                if (inputs[j] != tensor)
                    continue;
                inputs[j] = gated;
                if (firstReader < 0)
                    firstReader = i;
            }
        }
        if (firstReader < 0)
            throw new OnnxModelException($"No node reads '{tensor}', so gating its channels changes nothing; pick a tensor the rest of the model uses.");
        graph.Node.Insert(firstReader, new NodeProto { OpType = "Mul", Name = names.Unique($"gate:{tensor}"), Input = { tensor, gate }, Output = { gated } });
        return new ChannelGatedModel(new OnnxModel(copy, Source), tensor, gate, (int)shape[1]);
    }

    /// <summary>
    /// A copy in which the named float initializers hold fresh zero-mean Gaussian values with each
    /// one's own standard deviation: the re-initialisation of the cascading randomisation check
    /// (Adebayo et al. 2018), zero-mean like the initialisers of the frameworks, so no trained bias
    /// of the weights survives. The same seed gives the same values on every machine.
    /// </summary>
    public OnnxModel WithRandomisedParameters(IEnumerable<string> initializerNames, int seed)
    {
        var names = initializerNames.ToHashSet(StringComparer.Ordinal);
        var copy = CopyForEditing();
        var initializers = copy.Graph.Initializer;
        var missing = names.Where(n => initializers.All(t => t.Name != n)).ToList();
        if (missing.Count > 0)
            throw new OnnxModelException($"Model '{Source}' has no initializer {string.Join(", ", missing.Select(m => $"'{m}'"))}; take the names from ParameterLayers().");
        var random = new Random(seed);
        for (int i = 0; i < initializers.Count; i++)
        {
            var original = initializers[i];
            if (!names.Contains(original.Name))
                continue;
            if (original.DataType != (int)TensorProto.Types.DataType.Float)
                throw new OnnxModelException($"Initializer '{original.Name}' is not float32; only float parameters can be re-initialised.");
            var values = TensorValues.Floats(original)!;
            double mean = values.Length == 0 ? 0 : values.Average(v => (double)v);
            double std = values.Length < 2 ? 0 : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
            if (std == 0)
                std = Math.Max(Math.Abs(mean), 1e-2);
            var fresh = new float[values.Length];
            for (int k = 0; k < fresh.Length; k++)
                fresh[k] = (float)(std * random.NextGaussian());
            var bytes = new byte[fresh.Length * sizeof(float)];
            Buffer.BlockCopy(fresh, 0, bytes, 0, bytes.Length);
            // Initializers are shared with this model by CopyForEditing, so replace, never modify.
            initializers[i] = new TensorProto { Name = original.Name, DataType = original.DataType, Dims = { original.Dims }, RawData = ByteString.CopyFrom(bytes) };
        }
        return new OnnxModel(copy, Source);
    }

    private static TensorShapeProto.Types.Dimension Fixed(long size) => new() { DimValue = size };
}

/// <summary>A global average pool followed by one linear layer: the structure CAM is defined on.</summary>
/// <param name="Weights">Row-major [classes, channels]: the class score is Σ_c Weights[k, c] · mean(A_c) + Bias[k].</param>
public sealed record LinearHead(string Layer, string Output, int Classes, int Channels, float[] Weights, float[] Bias);

public sealed partial class OnnxModel
{
    private static readonly ImmutableHashSet<string> ReshapeOps = ["Flatten", "Reshape", "Squeeze", "Identity"];

    /// <summary>
    /// The classifier after <paramref name="layer"/> when it is global average pooling then one
    /// linear layer (Gemm, or MatMul with an optional bias Add) producing <paramref name="output"/>;
    /// otherwise throws an error that says what was found instead.
    /// </summary>
    public LinearHead LinearHeadAfter(string layer, string output)
    {
        var graph = _proto.Graph;
        var index = new GraphIndex(graph);
        NodeProto? Reader(string tensor)
        {
            var readers = graph.Node.Where(n => n.Input.Contains(tensor)).ToList();
            return readers.Count == 1 ? readers[0] : null;
        }
        string Fail(string found) =>
            throw new OnnxModelException($"CAM needs '{layer}' to be followed by global average pooling and one linear layer giving '{output}'; {found}. " +
                                         "Use Grad-CAM, which equals CAM on such models and works on any.");

        var pool = Reader(layer);
        if (pool is null)
            Fail($"'{layer}' is read by {graph.Node.Count(n => n.Input.Contains(layer))} nodes, not one pooling node");
        bool isGlobalMean = pool!.OpType == "GlobalAveragePool"
            || pool.OpType == "ReduceMean" && ReduceAxes(pool, index) is { } axes && axes.Order().SequenceEqual([2L, 3L]);
        if (!isGlobalMean)
            Fail($"it is read by {pool.OpType} '{pool.Name}'");
        string current = pool.Output[0];
        var next = Reader(current);
        while (next is not null && ReshapeOps.Contains(next.OpType))
        {
            current = next.Output[0];
            next = Reader(current);
        }
        if (next is null)
            Fail($"nothing linear reads the pooled '{current}'");
        float[]? weights = null, bias = null;
        int classes = 0, channels = 0;
        if (next!.OpType == "Gemm" && next.Input[0] == current && index.Floats(next.Input[1]) is { } b)
        {
            var dims = index.Constant(next.Input[1])!.Dims;
            bool transB = Attr.Int(next, "transB", 0) != 0;
            float alpha = Attr.Float(next, "alpha", 1f), beta = Attr.Float(next, "beta", 1f);
            (classes, channels) = transB ? ((int)dims[0], (int)dims[1]) : ((int)dims[1], (int)dims[0]);
            weights = new float[classes * channels];
            for (int k = 0; k < classes; k++)
            {
                for (int c = 0; c < channels; c++)
                    weights[k * channels + c] = alpha * (transB ? b[k * channels + c] : b[c * classes + k]);
            }
            bias = next.Input.Count > 2 && index.Floats(next.Input[2]) is { } cb ? cb.Select(v => beta * v).ToArray() : new float[classes];
        }
        else if (next.OpType == "MatMul" && next.Input[0] == current && index.Floats(next.Input[1]) is { } m)
        {
            var dims = index.Constant(next.Input[1])!.Dims;
            (channels, classes) = ((int)dims[0], (int)dims[1]);
            weights = new float[classes * channels];
            for (int k = 0; k < classes; k++)
            {
                for (int c = 0; c < channels; c++)
                    weights[k * channels + c] = m[c * classes + k];
            }
            bias = new float[classes];
            var add = Reader(next.Output[0]);
            if (add is { OpType: "Add" } && add.Input.FirstOrDefault(i => i != next.Output[0]) is { } biasName && index.Floats(biasName) is { } ab)
            {
                bias = ab;
                next = add;
            }
        }
        else
        {
            Fail($"the pooled features go to {next.OpType} '{next.Name}', which is not a linear layer with constant weights");
        }
        string produced = next.Output[0];
        while (produced != output && Reader(produced) is { OpType: "Identity" } identity)
            produced = identity.Output[0];
        if (produced != output)
            Fail($"the linear layer gives '{produced}', not '{output}'");
        if (bias!.Length != classes)
            bias = Enumerable.Repeat(bias.Length == 1 ? bias[0] : 0f, classes).ToArray();
        return new LinearHead(layer, output, classes, channels, weights!, bias);
    }

    private static long[]? ReduceAxes(NodeProto node, GraphIndex index)
    {
        var attribute = node.Attribute.FirstOrDefault(a => a.Name == "axes");
        long[]? axes = attribute is not null ? attribute.Ints.ToArray() : node.Input.Count > 1 ? index.Int64s(node.Input[1]) : null;
        return axes?.Select(a => a < 0 ? a + 4 : a).ToArray();
    }
}
