using Glassbox.Onnx.Gradients;
using Glassbox.Onnx.Protos;
using Google.Protobuf;

namespace Glassbox.Onnx;

/// <summary>An attribute of a node added by <see cref="OnnxGraphBuilder"/>.</summary>
public sealed class OnnxAttribute
{
    private OnnxAttribute(AttributeProto proto) => Proto = proto;

    internal AttributeProto Proto { get; }

    public static OnnxAttribute Int(string name, long value) => new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value });

    public static OnnxAttribute Ints(string name, params long[] values) => new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { values } });

    public static OnnxAttribute Float(string name, float value) => new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value });

    public static OnnxAttribute String(string name, string value) => new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) });

    /// <summary>A one-element float tensor (ConstantOfShape's value).</summary>
    public static OnnxAttribute FloatTensor(string name, float value) => new(new AttributeProto
    {
        Name = name, Type = AttributeProto.Types.AttributeType.Tensor,
        T = new TensorProto { DataType = (int)TensorProto.Types.DataType.Float, Dims = { 1 }, FloatData = { value } },
    });
}

/// <summary>
/// Adds standard ONNX nodes to a copy of a model: the post-processing of an exported explainer, say. Names are
/// made unique under a prefix; the model it started from is not changed. Nodes go at the end of the graph unless
/// they compute a replaced input, which go before the first node that reads it.
/// </summary>
public sealed class OnnxGraphBuilder
{
    private readonly ModelProto _proto;
    private readonly GraphBuilder _nodes;

    private OnnxGraphBuilder(ModelProto proto, string prefix)
    {
        _proto = proto;
        _nodes = new GraphBuilder(proto.Graph, prefix);
    }

    public static OnnxGraphBuilder From(OnnxModel model, string prefix)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new OnnxGraphBuilder(model.CopyForEditing(), prefix);
    }

    /// <summary>The default-domain opset the graph declares.</summary>
    public long Opset => _proto.OpsetImport.Where(o => o.Domain.Length == 0 || o.Domain == "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();

    public string Op(string type, IEnumerable<string> inputs, params OnnxAttribute[] attributes) => Op(type, inputs, 1, attributes)[0];

    public string Op(string type, params string[] inputs) => Op(type, (IEnumerable<string>)inputs);

    public string[] Op(string type, IEnumerable<string> inputs, int outputs, params OnnxAttribute[] attributes) =>
        _nodes.OpMulti(type, inputs, outputs, [.. attributes.Select(a => a.Proto)]);

    public string Int64s(params long[] values) => _nodes.Int64s(values);

    /// <summary>A float scalar (rank 0).</summary>
    public string Float(float value) => _nodes.Float(value);

    public string Floats(float[] values, long[] dims) => _nodes.Floats(values, dims);

    /// <summary>
    /// Turns graph input <paramref name="input"/> into a value the graph computes: <paramref name="value"/> adds the
    /// nodes (they may read any tensor made before the input's first reader) and returns the tensor to use.
    /// </summary>
    public void ReplaceInput(string input, Func<OnnxGraphBuilder, string> value)
    {
        var graph = _proto.Graph;
        var info = graph.Input.FirstOrDefault(i => i.Name == input) ?? throw new OnnxModelException($"The graph has no input '{input}'.");
        // The nodes the value adds go at the end; they move before the input's first reader below.
        int before = graph.Node.Count;
        string computed = value(this);
        var added = graph.Node.Skip(before).ToList();
        while (graph.Node.Count > before)
            graph.Node.RemoveAt(graph.Node.Count - 1);
        graph.Input.Remove(info);
        if (added.Count == 0)
        {
            // A constant: an initializer under the input's name.
            var constant = graph.Initializer.FirstOrDefault(i => i.Name == computed) ?? throw new OnnxModelException($"'{computed}' is neither a node output nor a constant made here.");
            constant.Name = input;
            return;
        }
        foreach (var node in added)
        {
            for (int i = 0; i < node.Output.Count; i++)
            {
                if (node.Output[i] == computed)
                    node.Output[i] = input;
            }
        }
        int first = 0;
        while (first < graph.Node.Count && !graph.Node[first].Input.Contains(input))
            first++;
        for (int i = 0; i < added.Count; i++)
            graph.Node.Insert(first + i, added[i]);
    }

    /// <summary>Renames a tensor everywhere: its producer (or the graph input), every reader, and the graph output of that name.</summary>
    public void RenameTensor(string from, string to)
    {
        if (!_nodes.Claim(to))
            throw new OnnxModelException($"The graph already has a tensor named '{to}'.");
        _nodes.Release(from);
        var graph = _proto.Graph;
        foreach (var node in graph.Node)
        {
            for (int i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == from)
                    node.Input[i] = to;
            }
            for (int i = 0; i < node.Output.Count; i++)
            {
                if (node.Output[i] == from)
                    node.Output[i] = to;
            }
        }
        foreach (var value in graph.Input.Concat(graph.Output).Concat(graph.ValueInfo).Where(v => v.Name == from))
            value.Name = to;
    }

    /// <summary>Adds a graph input (last in the list) of <paramref name="dims"/>: a size, or null for one named by <paramref name="freeName"/>.</summary>
    public void AddInput(string name, TensorElementType type, long?[] dims, string freeName = "batch")
    {
        if (!_nodes.Claim(name))
            throw new OnnxModelException($"The graph already has a tensor named '{name}'; pick another input name.");
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is long size ? new TensorShapeProto.Types.Dimension { DimValue = size } : new TensorShapeProto.Types.Dimension { DimParam = freeName });
        _proto.Graph.Input.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = type.ToOnnxDataType(), Shape = shape } } });
    }

    /// <summary>Gives a graph input fixed sizes (null keeps an axis as it is): a model with free sizes exported at one size.</summary>
    public void SetInputShape(string name, long?[] dims)
    {
        var info = _proto.Graph.Input.FirstOrDefault(i => i.Name == name) ?? throw new OnnxModelException($"The graph has no input '{name}'.");
        var shape = info.Type?.TensorType?.Shape ?? throw new OnnxModelException($"Input '{name}' has no shape to fix.");
        if (shape.Dim.Count != dims.Length)
            throw new OnnxModelException($"Input '{name}' has {shape.Dim.Count} axes, not {dims.Length}.");
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] is long size)
                shape.Dim[i] = new TensorShapeProto.Types.Dimension { DimValue = size };
        }
    }

    public void RemoveOutput(string name)
    {
        var output = _proto.Graph.Output.FirstOrDefault(o => o.Name == name) ?? throw new OnnxModelException($"The graph has no output '{name}'.");
        _proto.Graph.Output.Remove(output);
    }

    /// <summary>Makes <paramref name="tensor"/> a graph output named <paramref name="name"/>; dims: a size, or null for one named by <paramref name="freeName"/>.</summary>
    public void AddOutput(string tensor, string name, TensorElementType type, long?[] dims, string freeName = "batch")
    {
        if (!_nodes.Claim(name))
            throw new OnnxModelException($"The graph already has a tensor named '{name}'; pick another output name.");
        Op("Identity", [tensor]);
        var node = _proto.Graph.Node[^1];
        node.Output[0] = name;
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is long size ? new TensorShapeProto.Types.Dimension { DimValue = size } : new TensorShapeProto.Types.Dimension { DimParam = freeName });
        _proto.Graph.Output.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = type.ToOnnxDataType(), Shape = shape } } });
    }

    public void SetMetadata(string key, string value)
    {
        var existing = _proto.MetadataProps.FirstOrDefault(p => p.Key == key);
        if (existing is not null)
            existing.Value = value;
        else
            _proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
    }

    /// <summary>
    /// The model as built: a new model, the builder's copy handed over, after the ONNX checker's structural rules
    /// (names made once, topological order, types, ops of the declared opset, output shapes) are checked.
    /// </summary>
    public OnnxModel ToModel(string source, string producer)
    {
        _proto.ProducerName = producer;
        Graph.GraphCheck.Verify(_proto, source);
        return OnnxModel.FromProto(_proto, source);
    }
}
