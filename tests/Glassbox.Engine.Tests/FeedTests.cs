using System.Diagnostics;
using Glassbox.Engine;
using Glassbox.Visualisation;

namespace Glassbox.Tests;

/// <summary>Live sources through the whole pipeline: GStreamer's videotestsrc (a real live source) into the shipped CNN.</summary>
public class FeedTests
{
    private static string Model => Path.Combine(RepoPaths.Root, "models", "mnist-cnn");

    [Test]
    public void Three_hundred_test_pattern_frames_pass_through_the_pipeline_without_a_stall_or_memory_growth()
    {
        using var scene = new Scene("feed");
        var entity = scene.CreateEntity("Feed");
        var feed = entity.Add(new VideoFeed { Pattern = "ball", Width = 320, Height = 240, Fps = 120 });
        var inference = entity.Add(new CnnInference { Model = Model, Ep = "cpu", Threads = 1 });
        entity.Add(new AttributionOverlay());
        scene.CreateEntity("Stats").Add(new StatsPanel());
        var renderer = new NullRenderer();

        var clock = Stopwatch.StartNew();
        var lastArrival = TimeSpan.Zero;
        var longestGap = TimeSpan.Zero;
        long warmMemory = 0, submitted = 0;
        for (long frame = 1; feed.Submitted < 300 && clock.Elapsed < TimeSpan.FromSeconds(60); frame++)
        {
            scene.Update(new FrameTime(frame, clock.Elapsed, TimeSpan.FromMilliseconds(4)));
            renderer.Clear();
            scene.Render(renderer);
            if (feed.Submitted != submitted)
            {
                submitted = feed.Submitted;
                if (submitted > 1)
                    longestGap = TimeSpan.FromTicks(Math.Max(longestGap.Ticks, (clock.Elapsed - lastArrival).Ticks));
                lastArrival = clock.Elapsed;
                if (submitted == 50)
                    warmMemory = GC.GetTotalMemory(forceFullCollection: true);
            }
            Thread.Sleep(1);
        }
        long endMemory = GC.GetTotalMemory(forceFullCollection: true);
        TestContext.Out.WriteLine($"{feed.Submitted} frames in {clock.Elapsed.TotalSeconds:0.0} s, longest gap {longestGap.TotalMilliseconds:0} ms, " +
                                  $"{inference.Worker!.Completed} results, {inference.Worker.DroppedFrames} dropped by inference, {feed.Capture!.Dropped} by capture; " +
                                  $"managed memory {warmMemory / 1024} KiB after 50 frames, {endMemory / 1024} KiB after 300");

        Assert.That(feed.Submitted, Is.GreaterThanOrEqualTo(300));
        Assert.That(longestGap, Is.LessThan(TimeSpan.FromSeconds(1)), "no stall");
        Assert.That(inference.Worker.Completed, Is.GreaterThan(100), "results keep coming");
        Assert.That(inference.Latest!.Sequence, Is.GreaterThan(250));
        Assert.That(endMemory, Is.LessThan(warmMemory * 1.05 + 256 * 1024), "no growth after warm-up");
        Assert.That(renderer.Calls[0], Is.EqualTo("image 320x240 at 20,20 320x240"));
    }

    [Test]
    public void A_source_that_cannot_open_shows_why_and_keeps_the_scene_running()
    {
        using var scene = new Scene("feed");
        var feed = scene.CreateEntity("Feed").Add(new VideoFeed { Path = "/nonexistent/clip.mkv" });
        var renderer = new NullRenderer();
        var clock = Stopwatch.StartNew();
        for (long frame = 1; clock.Elapsed < TimeSpan.FromSeconds(1); frame++)
        {
            scene.Update(new FrameTime(frame, clock.Elapsed, TimeSpan.FromMilliseconds(16)));
            Thread.Sleep(10);
        }
        scene.Render(renderer);
        Assert.That(renderer.Calls[0], Is.EqualTo("rect 20,20 320x240"));
        Assert.That(renderer.Calls[1], Does.StartWith("text 28,28 'video clip.mkv: ").And.Contain("/nonexistent/clip.mkv"));
        Assert.That(feed.Capture!.Reconnections + (feed.Capture.LastError is null ? 0 : 1), Is.GreaterThan(0));
    }

    [Test]
    public void A_video_feed_needs_a_path_or_a_pattern()
    {
        using var scene = new Scene();
        scene.CreateEntity("Feed").Add(new VideoFeed());
        Assert.That(scene.LastError!.Exception.Message, Does.StartWith("VideoFeed needs either a path"));
    }
}

public class ImageAndAttentionTests
{
    [Test]
    public void An_image_file_of_a_digit_on_paper_is_predicted_and_the_vit_shows_its_attention()
    {
        // A 7 written on light paper, saved as a PNG as a user's photo would be.
        var canvas = new Glassbox.Media.DrawingCanvas(280, 280, 22f);
        foreach (var stroke in Glassbox.Media.DigitStrokes.For(7))
            canvas.AddStroke(stroke);
        var ink = canvas.Rasterise();
        var photo = new RgbaImage(280, 280);
        for (int i = 0; i < ink.Length; i++)
        {
            byte v = (byte)(235 - ink[i] * 200 / 255);
            photo.Pixels[i] = RgbaImage.Pack(v, v, v);
        }
        string path = Path.Combine(Path.GetTempPath(), $"glassbox-seven-{Environment.ProcessId}.png");
        Glassbox.Media.ImageFile.Save(path, photo);
        try
        {
            using var scene = new Scene("image");
            var entity = scene.CreateEntity("Input");
            entity.Add(new ImageFeed { Path = path });
            var inference = entity.Add(new CnnInference { Model = Path.Combine(RepoPaths.Root, "models", "mnist-vit"), Ep = "cpu", Threads = 1, Methods = ["attention-rollout:fusion=max:discard=0.8"] });
            entity.Add(new AttentionOverlay { X = 20, Y = 20, Size = 320 });
            var clock = Stopwatch.StartNew();
            for (long frame = 1; inference.Latest is null && clock.Elapsed < TimeSpan.FromSeconds(30); frame++)
            {
                scene.Update(new FrameTime(frame, clock.Elapsed, TimeSpan.FromMilliseconds(16)));
                Thread.Sleep(2);
            }
            Assert.That(inference.Latest!.Explanation.PredictedClass, Is.EqualTo(7));
            var renderer = new NullRenderer();
            scene.Render(renderer);
            Assert.That(renderer.Calls, Is.EqualTo(new[] { "image 280x280 at 20,20 320x240", "heatmap 7x7 at 20,20 320x320 inferno 0.5" }));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
