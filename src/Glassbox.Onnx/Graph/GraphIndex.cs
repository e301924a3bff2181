using Glassbox.Onnx.Protos;
using Google.Protobuf;

namespace Glassbox.Onnx.Graph;

/// <summary>Lookups over one graph: who produces each tensor, and constant values.</summary>
internal sealed class GraphIndex
{
    private readonly Dictionary<string, NodeProto> _producers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TensorProto> _constants = new(StringComparer.Ordinal);

    public GraphIndex(GraphProto graph)
    {
        Graph = graph;
        foreach (var init in graph.Initializer)
            _constants[init.Name] = init;
        foreach (var node in graph.Node)
        {
            foreach (var output in node.Output)
            {
                if (output.Length > 0)
                    _producers[output] = node;
            }
            if (node.OpType == "Constant" && node.Domain.Length == 0 && node.Output.Count == 1)
            {
                var value = node.Attribute.FirstOrDefault(a => a.Name == "value");
                if (value?.T is { } tensor)
                    _constants[node.Output[0]] = tensor;
                else if (node.Attribute.FirstOrDefault(a => a.Name == "value_float") is { } vf)
                    _constants[node.Output[0]] = new TensorProto { DataType = (int)TensorProto.Types.DataType.Float, FloatData = { vf.F } };
                else if (node.Attribute.FirstOrDefault(a => a.Name == "value_ints") is { } vi)
                    _constants[node.Output[0]] = new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64, Dims = { vi.Ints.Count }, Int64Data = { vi.Ints } };
                else if (node.Attribute.FirstOrDefault(a => a.Name == "value_int") is { } v1)
                    _constants[node.Output[0]] = new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64, Int64Data = { v1.I } };
            }
        }
    }

    public GraphProto Graph { get; }

    public NodeProto? Producer(string tensor) => _producers.GetValueOrDefault(tensor);

    public bool IsConstant(string tensor) => _constants.ContainsKey(tensor);

    public TensorProto? Constant(string tensor) => _constants.GetValueOrDefault(tensor);

    /// <summary>Makes a constant added to the graph after indexing (a derived weight) known as one.</summary>
    public void AddConstant(TensorProto tensor) => _constants[tensor.Name] = tensor;

    /// <summary>An int64/int32 constant's values, or null when the tensor is not a constant.</summary>
    public long[]? Int64s(string tensor) => _constants.TryGetValue(tensor, out var t) ? TensorValues.Int64s(t) : null;

    /// <summary>A float constant's values, or null when the tensor is not a constant.</summary>
    public float[]? Floats(string tensor) => _constants.TryGetValue(tensor, out var t) ? TensorValues.Floats(t) : null;
}

/// <summary>Reads the values of a TensorProto, from its typed fields or raw_data (little-endian).</summary>
internal static class TensorValues
{
    public static long[]? Int64s(TensorProto t)
    {
        switch ((TensorProto.Types.DataType)t.DataType)
        {
            case TensorProto.Types.DataType.Int64:
                return t.RawData.Length > 0 ? FromRaw<long>(t.RawData) : t.Int64Data.ToArray();
            case TensorProto.Types.DataType.Int32:
                return t.RawData.Length > 0 ? FromRaw<int>(t.RawData).Select(v => (long)v).ToArray() : t.Int32Data.Select(v => (long)v).ToArray();
            default:
                return null;
        }
    }

    public static float[]? Floats(TensorProto t)
    {
        switch ((TensorProto.Types.DataType)t.DataType)
        {
            case TensorProto.Types.DataType.Float:
                return t.RawData.Length > 0 ? FromRaw<float>(t.RawData) : t.FloatData.ToArray();
            case TensorProto.Types.DataType.Double:
                return t.RawData.Length > 0 ? FromRaw<double>(t.RawData).Select(v => (float)v).ToArray() : t.DoubleData.Select(v => (float)v).ToArray();
            default:
                return null;
        }
    }

    private static T[] FromRaw<T>(ByteString raw) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(raw.Span).ToArray();
}
