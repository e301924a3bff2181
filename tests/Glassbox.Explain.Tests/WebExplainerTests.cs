using System.Diagnostics;
using System.Text.Json;
using Glassbox.Explain;
using Glassbox.Explain.Methods;
using Glassbox.Inference;

namespace Glassbox.Tests;

/// <summary>
/// examples/WebExplainer in Debian's Chromium, headless: an exported explainer served from a folder on localhost,
/// run by onnxruntime-web (WASM), driven through the DevTools protocol (examples/WebExplainer/drive.mjs).
/// </summary>
[Category(TestCategories.Slow)]
public class WebExplainerTests
{
    private static string _site = "";
    private static Process? _server;
    private static string _url = "";

    [OneTimeSetUp]
    public void ServeTheSite()
    {
        _site = Directory.CreateTempSubdirectory("glassbox-web-").FullName;
        string example = Path.Combine(RepoPaths.Root, "examples", "WebExplainer");
        foreach (var file in new[] { "index.html", "explainer.js" })
            File.Copy(Path.Combine(example, file), Path.Combine(_site, file));
        Directory.CreateDirectory(Path.Combine(_site, "ort"));
        foreach (var file in new[] { "ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm" })
            File.Copy(Path.Combine(RepoPaths.Root, "node_modules", "onnxruntime-web", "dist", file), Path.Combine(_site, "ort", file));

        var package = ModelPackage.Load(Path.Combine(RepoPaths.Root, "models", "mnist-cnn"));
        using var explainer = Explainer.Create(package, MnistExplainTests.Options);
        var exported = ExplainerExport.Export(explainer, AttributionMethods.ParseList("grad-cam,gradient-x-input"));
        File.WriteAllBytes(Path.Combine(_site, "model.onnx"), exported.ToBytes());
        File.WriteAllText(Path.Combine(_site, "model.json"), ExplainerExport.Description(explainer, exported, package.Labels));
        // Grad-CAM on the 14×14 maps of relu2: at the last layer (relu4, 7×7) its peak falls inside the 7's angle, off the ink.
        using (var fine = Explainer.Create(package, MnistExplainTests.Options with { Layer = "relu2" }))
        {
            var fineExport = ExplainerExport.Export(fine, [new GradCam()]);
            File.WriteAllBytes(Path.Combine(_site, "fine.onnx"), fineExport.ToBytes());
            File.WriteAllText(Path.Combine(_site, "fine.json"), ExplainerExport.Description(fine, fineExport, package.Labels));
        }
        // A damaged copy: the first 5000 bytes of the model (cut mid-weights), with a good description.
        File.WriteAllBytes(Path.Combine(_site, "cut.onnx"), exported.ToBytes()[..5000]);
        File.WriteAllText(Path.Combine(_site, "cut.json"), ExplainerExport.Description(explainer, exported, package.Labels));

        _server = Process.Start(new ProcessStartInfo("node", [Path.Combine(example, "serve.mjs"), _site, "0"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string line = _server.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"serve.mjs said nothing: {_server.StandardError.ReadToEnd()}");
        _url = line[line.IndexOf("http://", StringComparison.Ordinal)..].Split(' ')[0];
    }

    [OneTimeTearDown]
    public void StopServing()
    {
        _server?.Kill();
        _server?.Dispose();
        Directory.Delete(_site, recursive: true);
    }

    private static JsonElement Open(string query)
    {
        var start = new ProcessStartInfo("node", [Path.Combine(RepoPaths.Root, "examples", "WebExplainer", "drive.mjs"), $"{_url}index.html?{query}", "120"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var driver = Process.Start(start)!;
        var errors = driver.StandardError.ReadToEndAsync();
        string output = driver.StandardOutput.ReadToEnd();
        Assert.That(driver.WaitForExit(TimeSpan.FromMinutes(3)), Is.True, "the driver finished");
        Assert.That(driver.ExitCode, Is.Zero, errors.Result);
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    /// <summary>Gradient × input, and Grad-CAM on the 14×14 maps of relu2 (fine.onnx).</summary>
    [TestCase("demo=7&method=gradient-x-input")]
    [TestCase("model=fine.onnx&demo=7&method=grad-cam")]
    public void A_seven_drawn_by_a_script_is_predicted_and_its_map_peaks_on_the_stroke(string query)
    {
        var result = Open(query);
        Assert.That(result.TryGetProperty("error", out var error), Is.False, error.ToString());
        Assert.That(result.GetProperty("prediction").GetInt32(), Is.EqualTo(7));
        Assert.That(result.GetProperty("peakOnStroke").GetBoolean(), Is.True, $"peak at {result.GetProperty("peak")}");
    }

    [Test]
    public void A_missing_model_gets_the_pages_own_error_text()
    {
        var result = Open("model=missing.onnx");
        Assert.That(result.GetProperty("error").GetString(), Does.StartWith("Could not load the explainer: missing.onnx: HTTP 404").And.Contain("tools/demo.sh web"));
    }

    [Test]
    public void A_damaged_model_gets_the_pages_own_error_text()
    {
        var result = Open("model=cut.onnx");
        Assert.That(result.GetProperty("error").GetString(), Does.StartWith("Could not load the explainer: cut.onnx is not a model ONNX Runtime can load"));
    }
}
