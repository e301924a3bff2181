using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Text.Json;
using Glassbox.Explain;
using Glassbox.Media;
using Glassbox.Onnx;

namespace Glassbox.Tests;

/// <summary>The explain command as a user runs it: a process, its exit code, its lines and its files.</summary>
public class ExplainToolTests
{
    private string _out = null!;

    [SetUp]
    public void CreateFolder() => _out = Directory.CreateTempSubdirectory("glassbox-explain-").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_out, recursive: true);

    private static (int Exit, string Output, string Error) Explain(params string[] args)
    {
        string tool = Path.Combine(AppContext.BaseDirectory, "explain.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(tool);
        foreach (var a in args)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.That(process.WaitForExit(TimeSpan.FromMinutes(2)), Is.True, "explain finished");
        return (process.ExitCode, output.Result, error.Result);
    }

    /// <summary>explain export as a user runs it: the file, its description beside it, and a clear refusal.</summary>
    [Test]
    public void Export_writes_the_explainer_and_its_description_and_refuses_what_cannot_be_one_graph()
    {
        string file = Path.Combine(_out, "web", "model.onnx");
        var (exit, output, error) = Explain("export", "--model", Path.Combine(RepoPaths.Root, "models", "mnist-cnn"), "--method", "grad-cam,gradient-x-input", "--out", file);
        Assert.That(exit, Is.EqualTo(0), output + error);
        Assert.That(output, Does.Contain("Outputs  logits batch×10, grad-cam_map batch×28×28"));
        var exported = OnnxModel.Load(file);
        Assert.That(exported.Inputs.Select(i => i.Name), Is.EqualTo(new[] { "input" }));
        using var description = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(file, ".json")));
        Assert.That(description.RootElement.GetProperty("methods").EnumerateArray().Select(m => m.GetString()), Is.EqualTo(new[] { "grad-cam", "gradient-x-input" }));
        Assert.That(description.RootElement.GetProperty("black_level")[0].GetSingle(), Is.EqualTo(-0.1307f / 0.3081f).Within(1e-5f));

        // A bare model's normalisation, given on the command line, is what the description tells a page.
        string bareModel = Path.Combine(_out, "bare-model.onnx"), bare = Path.Combine(_out, "bare.onnx");
        File.Copy(Path.Combine(RepoPaths.Root, "models", "mnist-cnn", "model.onnx"), bareModel);
        (exit, output, error) = Explain("export", "--model", bareModel, "--mean", "0.5", "--std", "0.25", "--out", bare);
        Assert.That(exit, Is.EqualTo(0), output + error);
        using var bareDescription = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(bare, ".json")));
        Assert.That(bareDescription.RootElement.GetProperty("white_level")[0].GetSingle(), Is.EqualTo(2f).Within(1e-6f));

        // For an engine that stops at opset 15: the ViT's LayerNormalization is written out, the file says its opset.
        string old = Path.Combine(_out, "vit-15.onnx");
        (exit, output, error) = Explain("export", "--model", Path.Combine(RepoPaths.Root, "models", "mnist-vit"), "--method", "attention-rollout,gradient", "--opset", "15", "--out", old);
        Assert.That(exit, Is.EqualTo(0), output + error);
        Assert.That(output, Does.Contain("standard ai.onnx ops at opset 15"));
        Assert.That(OnnxModel.Load(old).Opsets["ai.onnx"], Is.EqualTo(15));
        Assert.That(OnnxModel.Load(old).Nodes.Select(n => n.OpType), Does.Not.Contain("LayerNormalization"));
        (exit, _, error) = Explain("export", "--opset", "12", "--out", Path.Combine(_out, "no.onnx"));
        Assert.That((exit, error.Trim()), Is.EqualTo((2, "explain: Opset 12 is outside what Glassbox writes (13 to 23); pick one in that range (15 for Unity Sentis up to 2.5).")));

        (exit, output, error) = Explain("export", "--method", "occlusion", "--out", Path.Combine(_out, "no.onnx"));
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(error.Trim(), Is.EqualTo("explain: occlusion cannot be exported as one graph: it runs many perturbed inputs chosen on the host."));
        Assert.That(File.Exists(Path.Combine(_out, "no.onnx")), Is.False);
    }

    [Test]
    public void Network_writes_the_structure_parameters_top_examples_and_synthesised_inputs_of_every_layer()
    {
        string folder = Path.Combine(_out, "network");
        string cache = Path.Combine(_out, "cache");
        var (exit, output, error) = Explain("network", "--mnist", "300", "--steps", "8", "--cache", cache, "--out", folder);
        Assert.That(exit, Is.EqualTo(0), output + error);
        Assert.That(output, Does.Contain("Examples the first 300 MNIST test digits: top 9 of 176 channels in 4 layers").And.Not.Contain("from the cache"));
        var firstSheet = File.ReadAllBytes(Path.Combine(folder, "top-relu4.png"));
        // A second start with the same model, digits and settings reads its work from the cache and draws the same pictures.
        (exit, output, error) = Explain("network", "--mnist", "300", "--steps", "8", "--cache", cache, "--out", folder);
        Assert.That(exit, Is.EqualTo(0), output + error);
        Assert.That(Regex.Matches(output, "from the cache").Count, Is.EqualTo(5), output);
        Assert.That(File.ReadAllBytes(Path.Combine(folder, "top-relu4.png")), Is.EqualTo(firstSheet));
        string html = File.ReadAllText(Path.Combine(folder, "network.html"));
        Assert.That(html, Does.Contain("<h2>Structure</h2>").And.Contain("<h2>Parameters</h2>").And.Contain("Top 9 examples and feature visualisation"));
        Assert.That(html, Does.Contain("<h3>conv1 (Conv → conv1)</h3>").And.Contain("<h3>fc (Gemm → logits)</h3>"));
        foreach (var layer in new[] { "relu1", "relu2", "relu3", "relu4" })
        {
            var sheet = ImageFile.Load(Path.Combine(folder, $"top-{layer}.png"));
            Assert.That(html, Does.Contain($"top-{layer}.png"));
            Assert.That(sheet.Width, Is.EqualTo(9 * 58 + 8 + 56), $"{layer}: 9 examples, a gap and the synthesised input");
        }

        // A bare model: structure and parameters; no way to prepare images, said plainly.
        string bare = Path.Combine(_out, "bare-network.onnx");
        File.Copy(Path.Combine(RepoPaths.Root, "models", "mnist-cnn", "model.onnx"), bare);
        (exit, output, error) = Explain("network", "--model", bare, "--out", Path.Combine(_out, "bare-network"));
        Assert.That(exit, Is.EqualTo(0), output + error);
        Assert.That(output, Does.Contain("Examples none: a bare .onnx file does not say how to prepare images"));
        Assert.That(File.ReadAllText(Path.Combine(_out, "bare-network", "network.html")), Does.Contain("<h2>Parameters</h2>").And.Not.Contain("top-relu1.png"));

        (exit, _, error) = Explain("network", "--examples", Path.Combine(_out, "no-such-folder"), "--out", folder);
        Assert.That((exit, error.Trim()), Is.EqualTo((2, $"explain: Examples folder '{Path.Combine(_out, "no-such-folder")}' does not exist; give a folder of images.")));
    }

    [Test]
    public void Trying_every_provider_on_a_machine_without_a_gpu_driver_prints_nothing_from_the_drivers()
    {
        var (exit, output, error) = Explain("--mnist", "1", "--method", "gradient", "--ep", "auto", "--out", _out);
        Assert.That(exit, Is.EqualTo(0), output + error);
        // Dawn, inside the WebGPU provider, writes "Warning: vkCreateInstance: Found no drivers!" and a stack line
        // when asked for an adapter without a Vulkan driver; the provider chain asks the Vulkan loader first.
        Assert.That(output + error, Does.Not.Contain("vkCreateInstance").And.Not.Contain("Warning:"));
    }

    [Test]
    public void A_batch_writes_maps_overlays_json_and_a_report_and_names_each_bad_image_on_one_line()
    {
        string digit = Path.Combine(_out, "digit.png");
        var image = new RgbaImage(28, 28);
        for (int y = 6; y < 22; y++)
            image[14, y] = RgbaImage.Pack(255, 255, 255);
        ImageFile.Save(digit, image);
        string corrupt = Path.Combine(_out, "corrupt.png");
        File.WriteAllBytes(corrupt, [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3]);
        string results = Path.Combine(_out, "results");

        var (exit, output, error) = Explain(digit, corrupt, Path.Combine(_out, "missing.png"), "--mnist", "2", "--method", "grad-cam,rise:masks=50", "--metrics", "--out", results);

        Assert.That(exit, Is.EqualTo(1), output + error);
        // Progress lines ("explain: 2/5") go to standard error too when it is not a terminal.
        var errors = error.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.StartsWith("explain: ", StringComparison.Ordinal) && !Regex.IsMatch(l, @"^explain: \d+/\d+$")).ToList();
        Assert.That(errors, Has.Count.EqualTo(2));
        Assert.That(errors[0], Does.StartWith($"explain: {corrupt}: '{corrupt}' is not an image Glassbox can read"));
        Assert.That(errors[1], Is.EqualTo($"explain: {Path.Combine(_out, "missing.png")}: Image '{Path.Combine(_out, "missing.png")}' does not exist. Check the path."));
        Assert.That(output, Does.Contain("Done     3 explained, 2 failed"));

        foreach (var stem in new[] { "digit", "mnist-00000", "mnist-00001" })
        {
            foreach (var method in new[] { "grad-cam", "rise" })
            {
                Assert.That(File.Exists(Path.Combine(results, $"{stem}.{method}.heatmap.png")), stem + method);
                Assert.That(ImageFile.Load(Path.Combine(results, $"{stem}.{method}.overlay.png")).Width, Is.EqualTo(224));
            }
        }
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(results, "mnist-00000.grad-cam.json")));
        var root = json.RootElement;
        Assert.That(root.GetProperty("target").GetProperty("class").GetInt32(), Is.EqualTo(7), "MNIST test #0 is a 7");
        var manifest = root.GetProperty("manifest");
        Assert.That(manifest.GetProperty("model_sha256").GetString(), Does.StartWith("6c2246fb"));
        Assert.That(manifest.GetProperty("execution_provider").GetString(), Is.Not.Empty);
        Assert.That(manifest.GetProperty("input_sha256").GetString(), Has.Length.EqualTo(64));
        var metrics = root.GetProperty("metrics");
        Assert.That(metrics.GetProperty("deletion_auc").GetDouble(), Is.LessThan(metrics.GetProperty("random_deletion_auc").GetDouble()));
        Assert.That(File.ReadAllText(Path.Combine(results, "report.html")), Does.Contain("<svg").And.Contain("mnist-00001.grad-cam.overlay.png"));
        Assert.That(File.Exists(Path.Combine(results, "summary.md")));
    }

    [Test]
    public void The_same_run_twice_gives_identical_maps()
    {
        Explain("--mnist", "1", "--method", "smoothgrad,rise:masks=40", "--out", Path.Combine(_out, "a"));
        Explain("--mnist", "1", "--method", "smoothgrad,rise:masks=40", "--out", Path.Combine(_out, "b"));
        foreach (var method in new[] { "smoothgrad", "rise" })
        {
            string Hash(string folder) => JsonDocument.Parse(File.ReadAllText(Path.Combine(_out, folder, $"mnist-00000.{method}.json"))).RootElement.GetProperty("map").GetProperty("values_sha256").GetString()!;
            Assert.That(Hash("b"), Is.EqualTo(Hash("a")), method);
        }
    }

    [TestCase("--method", "gradcam3", "explain: Unknown method 'gradcam3'. Methods: cam, grad-cam,")]
    [TestCase("--target", "11", "explain: Class 11 does not exist: the model has 10 classes, 0 to 9 (0, 1, 2, 3, 4, 5, 6, 7, 8, 9).")]
    [TestCase("--layer", "conv9", "explain: Model '")]
    [TestCase("--model", "/nonexistent/model", "explain: Model '/nonexistent/model' does not exist.")]
    [TestCase("--size", "0", "explain: --size 0 is not understood")]
    public void Bad_flags_give_one_line_and_exit_2(string flag, string value, string message)
    {
        var (exit, _, error) = Explain("--mnist", "1", "--out", _out, flag, value);
        Assert.That(exit, Is.EqualTo(2), error);
        Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(error, Does.StartWith(message));
    }

    [Test]
    public void A_bare_model_needs_its_input_described_and_then_works()
    {
        var weights = TinyModels.Random(10 * 28 * 28, seed: 3);
        string path = Path.Combine(_out, "linear.onnx");
        File.WriteAllBytes(path, TinyModels.Linear(weights, new float[10], 1, 28, 28).ToBytes());

        var (exit, _, error) = Explain("--mnist", "1", "--model", path, "--out", _out);
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(error, Does.Contain("has no manifest.json beside it").And.Contain("Or describe the input on the command line: --size, --mean, --std"));

        (exit, var output, error) = Explain("--mnist", "1", "--model", path, "--size", "28", "--mean", "0.1307", "--std", "0.3081", "--gray", "--method", "gradient-x-input", "--out", _out);
        Assert.That(exit, Is.EqualTo(0), error);
        Assert.That(output, Does.Contain("Done     1 explained, 0 failed"));
    }

    [Test]
    public void A_model_with_an_op_without_a_gradient_rule_fails_once_for_gradient_methods()
    {
        var proto = TinyModels.GapLinear([1f, -1f], [0f, 0f], 1, 28, 28, activation: "Sin").CopyForEditing();
        string path = Path.Combine(_out, "sin.onnx");
        File.WriteAllBytes(path, OnnxModel.FromProto(proto, "sin").ToBytes());
        var (exit, _, error) = Explain("--mnist", "3", "--model", path, "--size", "28", "--gray", "--method", "gradient", "--out", _out);
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(error.Trim(), Does.StartWith("explain: No gradient rule for Sin on the path from 'input' to 'logits'"));

        (exit, _, error) = Explain("--mnist", "1", "--model", path, "--size", "28", "--gray", "--method", "occlusion", "--out", _out);
        Assert.That(exit, Is.EqualTo(0), error);
    }

    [Test]
    public void Inspect_names_the_op_without_a_rule_the_methods_it_stops_and_what_to_pass()
    {
        var proto = TinyModels.GapLinear([1f, -1f], [0f, 0f], 1, 28, 28, activation: "Sin").CopyForEditing();
        var dims = proto.Graph.Input[0].Type.TensorType.Shape.Dim;
        dims[2] = new Glassbox.Onnx.Protos.TensorShapeProto.Types.Dimension { DimParam = "height" };
        dims[3] = new Glassbox.Onnx.Protos.TensorShapeProto.Types.Dimension { DimParam = "width" };
        string path = Path.Combine(_out, "sin.onnx");
        File.WriteAllBytes(path, OnnxModel.FromProto(proto, "sin").ToBytes());

        var (exit, output, error) = Explain("inspect", path);

        Assert.That(exit, Is.EqualTo(0), error);
        var lines = output.Split('\n').Select(l => l.TrimEnd()).ToList();
        Assert.That(lines, Does.Contain("Input    input: float32 batch×1×height×width"));
        Assert.That(lines, Does.Contain("  NO RULE  Sin                          1 node: act"));
        Assert.That(lines, Does.Contain("  rule     Gemm                         1 node"));
        Assert.That(lines.Single(l => l.StartsWith("  no       gradient ", StringComparison.Ordinal) || l.StartsWith("  works    gradient ", StringComparison.Ordinal) || l == "  works    gradient"), Does.StartWith("  no       gradient               No gradient rule for Sin on the path from 'input' to 'logits'"));
        Assert.That(lines.Single(l => l.EndsWith(" rise", StringComparison.Ordinal) || l.Contains(" rise ")), Is.EqualTo("  works    rise"));
        Assert.That(lines.Single(l => l.EndsWith(" grad-cam", StringComparison.Ordinal) || l.Contains(" grad-cam  ")), Is.EqualTo("  works    grad-cam"), "Grad-CAM reads the layer after Sin");
        Assert.That(output, Does.Contain("--size WxH: the input's height and width are free (batch×1×height×width)"));
    }

    [Test]
    public void Inspect_of_the_shipped_cnn_finds_every_method_but_attention_rollout_working()
    {
        var (exit, output, error) = Explain("inspect", Path.Combine(RepoPaths.Root, "models", "mnist-cnn"));
        Assert.That(exit, Is.EqualTo(0), error);
        var verdicts = output.Split('\n').Where(l => l.StartsWith("  works", StringComparison.Ordinal) || l.StartsWith("  no ", StringComparison.Ordinal)).ToList();
        Assert.That(verdicts, Has.Count.EqualTo(AttributionMethods.Names.Length));
        Assert.That(verdicts.Where(l => l.StartsWith("  no ", StringComparison.Ordinal)).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]), Is.EqualTo(new[] { "attention-rollout" }));
        Assert.That(output, Does.Not.Contain("NO RULE"));
    }

    /// <summary>
    /// Every model of the wild corpus (tools/models/wild_corpus.py), as a user would run it: a photo,
    /// a gradient method, a CAM method and RISE with metrics, at a size the model was not exported at
    /// where its size is free, with the target its output calls for.
    /// </summary>
    [Category(TestCategories.Slow)]
    [TestCase("densenet121", "128x96", "top")]
    [TestCase("shufflenetv2", "160x112", "top")]
    [TestCase("efficientnet-b0", "96", "top")]
    [TestCase("googlenet", "96", "3")]
    [TestCase("regnet-x-400mf", "112x80", "top")]
    [TestCase("mobilenetv3-small", "96x128", "top")]
    [TestCase("squeezenet1.1", "96", "top")]
    [TestCase("lraspp-mobilenetv3", "128x96", "box:30,20,90,70")]
    [TestCase("deeplabv3-mobilenetv3", "96", "box:10,10,50,40:2")]
    [TestCase("fcn-resnet50", "64", "box:0,0,32,32")]
    [TestCase("tiny-yolo", "128x96", "detection:1")]
    public void Every_model_of_the_wild_corpus_is_explained_by_the_tool(string name, string size, string target)
    {
        string model = Path.Combine(RepoPaths.Root, "artifacts", "corpus", name, "model.onnx");
        if (!File.Exists(model))
            Assert.Ignore($"Corpus model {name} is not exported here; tools/test.sh writes it (tools/models/wild_corpus.py).");
        string photo = Path.Combine(_out, "photo.png");
        var image = new RgbaImage(200, 150);
        var random = new Random(7);
        for (int y = 0; y < image.Height; y++)
        {
            for (int x = 0; x < image.Width; x++)
                image[x, y] = RgbaImage.Pack((byte)(x + y), (byte)random.Next(256), (byte)(x * 3 % 256));
        }
        ImageFile.Save(photo, image);
        string results = Path.Combine(_out, name);

        var (exit, output, error) = Explain(photo, "--model", model, "--size", size, "--mean", "0.485,0.456,0.406", "--std", "0.229,0.224,0.225",
            "--target", target, "--method", "gradient,grad-cam,rise:masks=50", "--metrics", "--threads", "2", "--out", results);

        Assert.That(exit, Is.EqualTo(0), output + error);
        Assert.That(output, Does.Contain("Done     1 explained, 0 failed"));
        var parts = size.Split('x');
        int width = int.Parse(parts[0]), height = int.Parse(parts[^1]);
        foreach (var method in new[] { "gradient", "grad-cam", "rise" })
        {
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(results, $"photo.{method}.json")));
            var map = json.RootElement.GetProperty("map");
            var mapSize = (map.GetProperty("width").GetInt32(), map.GetProperty("height").GetInt32());
            if (method == "grad-cam")
                Assert.That(mapSize.Item1 * mapSize.Item2, Is.GreaterThan(1), "grad-cam: a map at its layer's size");
            else
                Assert.That(mapSize, Is.EqualTo((width, height)), $"{method}: a map at the input's size");
            Assert.That(json.RootElement.GetProperty("metrics").GetProperty("deletion_auc").GetDouble(), Is.InRange(0.0, 1.0), $"{method}: metrics computed");
            Assert.That(File.Exists(Path.Combine(results, $"photo.{method}.overlay.png")), method);
        }
    }
}
