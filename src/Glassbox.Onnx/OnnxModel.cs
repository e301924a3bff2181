using System.Collections.Immutable;
using Glassbox.Onnx.Protos;
using Google.Protobuf;

namespace Glassbox.Onnx;

/// <summary>
/// An ONNX model held in memory. Reading never touches the file again; methods that change the
/// graph return a new model and leave this one as it was.
/// </summary>
public sealed partial class OnnxModel
{
    /// <summary>Largest model file read into memory (2 GiB is also protobuf's own limit).</summary>
    public const long MaxModelBytes = int.MaxValue;

    private readonly ModelProto _proto;
    private readonly ImmutableHashSet<string> _initializerNames;
    private readonly Dictionary<string, OnnxNode> _producers = new(StringComparer.Ordinal);
    private IReadOnlyList<LayerInfo>? _layers;

    private OnnxModel(ModelProto proto, string source)
    {
        _proto = proto;
        Source = source;
        var graph = proto.Graph;
        _initializerNames = graph.Initializer.Select(t => t.Name).ToImmutableHashSet(StringComparer.Ordinal);
        Nodes = graph.Node.Select((n, i) => new OnnxNode(
            string.IsNullOrEmpty(n.Name) ? $"{n.OpType}_{i}" : n.Name, n.OpType,
            n.Input.ToImmutableArray(), n.Output.ToImmutableArray())).ToImmutableArray();
        foreach (var node in Nodes)
        {
            foreach (var output in node.Outputs)
            {
                if (output.Length > 0)
                    _producers[output] = node;
            }
        }
        Inputs = graph.Input.Where(v => !_initializerNames.Contains(v.Name)).Select(ToTensorInfo).ToImmutableArray();
        Outputs = graph.Output.Select(ToTensorInfo).ToImmutableArray();
        Initializers = graph.Initializer.Select(t => new TensorInfo(t.Name, TensorElementTypeExtensions.FromOnnxDataType(t.DataType), TensorShape.Of(t.Dims.ToArray()))).ToImmutableArray();
        Opsets = proto.OpsetImport.ToImmutableDictionary(o => o.Domain.Length == 0 ? "ai.onnx" : o.Domain, o => o.Version);
        Metadata = proto.MetadataProps.GroupBy(p => p.Key).ToImmutableDictionary(g => g.Key, g => g.Last().Value);
    }

    /// <summary>Where the model came from: a path, or a name given with the bytes.</summary>
    public string Source { get; }

    public long IrVersion => _proto.IrVersion;

    public string Producer => string.IsNullOrEmpty(_proto.ProducerVersion) ? _proto.ProducerName : $"{_proto.ProducerName} {_proto.ProducerVersion}";

    /// <summary>Operator set version per domain ("ai.onnx" for the default domain).</summary>
    public ImmutableDictionary<string, long> Opsets { get; }

    /// <summary>Graph inputs that are fed at run time (initializers listed as inputs are left out).</summary>
    public ImmutableArray<TensorInfo> Inputs { get; }

    public ImmutableArray<TensorInfo> Outputs { get; }

    /// <summary>Constant tensors stored in the file (weights, biases, shape constants).</summary>
    public ImmutableArray<TensorInfo> Initializers { get; }

    /// <summary>Nodes in file order (ONNX requires it to be a topological order).</summary>
    public ImmutableArray<OnnxNode> Nodes { get; }

    /// <summary>The model's metadata_props (labels, preprocessing, provenance).</summary>
    public ImmutableDictionary<string, string> Metadata { get; }

    internal ModelProto Proto => _proto;

    public static OnnxModel Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        FileInfo file = new(path);
        if (!file.Exists)
            throw new OnnxModelException($"Model file '{path}' does not exist. Check the path; a model package is a folder holding model.onnx.");
        if (file.Length == 0)
            throw new OnnxModelException($"Model file '{path}' is empty (0 bytes). The file was probably not fully written or copied; export or copy it again.");
        if (file.Length > MaxModelBytes)
            throw new OnnxModelException($"Model file '{path}' is {file.Length} bytes; models over 2 GiB must keep their weights as ONNX external data.");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OnnxModelException($"Model file '{path}' could not be read: {e.Message}", e);
        }
        var model = FromBytes(bytes, path);
        return model.HasExternalData ? model.WithExternalDataInlined(Path.GetDirectoryName(Path.GetFullPath(path))!) : model;
    }

    public static OnnxModel FromBytes(ReadOnlySpan<byte> bytes, string source = "(bytes)")
    {
        if (bytes.IsEmpty)
            throw new OnnxModelException($"Model '{source}' is empty (0 bytes).");
        ModelProto proto;
        try
        {
            proto = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxModelException($"Model '{source}' is not a valid ONNX file ({e.Message}). It may be truncated or another format; export it again with an ONNX exporter.", e);
        }
        // Protobuf accepts many byte strings that are not models (an empty message is valid),
        // so check for what every ONNX model has.
        if (proto.IrVersion <= 0 || proto.Graph is null || proto.OpsetImport.Count == 0)
            throw new OnnxModelException($"Model '{source}' is not an ONNX model: it has no {(proto.Graph is null ? "graph" : proto.IrVersion <= 0 ? "IR version" : "opset import")}. Check that the file is a .onnx model and not another format.");
        var twice = proto.OpsetImport.GroupBy(o => o.Domain.Length == 0 ? "ai.onnx" : o.Domain).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
            throw new OnnxModelException($"Model '{source}' imports domain '{twice.Key}' more than once (opsets {string.Join(", ", twice.Select(o => o.Version))}); a valid model names each domain once. The file is damaged or was written by a broken exporter.");
        try
        {
            return new OnnxModel(proto, source);
        }
        catch (ArgumentException e)
        {
            throw new OnnxModelException($"Model '{source}' holds a tensor description ONNX does not allow ({e.Message.Split(" (Parameter")[0]}). The file is damaged or was written by a broken exporter.", e);
        }
    }

    public byte[] ToBytes() => _proto.ToByteArray();

    /// <summary>Wraps a proto this library built; the caller gives up ownership of it.</summary>
    internal static OnnxModel FromProto(ModelProto proto, string source) => new(proto, source);

    /// <summary>
    /// A copy that can be changed without touching this model: every message is copied except the
    /// initializers (weights, often most of the bytes), which are shared and must not be modified.
    /// </summary>
    internal ModelProto CopyForEditing()
    {
        var graph = _proto.Graph;
        var copy = new ModelProto
        {
            IrVersion = _proto.IrVersion,
            ProducerName = _proto.ProducerName,
            ProducerVersion = _proto.ProducerVersion,
            Domain = _proto.Domain,
            ModelVersion = _proto.ModelVersion,
            DocString = _proto.DocString,
            OpsetImport = { _proto.OpsetImport.Select(o => o.Clone()) },
            MetadataProps = { _proto.MetadataProps.Select(p => p.Clone()) },
            TrainingInfo = { _proto.TrainingInfo.Select(t => t.Clone()) },
            Functions = { _proto.Functions.Select(f => f.Clone()) },
        };
        var graphCopy = new GraphProto
        {
            Name = graph.Name,
            DocString = graph.DocString,
            Node = { graph.Node.Select(n => n.Clone()) },
            Input = { graph.Input.Select(v => v.Clone()) },
            Output = { graph.Output.Select(v => v.Clone()) },
            ValueInfo = { graph.ValueInfo.Select(v => v.Clone()) },
            SparseInitializer = { graph.SparseInitializer.Select(v => v.Clone()) },
            QuantizationAnnotation = { graph.QuantizationAnnotation.Select(v => v.Clone()) },
        };
        graphCopy.Initializer.AddRange(graph.Initializer);
        copy.Graph = graphCopy;
        return copy;
    }

    /// <summary>
    /// Every node in execution order with its output's inferred shape: the listing a UI shows for
    /// choosing a layer (feature maps, Grad-CAM target). Constant nodes are left out. Inferred once:
    /// the model never changes, so asking again (every frame, say) costs nothing.
    /// </summary>
    public IReadOnlyList<LayerInfo> Layers() => _layers ??= InferLayers();

    private IReadOnlyList<LayerInfo> InferLayers()
    {
        var index = new Graph.GraphIndex(_proto.Graph);
        var shapes = new Graph.ShapeInference(index, Opsets.GetValueOrDefault("ai.onnx", 0));
        var layers = new List<LayerInfo>();
        foreach (var node in Nodes)
        {
            if (node.OpType == "Constant" || node.Outputs.Length == 0)
                continue;
            layers.Add(new LayerInfo(layers.Count, node.Name, node.OpType, node.Outputs[0], shapes[node.Outputs[0]]));
        }
        return layers.AsReadOnly();
    }

    /// <summary>The last spatial feature map (rank 4, height and width above 1): "auto" for Grad-CAM and CAM.</summary>
    public LayerInfo? LastSpatialLayer() => Layers().LastOrDefault(l => l.IsSpatial);

    /// <summary>The layer listing as text, one node a line.</summary>
    public string DescribeLayers() => string.Join("\n", Layers().Select(l => l.ToString()));

    /// <summary>The node that writes <paramref name="tensorName"/>, or null for graph inputs and initializers.</summary>
    public OnnxNode? ProducerOf(string tensorName) => _producers.GetValueOrDefault(tensorName);

    /// <summary>True when a node writes the tensor or it is a graph input.</summary>
    public bool HasTensor(string tensorName) =>
        _producers.ContainsKey(tensorName) || Inputs.Any(i => i.Name == tensorName);

    /// <summary>Names of every tensor written by a node, in graph order.</summary>
    public IEnumerable<string> IntermediateTensorNames => Nodes.SelectMany(n => n.Outputs).Where(o => o.Length > 0);

    /// <summary>
    /// A copy of this model in which each named intermediate tensor is also a graph output, so a
    /// session returns it. Names that are already outputs are kept once.
    /// </summary>
    public OnnxModel WithExtraOutputs(IEnumerable<string> tensorNames)
    {
        var names = tensorNames.ToList();
        var missing = names.Where(n => !HasTensor(n)).ToList();
        if (missing.Count > 0)
        {
            throw new OnnxModelException(
                $"Model '{Source}' has no tensor named {string.Join(", ", missing.Select(m => $"'{m}'"))}. " +
                $"{SuggestNames(missing[0])}List the model's tensors with the layer listing to pick a name.");
        }

        var copy = CopyForEditing();
        var existing = copy.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var knownInfo = copy.Graph.ValueInfo.Concat(copy.Graph.Input).GroupBy(v => v.Name).ToDictionary(g => g.Key, g => g.First());
        foreach (var name in names)
        {
            if (!existing.Add(name))
                continue;
            // A name alone is enough: the runtime infers the type. Keep shape information where the file has it.
            copy.Graph.Output.Add(knownInfo.TryGetValue(name, out var info) ? info.Clone() : new ValueInfoProto { Name = name });
        }
        return new OnnxModel(copy, Source);
    }

    private string SuggestNames(string wanted)
    {
        var candidates = IntermediateTensorNames
            .Select(n => (Name: n, Score: Similarity(wanted, n)))
            .Where(c => c.Score > 0)
            .OrderByDescending(c => c.Score)
            .Take(5)
            .Select(c => $"'{c.Name}'")
            .ToList();
        return candidates.Count == 0 ? "" : $"Close names: {string.Join(", ", candidates)}. ";
    }

    // Longest common substring length, case-insensitive: good enough to point at "/conv1/Conv_output_0" for "conv1".
    private static int Similarity(string a, string b)
    {
        a = a.ToLowerInvariant();
        b = b.ToLowerInvariant();
        int best = 0;
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                current[j] = a[i - 1] == b[j - 1] ? previous[j - 1] + 1 : 0;
                best = Math.Max(best, current[j]);
            }
            (previous, current) = (current, previous);
        }
        return best >= 3 ? best : 0;
    }

    internal static TensorInfo ToTensorInfo(ValueInfoProto value)
    {
        var tensorType = value.Type?.TensorType;
        var elementType = tensorType is null ? TensorElementType.Unknown : TensorElementTypeExtensions.FromOnnxDataType(tensorType.ElemType);
        var dims = tensorType?.Shape?.Dim;
        var shape = dims is null
            ? new TensorShape([])
            : new TensorShape(
                dims.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : TensorShape.Dynamic),
                dims.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam ? d.DimParam : null));
        return new TensorInfo(value.Name, elementType, shape);
    }
}
