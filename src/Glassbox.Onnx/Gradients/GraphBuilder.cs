using Glassbox.Onnx.Graph;
using Glassbox.Onnx.Protos;
using Google.Protobuf;

namespace Glassbox.Onnx.Gradients;

/// <summary>Appends nodes and constants to a graph under unique names with a common prefix.</summary>
internal sealed class GraphBuilder
{
    private readonly GraphProto _graph;
    private readonly HashSet<string> _names;
    private readonly Dictionary<string, string> _shapeOf = new(StringComparer.Ordinal);
    private readonly string _prefix;
    private int _counter;

    public GraphBuilder(GraphProto graph, string prefix)
    {
        _graph = graph;
        _prefix = prefix;
        _names = graph.Node.SelectMany(n => n.Output).Concat(graph.Node.Select(n => n.Name)).Concat(graph.Initializer.Select(i => i.Name))
            .Concat(graph.Input.Select(i => i.Name)).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// The newest opset the graph may be written at (an export for an engine that stops at 15), or null when the
    /// derivation may lift the graph to the opset its rules prefer (16, for ScatterElements' reduction).
    /// </summary>
    public long? OpsetCeiling { get; set; }

    /// <summary>The forward node whose gradient is being written; names the new nodes.</summary>
    public string Scope { get; set; } = "";

    public string Unique(string hint)
    {
        string baseName = $"{_prefix}{(Scope.Length > 0 ? Scope + "/" : "")}{hint}";
        string name = baseName;
        while (!_names.Add(name))
            name = $"{baseName}_{++_counter}";
        return name;
    }

    /// <summary>Claims a name chosen elsewhere (a graph input or output); false when the graph has it already.</summary>
    public bool Claim(string name) => _names.Add(name);

    /// <summary>Frees a name no tensor carries any more (one renamed away).</summary>
    public void Release(string name) => _names.Remove(name);

    public string Op(string type, IEnumerable<string> inputs, params AttributeProto[] attributes) =>
        OpMulti(type, inputs, 1, attributes)[0];

    public string Op(string type, params string[] inputs) => Op(type, (IEnumerable<string>)inputs);

    public string[] OpMulti(string type, IEnumerable<string> inputs, int outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = type, Name = Unique(type) };
        node.Input.AddRange(inputs);
        var names = Enumerable.Range(0, outputs).Select(_ => Unique(type.ToLowerInvariant())).ToArray();
        node.Output.AddRange(names);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return names;
    }

    /// <summary>Appends a node built elsewhere (a copy of a forward node with other inputs); its names must be unique already.</summary>
    public void AddNode(NodeProto node) => _graph.Node.Add(node);

    public string Int64s(params long[] values)
    {
        var tensor = new TensorProto { Name = Unique("const"), DataType = (int)TensorProto.Types.DataType.Int64, Dims = { values.Length } };
        tensor.Int64Data.AddRange(values);
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    public string Float(float value)
    {
        var tensor = new TensorProto { Name = Unique("const"), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.FloatData.Add(value);
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    public string Floats(float[] values, long[] dims) => FloatTensor(values, dims).Name;

    /// <summary>A float initializer, returned whole so an index can learn its values.</summary>
    public TensorProto FloatTensor(float[] values, long[] dims, string hint = "const")
    {
        var tensor = new TensorProto { Name = Unique(hint), DataType = (int)TensorProto.Types.DataType.Float, Dims = { dims } };
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        tensor.RawData = ByteString.CopyFrom(bytes);
        _graph.Initializer.Add(tensor);
        return tensor;
    }

    /// <summary>Shape(tensor), emitted once per tensor.</summary>
    public string ShapeOf(string tensor)
    {
        if (!_shapeOf.TryGetValue(tensor, out var shape))
        {
            string saved = Scope;
            Scope = "";
            _shapeOf[tensor] = shape = Op("Shape", tensor);
            Scope = saved;
        }
        return shape;
    }

    /// <summary>A float tensor of <paramref name="value"/> with the shape of <paramref name="like"/>.</summary>
    public string Filled(string like, float value) =>
        Op("ConstantOfShape", [ShapeOf(like)], AttrTensor("value", new TensorProto { DataType = (int)TensorProto.Types.DataType.Float, Dims = { 1 }, FloatData = { value } }));

    public string Mul(string a, string b) => Op("Mul", a, b);
    public string Add(string a, string b) => Op("Add", a, b);
    public string Sub(string a, string b) => Op("Sub", a, b);
    public string Div(string a, string b) => Op("Div", a, b);
    public string Neg(string a) => Op("Neg", a);
    public string Scale(string a, float factor) => factor == 1f ? a : Mul(a, Float(factor));

    public string ReduceSum(string x, long[] axes, bool keepDims) =>
        axes.Length == 0 ? x : Op("ReduceSum", [x, Int64s(axes)], AttrInt("keepdims", keepDims ? 1 : 0));

    public string Sum(IReadOnlyList<string> terms) => terms.Count == 1 ? terms[0] : Op("Sum", terms);

    public static AttributeProto AttrInt(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };
    public static AttributeProto AttrFloat(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };
    public static AttributeProto AttrInts(string name, IEnumerable<long> values) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { values } };
    public static AttributeProto AttrString(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };
    public static AttributeProto AttrTensor(string name, TensorProto value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = value };
}
