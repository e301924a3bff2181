using Glassbox.Engine;
using Glassbox.Media;
using Microsoft.Extensions.Time.Testing;

namespace Glassbox.Tests;

/// <summary>
/// Unattended: a stage that stops making progress is replaced, and the scene goes on. The scene runs on a
/// fake clock, so "stuck for longer than the limit" is a step of the test, not a wait.
/// </summary>
public class WatchdogTests
{
    private static string Model => Path.Combine(RepoPaths.Root, "models", "mnist-cnn");

    private static readonly StrokePoint[] Seven = [new(70, 50), new(210, 50), new(120, 240)];

    private static long _frame;

    private static void Frame(Scene scene) => scene.Update(new FrameTime(++_frame, scene.Now, TimeSpan.FromMilliseconds(16)));

    [Test]
    public void An_inference_run_past_its_limit_is_replaced_by_a_fresh_thread_and_results_come_again()
    {
        var clock = new FakeTimeProvider();
        using var scene = new Scene("watchdog", new SceneServices(clock));
        var input = scene.CreateEntity("Input");
        var canvas = input.Add(new DrawingCanvasInput());
        // A hundred thousand RISE masks keep one run going far longer than this test.
        var inference = input.Add(new CnnInference { Model = Model, Ep = "cpu", Threads = 1, Methods = ["rise:masks=100000"], WatchdogSeconds = 0.2f });
        canvas.AddStroke(Seven);
        Await.Until(() => inference.Worker is { Running: true }, "the long run to start", () => Frame(scene));
        var stuck = inference.Worker;

        clock.Advance(TimeSpan.FromSeconds(0.5));
        Frame(scene);

        Assert.That(inference.WatchdogRestarts, Is.EqualTo(1));
        Assert.That(scene.LastError!.Phase, Is.EqualTo("Watchdog"));
        Assert.That(scene.LastError.Exception.Message, Is.EqualTo("The inference thread made no progress for 0.5 s (limit 0.2 s); a fresh one replaced it."));
        Assert.That(inference.Worker, Is.Not.Null.And.Not.SameAs(stuck), "a fresh thread runs");

        // With a method that fits the limit, the fresh thread answers.
        inference.Reconfigure(methods: ["grad-cam"]);
        Await.Until(() => inference.Latest?.Explanation.Maps[0].Method == "grad-cam", "a result after the restart", () => Frame(scene));
        Assert.That(inference.Latest!.Explanation.PredictedClass, Is.EqualTo(7));
    }

    /// <summary>A source whose first opening never returns until the test lets it, as a wedged camera driver does.</summary>
    private sealed class WedgedOnceFeed : FrameFeed
    {
        private int _opens;

        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public int Opens => _opens;

        public PixelSource Pixels { get; } = new("fresh");

        protected override IFrameSource OpenSource()
        {
            if (Interlocked.Increment(ref _opens) == 1)
            {
                Entered.Set();
                Release.Wait();
                throw new GlassboxException("the wedged driver gave up");
            }
            Pixels.Push(new RgbaImage(16, 12));
            return Pixels.OpenReader();
        }

        protected override string Describe() => "wedged source";
    }

    [Test]
    public void A_capture_thread_stuck_in_its_source_is_replaced_and_frames_come_again()
    {
        var clock = new FakeTimeProvider();
        using var scene = new Scene("watchdog", new SceneServices(clock));
        var feed = scene.CreateEntity("Feed").Add(new WedgedOnceFeed { WatchdogSeconds = 0.5f });
        try
        {
            feed.Entered.Wait();
            Frame(scene);
            Assert.That(feed.WatchdogRestarts, Is.Zero, "not stuck yet by the scene's clock");

            clock.Advance(TimeSpan.FromSeconds(1));
            Frame(scene);
            Assert.That(feed.WatchdogRestarts, Is.EqualTo(1));
            Assert.That(scene.LastError!.Exception.Message, Is.EqualTo("wedged source: the capture thread was stuck for 1.0 s (limit 0.5 s); a fresh one replaced it."));

            Await.Until(() => feed.Current is not null, "a frame from the fresh capture thread", () => Frame(scene));
            Assert.That(feed.Opens, Is.EqualTo(2), "the stuck opening was left behind, one fresh one replaced it");
            Assert.That(feed.WatchdogRestarts, Is.EqualTo(1));
        }
        finally
        {
            feed.Release.Set();
            feed.Pixels.Dispose();
        }
    }
}
