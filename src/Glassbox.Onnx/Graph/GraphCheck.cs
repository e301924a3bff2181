using Glassbox.Onnx.Protos;

namespace Glassbox.Onnx.Graph;

/// <summary>
/// The ONNX checker's structural rules, applied to a graph Glassbox built before it is handed out or written: every
/// tensor made once (inputs, initializers and node outputs share one namespace), nodes in topological order, graph
/// outputs made, ops that exist at the declared opset, element types on inputs, outputs and initializers, initializer
/// data that fills its dimensions, and declared output shapes that agree with shape inference. A file that passes
/// loads in runtimes that check strictly (the checker itself, engines with their own importers), not only in ONNX
/// Runtime, which forgives some of these.
/// </summary>
internal static class GraphCheck
{
    public static void Verify(ModelProto proto, string source)
    {
        var problems = new List<string>();
        var graph = proto.Graph;
        long opset = proto.OpsetImport.FirstOrDefault(o => o.Domain.Length == 0 || o.Domain == "ai.onnx")?.Version ?? 0;
        if (opset == 0)
            problems.Add("it imports no ai.onnx opset");

        var defined = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in graph.Input)
        {
            if (!defined.Add(input.Name))
                problems.Add($"input '{input.Name}' is listed twice");
            if (input.Type?.TensorType is not { ElemType: > 0 })
                problems.Add($"input '{input.Name}' has no element type");
        }
        foreach (var initializer in graph.Initializer)
        {
            // IR 3 files list initializers among the inputs too; that is the one repeat allowed.
            if (!defined.Add(initializer.Name) && graph.Input.All(i => i.Name != initializer.Name))
                problems.Add($"initializer '{initializer.Name}' reuses a name");
            if (initializer.DataType <= 0)
                problems.Add($"initializer '{initializer.Name}' has no data type");
            else if (DataCount(initializer) is long count && count != initializer.Dims.Aggregate(1L, (a, b) => a * b))
                problems.Add($"initializer '{initializer.Name}' holds {count} values for dimensions [{string.Join(", ", initializer.Dims)}]");
        }
        foreach (var node in graph.Node)
        {
            string label = node.Name.Length > 0 ? $"{node.OpType} node '{node.Name}'" : $"{node.OpType} node making '{node.Output.FirstOrDefault()}'";
            foreach (var input in node.Input.Where(i => i.Length > 0 && !defined.Contains(i)))
                problems.Add($"{label} reads '{input}' before anything makes it");
            foreach (var output in node.Output.Where(o => o.Length > 0))
            {
                if (!defined.Add(output))
                    problems.Add($"{label} makes '{output}', which is already made");
            }
            if ((node.Domain.Length == 0 || node.Domain == "ai.onnx") && OpsetConversion.FirstOpsetOf(node.OpType) is long since && since > opset)
                problems.Add($"{label} is an op of opset {since}, but the graph declares {opset}");
        }
        foreach (var output in graph.Output)
        {
            if (!defined.Contains(output.Name))
                problems.Add($"output '{output.Name}' is never made");
            if (output.Type?.TensorType is not { ElemType: > 0 })
                problems.Add($"output '{output.Name}' has no element type");
        }
        if (problems.Count == 0)
            CheckOutputShapes(graph, opset, problems);
        if (problems.Count > 0)
        {
            throw new OnnxModelException($"The graph built for '{source}' breaks ONNX's rules, so it is not written: {string.Join("; ", problems.Take(6))}" +
                                         $"{(problems.Count > 6 ? $"; and {problems.Count - 6} more" : "")}. This is a fault in Glassbox; please report it with the model.");
        }
    }

    private static void CheckOutputShapes(GraphProto graph, long opset, List<string> problems)
    {
        var shapes = new ShapeInference(new GraphIndex(graph), opset);
        foreach (var output in graph.Output)
        {
            var declared = output.Type.TensorType.Shape;
            if (declared is null || shapes[output.Name] is not { } inferred)
                continue;
            if (declared.Dim.Count != inferred.Rank)
            {
                problems.Add($"output '{output.Name}' is declared with rank {declared.Dim.Count} but has rank {inferred.Rank}");
                continue;
            }
            for (int i = 0; i < inferred.Rank; i++)
            {
                var d = declared.Dim[i];
                if (d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && inferred[i] >= 0 && d.DimValue != inferred[i])
                    problems.Add($"output '{output.Name}' is declared {d.DimValue} along axis {i} but is {inferred[i]}");
            }
        }
    }

    /// <summary>How many values an initializer holds, from whichever field carries them; null for external data.</summary>
    private static long? DataCount(TensorProto t)
    {
        if (t.DataLocation == TensorProto.Types.DataLocation.External)
            return null;
        if (!t.RawData.IsEmpty)
        {
            int size = (TensorProto.Types.DataType)t.DataType switch
            {
                TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Int32 or TensorProto.Types.DataType.Uint32 => 4,
                TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Uint64 => 8,
                TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Bfloat16 or TensorProto.Types.DataType.Int16 or TensorProto.Types.DataType.Uint16 => 2,
                TensorProto.Types.DataType.Int8 or TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Bool => 1,
                _ => 0,
            };
            return size == 0 ? null : t.RawData.Length / size;
        }
        return (TensorProto.Types.DataType)t.DataType switch
        {
            TensorProto.Types.DataType.Float => t.FloatData.Count,
            TensorProto.Types.DataType.Double => t.DoubleData.Count,
            TensorProto.Types.DataType.Int64 => t.Int64Data.Count,
            TensorProto.Types.DataType.Uint64 or TensorProto.Types.DataType.Uint32 => t.Uint64Data.Count,
            TensorProto.Types.DataType.String => t.StringData.Count,
            _ => t.Int32Data.Count,
        };
    }
}
