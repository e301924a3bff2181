using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Glassbox.Engine;
using Glassbox.Graphics;
using Glassbox.Inference;
using Glassbox.Media;
using Glassbox.Visualisation;

namespace Glassbox.Benchmarks;

/// <summary>
/// The live pipeline headless for N frames, as the demo runs it but without a window: the drawing
/// changes every frame, the scene updates (preprocess and submit), records, and is drawn on the GPU
/// offscreen (glFinish included) or by the CPU rasteriser without a display. Prints per-stage p50 and
/// p95, frames per second, managed bytes allocated per frame (render thread, and the whole process with
/// the inference thread), each against floors measured in the same run: the plain ORT forward run of
/// the model with the same threads, and drawing an empty scene. Writes JSON and Markdown with the machine.
/// </summary>
internal static class EndToEnd
{
    public static int Run(string[] args)
    {
        // --model resnet18 | mobilenetv2: the same pipeline on an ImageNet-sized model fed by a live source;
        // --model mnist-vit: the drawing scene on the shipped ViT, explained by attention rollout.
        string model = Array.IndexOf(args, "--model") is var m and >= 0 && m + 1 < args.Length ? args[m + 1] : "mnist-cnn";
        if (model is not ("mnist-cnn" or "mnist-vit"))
            return ImageModelEndToEnd.Run(model, args);
        bool vit = model == "mnist-vit";
        int frames = Argument(args, "--frames", 600);
        int threads = Argument(args, "--threads", 1);
        // --method lrp (or any method's specification): the CNN's scene explained by it instead of Grad-CAM.
        string method = Array.IndexOf(args, "--method") is var k and >= 0 && k + 1 < args.Length ? args[k + 1] : vit ? "attention-rollout" : "grad-cam";
        // --network: the demo's network mode, every layer's channels drawn live in place of the bars and the grid.
        bool network = args.Contains("--network");
        // --view-only: the network view without the channel inspector the demo shows under it.
        bool inspector = network && !args.Contains("--view-only");
        var (scene, canvas, inference) = BenchScene.Build(threads, model, method, network, inspector);
        using var _ = scene;
        var font = BakedFont.Default;
        var record = new SceneCanvas(BenchScene.Width, BenchScene.Height, font);
        GlContext? gl = null;
        SceneCanvasRenderer? gpu = null;
        if (GlContext.DisplayAvailable)
        {
            gl = GlContext.CreateOffscreen();
            gpu = new SceneCanvasRenderer(gl, ShaderLibrary.FindDefault(), font, BenchScene.Width, BenchScene.Height);
            record = gpu.CreateCanvas();
        }
        string renderer = gl is null ? "CPU rasteriser (no display)" : $"GPU offscreen: {gl.Renderer}";
        void Draw()
        {
            if (gpu is null)
            {
                record.RenderOnCpu();
                return;
            }
            gpu.Render(record);
            gl!.Finish();
        }

        // Floors, in this run: the plain forward run, and an empty scene drawn.
        var (forward, providers) = ForwardFloor(Path.Combine(BenchModels.RepoRoot, "models", model), threads, [ExecutionProvider.Cpu], runs: 250, warmUp: 50);
        string ortVersion = providers.OnnxRuntimeVersion;
        var empty = new List<double>();
        for (int i = 0; i < 200; i++)
        {
            long t = Stopwatch.GetTimestamp();
            record.Begin();
            Draw();
            empty.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }

        var clock = Stopwatch.StartNew();
        var update = new List<double>(); var rec = new List<double>(); var draw = new List<double>(); var frame = new List<double>();
        var run = new List<double>(); var explain = new List<double>(); var preprocess = new List<double>(); var latency = new List<double>();
        long renderAllocated = 0, processAllocated = 0;
        long lastResult = 0;
        canvas.AddStroke([new StrokePoint(70, 50), new StrokePoint(210, 50), new StrokePoint(120, 240)]);
        int warmUp = Math.Min(100, frames / 4);
        var last = TimeSpan.Zero;
        // The drawing changes before every frame, as a person's would while drawing: a short stroke under the
        // digit, moving along, then taken back (so the drawing keeps its size and the raster its cost).
        var bars = Enumerable.Range(0, 160).Select(k => CanvasEdit.Stroke([new StrokePoint(60 + k, 260), new StrokePoint(62 + k, 262)])).ToArray();
        long inferenceBytesBefore = 0, resultsBefore = 0;
        for (int i = 0; i < frames + warmUp; i++)
        {
            bool measured = i >= warmUp;
            if (i == warmUp)
                (inferenceBytesBefore, resultsBefore) = (inference.AllocatedBytes, inference.Completed);
            canvas.Apply(i % 2 == 0 ? bars[i / 2 % bars.Length] : CanvasEdit.Undo);
            long threadBefore = GC.GetAllocatedBytesForCurrentThread(), processBefore = GC.GetTotalAllocatedBytes();
            long t0 = Stopwatch.GetTimestamp();
            var now = clock.Elapsed;
            scene.Update(new FrameTime(i + 1, now, now - last));
            last = now;
            long t1 = Stopwatch.GetTimestamp();
            record.Begin();
            scene.Render(record);
            long t2 = Stopwatch.GetTimestamp();
            Draw();
            long t3 = Stopwatch.GetTimestamp();
            if (!measured)
                continue;
            renderAllocated += GC.GetAllocatedBytesForCurrentThread() - threadBefore;
            processAllocated += GC.GetTotalAllocatedBytes() - processBefore;
            update.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
            rec.Add(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);
            draw.Add(Stopwatch.GetElapsedTime(t2, t3).TotalMilliseconds);
            frame.Add(Stopwatch.GetElapsedTime(t0, t3).TotalMilliseconds);
            if (inference.Latest is { } result && result.Sequence != lastResult)
            {
                lastResult = result.Sequence;
                run.Add(result.Explanation.SharedRunTime.TotalMilliseconds);
                explain.Add(result.ExplainTime.TotalMilliseconds);
                preprocess.Add(result.PreprocessTime.TotalMilliseconds);
                latency.Add(result.Latency.TotalMilliseconds);
            }
        }
        gpu?.Dispose();
        gl?.Dispose();
        double inferenceBytesPerResult = (inference.AllocatedBytes - inferenceBytesBefore) / (double)Math.Max(1, inference.Completed - resultsBefore);

        var rows = new List<(string Stage, List<double> Values, string Floor)>
        {
            ("frame (update + record + draw)", frame, Ratio(frame, empty, "empty scene")),
            ("update: canvas → MNIST tensor, submit", update, ""),
            ("record: components → draw list", rec, ""),
            ("draw: draw list → pixels", draw, Ratio(draw, empty, "empty scene")),
            (vit ? "inference: shared run (forward + attention taps)" : $"inference: shared run (forward + {(method == "grad-cam" ? "gradient" : method)})", run, Ratio(run, forward, "plain forward")),
            (vit ? "inference: explain (run + attention rollout)" : $"inference: explain (run + {method} map + taps)", explain, Ratio(explain, forward, "plain forward")),
            ("preprocess on the render thread", preprocess, ""),
            ("latency: drawing → result ready", latency, ""),
            ("floor: plain ORT forward run", forward, ""),
            ("floor: empty scene drawn", empty, ""),
        };
        double fps = 1000.0 / Percentile(frame, 0.5);
        var machine = new Dictionary<string, string>
        {
            ["os"] = RuntimeInformation.OSDescription,
            ["cpus"] = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
            ["runtime"] = RuntimeInformation.FrameworkDescription,
            ["renderer"] = renderer,
            ["onnxruntime"] = ortVersion,
            ["model"] = model,
            ["method"] = method,
            ["view"] = network ? $"network (every layer, every channel){(inspector ? " and the inspector of one channel" : "")}" : "bars and relu2 grid",
            ["execution_provider"] = "CPU",
            ["intra_op_threads"] = threads.ToString(CultureInfo.InvariantCulture),
        };
        var md = new StringBuilder();
        md.AppendLine(Inv($"# End-to-end live pipeline, {model} explained by {method}{(network ? ", the whole network drawn" : "")}, {frames} frames")).AppendLine();
        md.AppendLine(string.Join(", ", machine.Select(kv => $"{kv.Key}: {kv.Value}"))).AppendLine();
        md.AppendLine("| stage | p50 (ms) | p95 (ms) | vs floor |").AppendLine("|---|---:|---:|---|");
        foreach (var (stage, values, floor) in rows)
            md.AppendLine(Inv($"| {stage} | {Percentile(values, 0.5):0.000} | {Percentile(values, 0.95):0.000} | {floor} |"));
        md.AppendLine().AppendLine(Inv($"Frames per second (p50 frame): {fps:0}. Results: {run.Count} over {frames} frames."));
        md.AppendLine(Inv($"Managed bytes allocated per frame: render thread {renderAllocated / (double)frames:0}, whole process (with the inference thread) {processAllocated / (double)frames:0}."));
        md.AppendLine(Inv($"Inference thread: {inferenceBytesPerResult:0} bytes per result (the result itself: probabilities, map{(vit ? "" : " and the tapped feature maps the grid shows")})."));
        Console.WriteLine(md.ToString());

        WriteResults((vit ? "e2e-mnist-vit" : "e2e") + (method is "grad-cam" or "attention-rollout" ? "" : "-" + method.Split(':')[0]) + (network ? "-network" : "") + (network && !inspector ? "-view-only" : ""), md.ToString(), new
        {
            frames,
            machine,
            stages = rows.Select(r => new { stage = r.Stage, p50 = Percentile(r.Values, 0.5), p95 = Percentile(r.Values, 0.95), samples = r.Values.Count, vs_floor = r.Floor }),
            fps,
            allocated_bytes_per_frame = new { render_thread = renderAllocated / (double)frames, process = processAllocated / (double)frames },
            inference_thread_bytes_per_result = inferenceBytesPerResult,
        });
        return 0;
    }

    /// <summary>
    /// The plain forward run of <paramref name="package"/> (batch 1), <paramref name="runs"/> times after
    /// <paramref name="warmUp"/> more, on a thread of its own; <paramref name="frame"/>, if given, is called on this
    /// thread meanwhile (a scene kept drawing: the floor under the same load). Returns the times in milliseconds and
    /// which provider ran.
    /// </summary>
    internal static (List<double> Times, ProviderReport Providers) ForwardFloor(string package, int threads, IReadOnlyList<ExecutionProvider> providers,
                                                                               int runs, int warmUp, Action? frame = null)
    {
        var loaded = ModelPackage.Load(package);
        using var session = ModelSession.Open(loaded.Model, InferenceOptions.Default with { Providers = providers, IntraOpThreads = threads });
        using var run = session.CreateRun(dimensions: new Dictionary<string, long> { ["batch"] = 1 });
        var times = new List<double>(runs);
        var floor = Task.Run(() =>
        {
            for (int i = 0; i < warmUp + runs; i++)
            {
                long t = Stopwatch.GetTimestamp();
                run.Execute();
                if (i >= warmUp)
                    times.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }
        });
        while (frame is not null && !floor.IsCompleted)
            frame();
        floor.GetAwaiter().GetResult();
        return (times, session.Providers);
    }

    private static string Ratio(List<double> values, List<double> floor, string name) =>
        values.Count == 0 ? "" : Inv($"{Percentile(values, 0.5) / Percentile(floor, 0.5):0.00}× {name}");

    internal static double Percentile(List<double> values, double q)
    {
        if (values.Count == 0)
            return double.NaN;
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
    }

    internal static int Argument(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : fallback;
    }

    /// <summary>Writes a run's Markdown table and its JSON to artifacts/benchmarks/&lt;name&gt;-&lt;UTC time&gt;.md/.json and says where.</summary>
    internal static void WriteResults(string name, string markdown, object json)
    {
        string folder = Path.Combine(BenchModels.RepoRoot, "artifacts", "benchmarks");
        Directory.CreateDirectory(folder);
        string stem = Path.Combine(folder, $"{name}-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        File.WriteAllText(stem + ".md", markdown);
        File.WriteAllText(stem + ".json", JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        Console.WriteLine($"Results  {stem}.md, {stem}.json");
    }

    internal static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
