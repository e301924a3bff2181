using System.Diagnostics;
using System.Globalization;
using System.Text;
using Glassbox.Engine;
using Glassbox.Engine.Recording;
using Glassbox.Graphics;
using Glassbox.Visualisation;

namespace Glassbox.Benchmarks;

/// <summary>
/// The kiosk's long run: the demo's scene with the canvas fed by the committed recording on a loop, and
/// beside it a second pipeline fed by a live GStreamer source (videotestsrc), both explained on their own
/// inference threads and drawn on the GPU offscreen every frame, for the given minutes. Samples managed
/// heap (after a full collection) and the process's working set every 10 s and records every frame's time.
/// Reports memory growth after the warm-up (first fifth of the run, at least a minute) as the second half's
/// mean against the first half's with the fitted slope, the longest frame (a stall), and the results made;
/// writes Markdown and JSON.
/// </summary>
internal static class Soak
{
    public static int Run(string[] args)
    {
        double minutes = args.SkipWhile(a => a != "--minutes").Skip(1).Select(a => double.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(30);
        var (scene, _, inference) = BenchScene.Build(threads: 1);
        using var _scene = scene;
        scene.CreateEntity("Replay").Add(new SessionReplayer
        {
            Path = Path.Combine(BenchModels.RepoRoot, "examples", "LiveDemo", "recordings", "digits-0-9.gbrec"),
            Loop = true,
            PauseSeconds = 0.5f,
        });
        using var feedScene = new Scene("feed", new SceneServices(TimeProvider.System, Glassbox.Media.GStreamerSources.Instance));
        var feed = feedScene.CreateEntity("Feed");
        var video = feed.Add(new VideoFeed { Pattern = "ball", X = 0, Y = 0, DisplayWidth = 320, DisplayHeight = 240 });
        var feedInference = feed.Add(new CnnInference { Model = Path.Combine(BenchModels.RepoRoot, "models", "mnist-cnn"), Ep = "cpu", Threads = 1 });
        feed.Add(new AttributionOverlay { X = 0, Y = 0, Size = 240 });

        if (!GlContext.DisplayAvailable)
        {
            Console.Error.WriteLine("soak: needs a display for the GPU path; run under xvfb-run -a.");
            return 2;
        }
        using var gl = GlContext.CreateOffscreen();
        var font = BakedFont.Default;
        using var gpu = new SceneCanvasRenderer(gl, ShaderLibrary.FindDefault(), font, BenchScene.Width, BenchScene.Height);
        var canvas = gpu.CreateCanvas();
        using var feedGpu = new SceneCanvasRenderer(gl, ShaderLibrary.FindDefault(), font, 320, 240);
        var feedCanvas = feedGpu.CreateCanvas();

        var duration = TimeSpan.FromMinutes(minutes);
        var warmUp = TimeSpan.FromMinutes(Math.Max(1, minutes / 5));
        var clock = Stopwatch.StartNew();
        var samples = new List<(double Minutes, long Heap, long WorkingSet)>();
        var frameTimes = new List<float>(capacity: (int)(duration.TotalSeconds * 70));
        var last = TimeSpan.Zero;
        var nextSample = TimeSpan.Zero;
        long frame = 0;
        int maxIndex = 0;
        Console.WriteLine(EndToEnd.Inv($"soak: {minutes} min, canvas replay + videotestsrc, GPU offscreen ({gl.Renderer}); a sample every 10 s"));
        while (clock.Elapsed < duration)
        {
            var now = clock.Elapsed;
            var time = new FrameTime(++frame, now, now - last);
            scene.Update(time);
            feedScene.Update(time);
            canvas.Begin();
            scene.Render(canvas);
            gpu.Render(canvas);
            feedCanvas.Begin();
            feedScene.Render(feedCanvas);
            feedGpu.Render(feedCanvas);
            gl.Finish();
            float ms = (float)(clock.Elapsed - now).TotalMilliseconds;
            frameTimes.Add(ms);
            if (ms > frameTimes[maxIndex])
                maxIndex = frameTimes.Count - 1;
            last = now;
            if (now >= nextSample)
            {
                // The live heap after a full collection: without it the sample lands anywhere on the GC's sawtooth.
                samples.Add((now.TotalMinutes, GC.GetTotalMemory(forceFullCollection: true), Process.GetCurrentProcess().WorkingSet64));
                Console.WriteLine(EndToEnd.Inv($"  {now.TotalMinutes,5:0.0} min: frame {frame}, heap {samples[^1].Heap / 1048576.0:0.0} MiB, working set {samples[^1].WorkingSet / 1048576.0:0.0} MiB, results {inference.Completed} + {feedInference.Completed}, feed {video.State}"));
                nextSample += TimeSpan.FromSeconds(10);
            }
            // About 60 frames per second, as a display would pace the loop.
            var spare = TimeSpan.FromMilliseconds(16.6) - (clock.Elapsed - now);
            if (spare > TimeSpan.Zero)
                Thread.Sleep(spare);
        }

        // Growth: the mean of the second half of the samples after warm-up against the first half's, and the
        // fitted slope. Memory swings ±10% from sample to sample (ORT's arenas, llvmpipe, GStreamer's buffers),
        // so one minute against another says more about the swing than about a leak.
        var settled = samples.Where(s => s.Minutes >= warmUp.TotalMinutes).ToList();
        var (first, second) = (settled.Take(settled.Count / 2).ToList(), settled.Skip(settled.Count / 2).ToList());
        double Growth(Func<(double Minutes, long Heap, long WorkingSet), double> pick) =>
            first.Count == 0 || second.Count == 0 ? double.NaN : second.Average(pick) / first.Average(pick) - 1;
        double Slope(Func<(double Minutes, long Heap, long WorkingSet), double> pick)
        {
            if (settled.Count < 2)
                return double.NaN;
            double mx = settled.Average(s => s.Minutes), my = settled.Average(pick);
            return settled.Sum(s => (s.Minutes - mx) * (pick(s) - my)) / settled.Sum(s => (s.Minutes - mx) * (s.Minutes - mx));
        }
        double heapGrowth = Growth(s => s.Heap), workingSetGrowth = Growth(s => s.WorkingSet);
        double workingSetSlope = Slope(s => s.WorkingSet / 1048576.0), heapSlope = Slope(s => s.Heap / 1048576.0);
        var sorted = frameTimes.OrderBy(t => t).ToArray();
        double p50 = sorted[sorted.Length / 2], p99 = sorted[(int)(sorted.Length * 0.99)], worst = sorted[^1];
        int stalls = frameTimes.Count(t => t > 1000);
        long canvasResults = inference.Completed, feedResults = feedInference.Completed;

        var md = new StringBuilder();
        md.AppendLine(EndToEnd.Inv($"# Soak: {minutes} minutes, canvas replay + videotestsrc through the whole pipeline")).AppendLine();
        md.AppendLine(EndToEnd.Inv($"{Environment.ProcessorCount} CPUs, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, GPU offscreen: {gl.Renderer}; warm-up {warmUp.TotalMinutes:0.#} min")).AppendLine();
        md.AppendLine("| measure | value | target |").AppendLine("|---|---:|---|");
        md.AppendLine(EndToEnd.Inv($"| managed heap growth after warm-up (second half's mean vs first half's) | {heapGrowth:P1}, slope {heapSlope * 60:0.00} MiB/h | < 5% |"));
        md.AppendLine(EndToEnd.Inv($"| working-set growth after warm-up (second half's mean vs first half's) | {workingSetGrowth:P1}, slope {workingSetSlope * 60:0.0} MiB/h | < 5% |"));
        if (settled.Count > 0)
            md.AppendLine(EndToEnd.Inv($"| working set, lowest / highest sample after warm-up (MiB) | {settled.Min(s => s.WorkingSet) / 1048576.0:0.0} / {settled.Max(s => s.WorkingSet) / 1048576.0:0.0} | |"));
        md.AppendLine(EndToEnd.Inv($"| frames | {frame} | |"));
        md.AppendLine(EndToEnd.Inv($"| frame p50 / p99 / worst (ms) | {p50:0.0} / {p99:0.0} / {worst:0.0} (frame {maxIndex + 1}) | no stall over 1 s |"));
        md.AppendLine(EndToEnd.Inv($"| frames over 1 s | {stalls} | 0 |"));
        md.AppendLine(EndToEnd.Inv($"| results: canvas / feed | {canvasResults} / {feedResults} | |"));
        md.AppendLine(EndToEnd.Inv($"| feed reconnections | {video.Reconnections} | |"));
        md.AppendLine().AppendLine("| minute | heap (MiB) | working set (MiB) |").AppendLine("|---:|---:|---:|");
        foreach (var s in samples.Where((_, i) => i % 6 == 0))
            md.AppendLine(EndToEnd.Inv($"| {s.Minutes:0.0} | {s.Heap / 1048576.0:0.0} | {s.WorkingSet / 1048576.0:0.0} |"));
        Console.WriteLine(md.ToString());

        EndToEnd.WriteResults("soak", md.ToString(), new
        {
            minutes,
            warm_up_minutes = warmUp.TotalMinutes,
            frames = frame,
            heap_growth = heapGrowth,
            working_set_growth = workingSetGrowth,
            heap_slope_mib_per_hour = heapSlope * 60,
            working_set_slope_mib_per_hour = workingSetSlope * 60,
            frame_ms = new { p50, p99, worst },
            stalls_over_1s = stalls,
            results = new { canvas = canvasResults, feed = feedResults },
            samples = samples.Select(s => new { minutes = s.Minutes, heap = s.Heap, working_set = s.WorkingSet }),
        });
        return stalls == 0 && heapGrowth < 0.05 && workingSetGrowth < 0.05 ? 0 : 1;
    }
}
