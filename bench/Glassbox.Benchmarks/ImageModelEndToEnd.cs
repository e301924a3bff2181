using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Glassbox.Engine;
using Glassbox.Graphics;
using Glassbox.Inference;
using Glassbox.Visualisation;

namespace Glassbox.Benchmarks;

/// <summary>
/// The live pipeline on an ImageNet-sized model (ResNet-18 or MobileNetV2 with random weights, from
/// tools/models/export_benchmark_models.py): a live GStreamer source (videotestsrc, 320×240) → the frame
/// made the model's 3×224×224 tensor on the inference thread → Grad-CAM on the inference thread → the overlay
/// and the frame drawn on the GPU offscreen. Per result: preprocess, shared run (forward + gradient) and
/// explain (run + map + copies) times, against the plain ORT forward run with the same threads, measured in
/// the same process both idle and while the scene keeps capturing and drawing (the fair floor on a machine
/// whose cores also rasterise). Pipeline overhead = everything but the ORT run: preprocess + (explain − run).
/// </summary>
internal static class ImageModelEndToEnd
{
    public static int Run(string model, string[] args)
    {
        int results = EndToEnd.Argument(args, "--frames", 200);
        int threads = EndToEnd.Argument(args, "--threads", 2);
        // --ep webgpu | cuda | auto on a machine with a GPU: the floor and the live run use the same preference,
        // and the providers' report says which one ran (a provider that cannot open falls back to the CPU).
        string ep = Array.IndexOf(args, "--ep") is var e and >= 0 && e + 1 < args.Length ? args[e + 1] : "cpu";
        var providers = ExecutionProviders.ParsePreference(ep);
        string package = WritePackage(model);

        var (forward, providerReport) = EndToEnd.ForwardFloor(package, threads, providers, runs: 70, warmUp: 10);
        Console.WriteLine(providerReport);
        using var scene = new Scene($"e2e-{model}", new SceneServices(TimeProvider.System, Glassbox.Media.GStreamerSources.Instance));
        var input = scene.CreateEntity("Input");
        var feed = input.Add(new VideoFeed { Pattern = "ball", Width = 320, Height = 240, Fps = 120, X = 0, Y = 0, DisplayWidth = 448, DisplayHeight = 336 });
        var inference = input.Add(new CnnInference { Model = package, Ep = ep, Threads = threads, Methods = ["grad-cam"], WatchdogSeconds = 0 });
        input.Add(new AttributionOverlay { X = 0, Y = 0, Size = 336 });
        scene.CreateEntity("Bars").Add(new Glassbox.Engine.ProbabilityBars { X = 460, Y = 10, Width = 160, BarHeight = 4 });
        if (inference.Status is { } problem)
            throw new GlassboxException(problem);

        GlContext? gl = GlContext.DisplayAvailable ? GlContext.CreateOffscreen() : null;
        var font = BakedFont.Default;
        var gpu = gl is null ? null : new SceneCanvasRenderer(gl, ShaderLibrary.FindDefault(), font, 640, 360);
        string renderer = gl is null ? "CPU rasteriser" : $"GPU offscreen: {gl.Renderer}";
        var canvas = gpu?.CreateCanvas() ?? new SceneCanvas(640, 360, font);

        var preprocess = new List<double>();
        var run = new List<double>();
        var explain = new List<double>();
        var latency = new List<double>();
        var renderUpdate = new List<double>();
        var renderFrame = new List<double>();
        var clock = Stopwatch.StartNew();
        var last = TimeSpan.Zero;
        long frame = 0, lastSequence = 0;
        int warmUp = 10;
        // One frame of the live loop: capture, prepare, record and draw (and wait a little, as a display would).
        void DrawFrame()
        {
            long t0 = Stopwatch.GetTimestamp();
            var now = clock.Elapsed;
            scene.Update(new FrameTime(++frame, now, now - last));
            last = now;
            long t1 = Stopwatch.GetTimestamp();
            canvas.Begin();
            scene.Render(canvas);
            if (gpu is not null)
            {
                gpu.Render(canvas);
                gl!.Finish();
            }
            else
            {
                canvas.RenderOnCpu();
            }
            if (warmUp <= 0)
            {
                renderUpdate.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
                renderFrame.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
            Thread.Sleep(1);
        }

        long renderBytes = 0, measuredFrames = 0, inferenceBytesBefore = 0, resultsBefore = 0;
        while (run.Count < results && clock.Elapsed < TimeSpan.FromMinutes(10))
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            DrawFrame();
            if (warmUp <= 0)
            {
                renderBytes += GC.GetAllocatedBytesForCurrentThread() - before;
                measuredFrames++;
            }
            if (inference.Latest is { } result && result.Sequence != lastSequence)
            {
                lastSequence = result.Sequence;
                if (warmUp-- > 0)
                {
                    if (warmUp == 0)
                        (inferenceBytesBefore, resultsBefore) = (inference.AllocatedBytes, inference.Completed);
                    continue;
                }
                preprocess.Add(result.PreprocessTime.TotalMilliseconds);
                run.Add(result.Explanation.SharedRunTime.TotalMilliseconds);
                explain.Add(result.ExplainTime.TotalMilliseconds);
                latency.Add(result.Latency.TotalMilliseconds);
            }
        }
        // The floor under the same load: the scene keeps capturing and drawing, the last result's overlay and bars
        // on show, while the plain forward runs on a thread of its own (llvmpipe draws with the same two cores the
        // model runs on). The network is paused, not switched off, so the scene draws what it drew live.
        string liveProvider = inference.Latest?.Explanation.Provider.DisplayName() ?? "-";
        double inferenceBytesPerResult = (inference.AllocatedBytes - inferenceBytesBefore) / (double)Math.Max(1, inference.Completed - resultsBefore);
        double renderBytesPerFrame = renderBytes / (double)Math.Max(1, measuredFrames);
        inference.Paused = true;
        var (loaded, _) = EndToEnd.ForwardFloor(package, threads, providers, runs: 70, warmUp: 10, DrawFrame);
        gpu?.Dispose();
        gl?.Dispose();

        double P(List<double> v) => EndToEnd.Percentile(v, 0.5);
        var overhead = preprocess.Zip(explain, run).Select(t => t.First + (t.Second - t.Third)).ToList();
        var md = new StringBuilder();
        md.AppendLine(EndToEnd.Inv($"# End-to-end live pipeline on {model} (random weights), {run.Count} results")).AppendLine();
        md.AppendLine(EndToEnd.Inv($"videotestsrc 320×240 → 3×224×224 tensor → Grad-CAM (layer auto) → overlay, {renderer}; {liveProvider} provider (floor: {providerReport.Selected.DisplayName()}), {threads} intra-op threads; {Environment.ProcessorCount} CPUs; ONNX Runtime {providerReport.OnnxRuntimeVersion}")).AppendLine();
        md.AppendLine("| stage | p50 (ms) | p95 (ms) |").AppendLine("|---|---:|---:|");
        foreach (var (stage, values) in new[] { ("preprocess: frame → tensor (inference thread)", preprocess), ("shared run: forward + gradient", run), ("explain: run + Grad-CAM map + copies", explain),
                                                 ("pipeline overhead: preprocess + explain − run", overhead), ("latency: frame captured → result", latency), ("floor: plain ORT forward run, idle", forward),
                                                 ("floor: plain ORT forward run, while the scene captures and draws", loaded),
                                                 ("render thread: scene update (capture hand-over, preparation on the render thread if any)", renderUpdate), ("render thread: frame (update + record + draw)", renderFrame) })
            md.AppendLine(EndToEnd.Inv($"| {stage} | {P(values):0.000} | {EndToEnd.Percentile(values, 0.95):0.000} |"));
        md.AppendLine();
        md.AppendLine(EndToEnd.Inv($"Pipeline overhead {P(overhead) / P(run):P1} of the run (target ≤ 10%). Grad-CAM shared run {P(run) / P(loaded):0.00}× the plain forward under the same load (target ≤ 1.3×), {P(run) / P(forward):0.00}× the idle one; explain {P(explain) / P(loaded):0.00}× the loaded forward."));
        md.AppendLine(EndToEnd.Inv($"Managed bytes allocated: render thread {renderBytesPerFrame:0} per frame (capture hand-over, preparation, overlay, draw), inference thread {inferenceBytesPerResult:0} per result (the result itself)."));
        Console.WriteLine(md.ToString());
        EndToEnd.WriteResults($"e2e-{model}", md.ToString(), new
        {
            model,
            threads,
            execution_provider = liveProvider,
            floor_execution_provider = providerReport.Selected.DisplayName(),
            results = run.Count,
            p50 = new { preprocess = P(preprocess), run = P(run), explain = P(explain), overhead = P(overhead), latency = P(latency), forward_idle = P(forward), forward_loaded = P(loaded) },
            overhead_of_run = P(overhead) / P(run),
            run_vs_forward_loaded = P(run) / P(loaded),
            run_vs_forward_idle = P(run) / P(forward),
            render_thread_bytes_per_frame = renderBytesPerFrame,
            inference_thread_bytes_per_result = inferenceBytesPerResult,
        });
        return 0;
    }

    /// <summary>
    /// A model package around the exported model (artifacts/models/&lt;name&gt;-package): its file, a manifest with its
    /// hash, 1000 class labels and ImageNet preprocessing, so the live scene loads it as it loads a shipped one.
    /// </summary>
    private static string WritePackage(string model)
    {
        string source = BenchModels.Path($"{model}.onnx");
        string folder = Path.Combine(BenchModels.RepoRoot, "artifacts", "models", $"{model}-package");
        Directory.CreateDirectory(folder);
        string target = Path.Combine(folder, ModelPackage.ModelFileName);
        if (!File.Exists(target) || new FileInfo(target).Length != new FileInfo(source).Length)
            File.Copy(source, target, overwrite: true);
        string sha = Sha256Hex.Of(File.ReadAllBytes(target));
        var manifest = new
        {
            format = "glassbox-model-package",
            name = $"{model}-random",
            model = new { file = ModelPackage.ModelFileName, sha256 = sha },
            labels = Enumerable.Range(0, 1000).Select(i => i.ToString(CultureInfo.InvariantCulture)),
            preprocessing = new { layout = "NCHW", channels = 3, height = 224, width = 224, mean = new[] { 0.485, 0.456, 0.406 }, std = new[] { 0.229, 0.224, 0.225 }, resize = "centre-crop" },
        };
        File.WriteAllText(Path.Combine(folder, ModelPackage.ManifestFileName), JsonSerializer.Serialize(manifest));
        return folder;
    }
}
