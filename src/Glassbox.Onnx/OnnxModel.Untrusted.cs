using Glassbox.Onnx.Protos;
using Google.Protobuf;

namespace Glassbox.Onnx;

public sealed partial class OnnxModel
{
    private static readonly HashSet<string> StandardDomains = new(StringComparer.Ordinal) { "", "ai.onnx", "ai.onnx.ml", "com.microsoft" };

    /// <summary>Operators from domains ONNX Runtime does not implement itself: they need a custom-op library.</summary>
    public IReadOnlyList<(string OpType, string Domain)> CustomOperators() =>
        _proto.Graph.Node.Where(n => !StandardDomains.Contains(n.Domain)).Select(n => (n.OpType, n.Domain)).Distinct().ToList();

    /// <summary>True when some initializer keeps its values in a file beside the model (ONNX external data).</summary>
    public bool HasExternalData => _proto.Graph.Initializer.Any(t => t.DataLocation == TensorProto.Types.DataLocation.External);

    /// <summary>
    /// Reads external data into the model. A model file is untrusted input: every location must be a
    /// relative path that stays inside <paramref name="folder"/> (no absolute paths, no "..", no links
    /// out), and offsets and lengths must lie within the file; anything else is refused with the name
    /// of the tensor and its location, before a byte is read.
    /// </summary>
    internal OnnxModel WithExternalDataInlined(string folder)
    {
        string root = Path.GetFullPath(folder);
        var copy = CopyForEditing();
        var initializers = copy.Graph.Initializer;
        long total = 0;
        for (int i = 0; i < initializers.Count; i++)
        {
            var tensor = initializers[i];
            if (tensor.DataLocation != TensorProto.Types.DataLocation.External)
                continue;
            var entries = tensor.ExternalData.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
            if (!entries.TryGetValue("location", out var location) || string.IsNullOrWhiteSpace(location))
                throw new OnnxModelException($"Model '{Source}': initializer '{tensor.Name}' is marked as external data but names no location. Export the model again.");
            string file = Path.GetFullPath(Path.Combine(root, location));
            bool inside = !Path.IsPathRooted(location) && file.StartsWith(root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
            if (inside && new FileInfo(file).LinkTarget is not null)
                inside = false;
            if (!inside)
            {
                throw new OnnxModelException(
                    $"Model '{Source}': initializer '{tensor.Name}' points at external data '{location}', outside the model's folder. " +
                    "External data must be a file beside the model (a relative path without '..'); a model that reaches elsewhere is refused.");
            }
            if (!File.Exists(file))
                throw new OnnxModelException($"Model '{Source}': the external data file '{location}' of initializer '{tensor.Name}' is missing; copy it next to the model.");
            long offset = entries.TryGetValue("offset", out var o) && long.TryParse(o, out long parsedOffset) ? parsedOffset : 0;
            long length = new FileInfo(file).Length;
            long size = entries.TryGetValue("length", out var l) && long.TryParse(l, out long parsedLength) ? parsedLength : length - offset;
            if (offset < 0 || size < 0 || offset + size > length)
                throw new OnnxModelException($"Model '{Source}': initializer '{tensor.Name}' asks for bytes {offset} to {offset + size} of '{location}', which has {length}. The file is truncated or not the model's.");
            total += size;
            if (total > MaxModelBytes)
                throw new OnnxModelException($"Model '{Source}' has more than {MaxModelBytes} bytes of external data; models this large are not loaded into memory.");
            var bytes = new byte[size];
            using (var stream = File.OpenRead(file))
            {
                stream.Seek(offset, SeekOrigin.Begin);
                stream.ReadExactly(bytes);
            }
            // Initializers are shared with this model by CopyForEditing: replace, never modify.
            var inlined = tensor.Clone();
            inlined.ExternalData.Clear();
            inlined.DataLocation = TensorProto.Types.DataLocation.Default;
            inlined.RawData = ByteString.CopyFrom(bytes);
            initializers[i] = inlined;
        }
        return new OnnxModel(copy, Source);
    }
}
