using System.Diagnostics;
using Glassbox.Engine;
using Glassbox.Media;

namespace Glassbox.Tests;

/// <summary>Unattended: a stage that stops making progress is replaced, and the scene goes on.</summary>
public class WatchdogTests
{
    private static string Model => Path.Combine(RepoPaths.Root, "models", "mnist-cnn");

    private static readonly StrokePoint[] Seven = [new(70, 50), new(210, 50), new(120, 240)];

    private static void RunUntil(Scene scene, Func<bool> done, TimeSpan limit, string what)
    {
        var clock = Stopwatch.StartNew();
        for (long frame = 1; !done(); frame++)
        {
            Assert.That(clock.Elapsed, Is.LessThan(limit), $"waiting for {what}");
            scene.Update(new FrameTime(frame, clock.Elapsed, TimeSpan.FromMilliseconds(5)));
            Thread.Sleep(5);
        }
    }

    [Test]
    public void An_inference_run_past_its_limit_is_replaced_by_a_fresh_thread_and_results_come_again()
    {
        using var scene = new Scene("watchdog");
        var input = scene.CreateEntity("Input");
        var canvas = input.Add(new DrawingCanvasInput());
        // Ten thousand RISE masks take far longer than the 0.2 s this watchdog allows one run.
        var inference = input.Add(new CnnInference { Model = Model, Ep = "cpu", Threads = 1, Methods = ["rise:masks=10000"], WatchdogSeconds = 0.2f });
        canvas.AddStroke(Seven);
        RunUntil(scene, () => inference.WatchdogRestarts > 0, TimeSpan.FromSeconds(20), "the watchdog");

        Assert.That(scene.LastError!.Phase, Is.EqualTo("Watchdog"));
        Assert.That(scene.LastError.Exception.Message, Does.Match(@"^The inference thread made no progress for \d+\.\d s \(limit 0\.2 s\); a fresh one replaced it\.$"));
        Assert.That(inference.Worker, Is.Not.Null, "a fresh thread runs");

        // With a method that fits the limit, the fresh thread answers.
        inference.Reconfigure(methods: ["grad-cam"]);
        RunUntil(scene, () => inference.Latest?.Explanation.Maps[0].Method == "grad-cam", TimeSpan.FromSeconds(20), "a result after the restart");
        Assert.That(inference.Latest!.Explanation.PredictedClass, Is.EqualTo(7));
    }

    /// <summary>A source whose first opening never returns in time, as a wedged camera driver does.</summary>
    private sealed class WedgedOnceFeed : FrameFeed
    {
        private int _opens;

        public int Opens => _opens;

        protected override GStreamerSource OpenSource()
        {
            if (Interlocked.Increment(ref _opens) == 1)
                Thread.Sleep(TimeSpan.FromSeconds(3));
            return GStreamerSource.TestPattern("ball", 160, 120, 60);
        }

        protected override string Describe() => "wedged test pattern";
    }

    [Test]
    public void A_capture_thread_stuck_in_its_source_is_replaced_and_frames_come_again()
    {
        using var scene = new Scene("watchdog");
        var feed = scene.CreateEntity("Feed").Add(new WedgedOnceFeed { WatchdogSeconds = 0.5f });
        RunUntil(scene, () => feed.WatchdogRestarts > 0, TimeSpan.FromSeconds(10), "the capture watchdog");
        Assert.That(scene.LastError!.Exception.Message, Does.Match(@"^wedged test pattern: the capture thread was stuck for \d+\.\d s \(limit 0\.5 s\); a fresh one replaced it\.$"));
        RunUntil(scene, () => feed.Current is not null, TimeSpan.FromSeconds(10), "a frame from the fresh capture thread");
        Assert.That(feed.Opens, Is.EqualTo(2), "the stuck opening was left behind, one fresh one replaced it");
        Assert.That(feed.WatchdogRestarts, Is.EqualTo(1));
    }
}
