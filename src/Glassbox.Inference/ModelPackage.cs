using System.Collections.Immutable;
using System.Text.Json;
using Glassbox.Onnx;

namespace Glassbox.Inference;

/// <summary>
/// A model with what is needed to use and trust it: labels, preprocessing and, when the folder has
/// a manifest.json, its provenance and test figures. The model file's SHA-256 is checked against
/// the manifest on load. A bare .onnx file works too when its metadata_props carry
/// <c>glassbox.labels</c> and <c>glassbox.preprocessing</c>.
/// </summary>
public sealed class ModelPackage
{
    public const string ModelFileName = "model.onnx";
    public const string ManifestFileName = "manifest.json";
    private const string LabelsKey = "glassbox.labels";
    private const string PreprocessingKey = "glassbox.preprocessing";

    private ModelPackage(string name, string modelPath, OnnxModel model, string sha256, ImmutableArray<string> labels,
                         ModelPreprocessing preprocessing, ModelTestMetrics? metrics, string? manifestPath)
    {
        Name = name;
        ModelPath = modelPath;
        Model = model;
        Sha256 = sha256;
        Labels = labels;
        Preprocessing = preprocessing;
        TestMetrics = metrics;
        ManifestPath = manifestPath;
    }

    public string Name { get; }

    public string ModelPath { get; }

    /// <summary>The manifest this package was read with, or null for a bare .onnx file.</summary>
    public string? ManifestPath { get; }

    public OnnxModel Model { get; }

    /// <summary>SHA-256 of the model file, lower-case hex.</summary>
    public string Sha256 { get; }

    public ImmutableArray<string> Labels { get; }

    public ModelPreprocessing Preprocessing { get; }

    /// <summary>The test-set figures the manifest records, if any.</summary>
    public ModelTestMetrics? TestMetrics { get; }

    /// <summary>
    /// Loads a package folder (model.onnx + manifest.json), or a .onnx file whose metadata_props
    /// carry labels and preprocessing.
    /// </summary>
    public static ModelPackage Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
            return LoadFolder(path);
        if (File.Exists(path))
        {
            string sibling = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, ManifestFileName);
            return Path.GetFileName(path) == ModelFileName && File.Exists(sibling) ? LoadFolder(Path.GetDirectoryName(Path.GetFullPath(path))!) : LoadBare(path);
        }
        throw new ModelPackageException($"'{path}' is neither a model package folder nor a .onnx file. Check the path (shipped packages live under models/).");
    }

    /// <summary>Opens the model on the execution-provider chain.</summary>
    public ModelSession OpenSession(InferenceOptions? options = null) => ModelSession.Open(Model, options);

    private static ModelPackage LoadFolder(string folder)
    {
        string modelPath = Path.Combine(folder, ModelFileName);
        string manifestPath = Path.Combine(folder, ManifestFileName);
        if (!File.Exists(modelPath))
            throw new ModelPackageException($"Model package '{folder}' has no {ModelFileName}. A package folder holds {ModelFileName}, {ManifestFileName} and MODEL_CARD.md.");
        if (!File.Exists(manifestPath))
            return LoadBare(modelPath);

        JsonDocument manifest;
        try
        {
            manifest = JsonDocument.Parse(File.ReadAllBytes(manifestPath), new JsonDocumentOptions { AllowTrailingCommas = false, MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            throw new ModelPackageException($"Manifest '{manifestPath}' is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message}", e);
        }

        using (manifest)
        {
            var root = new JsonFields(manifest.RootElement, "manifest");
            var modelInfo = new JsonFields(root.Required("model"), "manifest.model");
            string expected = modelInfo.String("sha256").ToLowerInvariant();
            var bytes = File.ReadAllBytes(modelPath);
            string actual = Sha256Hex.Of(bytes);
            if (actual != expected)
            {
                throw new ModelPackageException(
                    $"Model '{modelPath}' has SHA-256 {actual}, but its manifest records {expected}. The file changed after the manifest was written: " +
                    "restore the original file, or rebuild the package (tools/models/train.py writes both).");
            }
            var model = OnnxModel.FromBytes(bytes, modelPath);
            var labels = root.Strings("labels");
            var preprocessing = ModelPreprocessing.Parse(root.Required("preprocessing"), "manifest.preprocessing");
            ModelTestMetrics? metrics = manifest.RootElement.TryGetProperty("metrics", out var m) ? ModelTestMetrics.Parse(m) : null;
            string name = manifest.RootElement.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : Path.GetFileName(Path.GetFullPath(folder));
            CheckLabels(labels, model, manifestPath);
            return new ModelPackage(name, modelPath, model, actual, labels, preprocessing, metrics, manifestPath);
        }
    }

    private static ModelPackage LoadBare(string modelPath)
    {
        var bytes = File.Exists(modelPath) ? File.ReadAllBytes(modelPath) : throw new ModelPackageException($"Model file '{modelPath}' does not exist.");
        var model = OnnxModel.FromBytes(bytes, modelPath);
        string sha = Sha256Hex.Of(bytes);
        if (!model.Metadata.TryGetValue(LabelsKey, out var labelsJson) || !model.Metadata.TryGetValue(PreprocessingKey, out var preprocessingJson))
        {
            throw new ModelPackageException(
                $"Model '{modelPath}' has no {ManifestFileName} beside it and no '{LabelsKey}' and '{PreprocessingKey}' in its metadata_props. " +
                "Add a manifest.json (see models/mnist-cnn for the format), or store both keys in the ONNX metadata.");
        }
        try
        {
            using var labelsDoc = JsonDocument.Parse(labelsJson);
            using var preprocessingDoc = JsonDocument.Parse(preprocessingJson);
            var labels = labelsDoc.RootElement.ValueKind == JsonValueKind.Array
                ? labelsDoc.RootElement.EnumerateArray().Select(e => e.GetString() ?? "").ToImmutableArray()
                : throw new ModelPackageException($"metadata_props '{LabelsKey}' of '{modelPath}' must be a JSON array of strings.");
            var preprocessing = ModelPreprocessing.Parse(preprocessingDoc.RootElement, $"metadata_props['{PreprocessingKey}']");
            CheckLabels(labels, model, modelPath);
            string name = model.Metadata.GetValueOrDefault("glassbox.package") ?? Path.GetFileNameWithoutExtension(modelPath);
            return new ModelPackage(name, modelPath, model, sha, labels, preprocessing, null, null);
        }
        catch (JsonException e)
        {
            throw new ModelPackageException($"The metadata_props of '{modelPath}' hold invalid JSON: {e.Message}", e);
        }
    }

    private static void CheckLabels(ImmutableArray<string> labels, OnnxModel model, string where)
    {
        if (labels.IsEmpty)
            throw new ModelPackageException($"{where}: labels is empty; list one label per output class.");
        var output = model.Outputs.FirstOrDefault();
        if (output is { Shape.Rank: 2 } && output.Shape[1] != TensorShape.Dynamic && output.Shape[1] != labels.Length)
            throw new ModelPackageException($"{where}: {labels.Length} labels for a model whose output '{output.Name}' has {output.Shape[1]} classes.");
    }
}

/// <summary>The test-set figures a manifest records.</summary>
public sealed record ModelTestMetrics(int TestImages, int TestCorrect, double TestAccuracy)
{
    internal static ModelTestMetrics Parse(JsonElement json)
    {
        var fields = new JsonFields(json, "manifest.metrics");
        int images = fields.Int("test_images"), correct = fields.Int("test_correct");
        var accuracy = fields.Required("test_accuracy");
        return new ModelTestMetrics(images, correct, accuracy.ValueKind == JsonValueKind.Number ? accuracy.GetDouble() : (double)correct / images);
    }
}
