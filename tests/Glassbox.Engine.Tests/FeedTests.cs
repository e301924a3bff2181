using System.Diagnostics;
using Glassbox.Engine;
using Glassbox.Media;
using Glassbox.Visualisation;

namespace Glassbox.Tests;

/// <summary>Live sources through the whole pipeline: GStreamer's videotestsrc (a real live source) into the shipped CNN.</summary>
public class FeedTests
{
    private static string Model => Path.Combine(RepoPaths.Root, "models", "mnist-cnn");

    private static readonly SceneServices WithGStreamer = new(TimeProvider.System, GStreamerSources.Instance);

    [Test]
    public void Three_hundred_test_pattern_frames_pass_through_the_pipeline_without_memory_growth()
    {
        // How long frames take (and any stall) is the end-to-end benchmark's to measure; this checks what every
        // frame must do: arrive, be explained, and leave nothing behind.
        using var scene = new Scene("feed", WithGStreamer);
        var entity = scene.CreateEntity("Feed");
        var feed = entity.Add(new VideoFeed { Pattern = "ball", Width = 320, Height = 240, Fps = 120 });
        var inference = entity.Add(new CnnInference { Model = Model, Ep = "cpu", Threads = 1 });
        entity.Add(new AttributionOverlay());
        scene.CreateEntity("Stats").Add(new StatsPanel());
        var renderer = new NullRenderer();

        // Memory after a full collection still holds whichever frame copies are in flight at that moment (a frame in
        // the capture slot, one with the network, the ones kept for their results: a few 300 KB images), so one
        // sample swings by that much. The least of several samples is the pipeline's floor; a leak raises it.
        long frame = 0;
        var early = new List<long>();
        var late = new List<long>();
        long sampledAt = 0;
        Await.Until(() => feed.Submitted >= 300 && late.Count >= 5, "300 frames submitted and sampled", () =>
        {
            scene.Update(new FrameTime(++frame, scene.Now, TimeSpan.FromMilliseconds(4)));
            renderer.Clear();
            scene.Render(renderer);
            long submitted = feed.Submitted;
            if (submitted == sampledAt || submitted % 10 != 0)
                return;
            sampledAt = submitted;
            if (submitted is >= 50 and < 100)
                early.Add(GC.GetTotalMemory(forceFullCollection: true));
            else if (submitted >= 250)
                late.Add(GC.GetTotalMemory(forceFullCollection: true));
        });
        long warmMemory = early.Min(), endMemory = late.Min();
        TestContext.Out.WriteLine($"{feed.Submitted} frames, {inference.Completed} results, {inference.DroppedFrames} dropped by inference, {feed.Dropped} by capture; " +
                                  $"managed memory at least {warmMemory / 1024} KiB over frames 50-99, {endMemory / 1024} KiB from frame 250 on");

        Assert.That(inference.Completed, Is.GreaterThan(100), "results keep coming");
        Assert.That(inference.Latest!.Sequence, Is.GreaterThan(250));
        Assert.That(early, Has.Count.GreaterThanOrEqualTo(3), "sampled after warm-up");
        Assert.That(endMemory, Is.LessThan(warmMemory * 1.05 + 256 * 1024), "no growth after warm-up");
        Assert.That(renderer.Calls[0], Is.EqualTo("image 320x240 at 20,20 320x240"));
    }

    [Test]
    public void A_source_that_cannot_open_shows_why_and_keeps_the_scene_running()
    {
        using var scene = new Scene("feed", WithGStreamer);
        var feed = scene.CreateEntity("Feed").Add(new VideoFeed { Path = "/nonexistent/clip.mkv" });
        var renderer = new NullRenderer();
        long frame = 0;
        Await.Until(() => feed.SourceError is not null, "the failed opening's message", () => scene.Update(new FrameTime(++frame, scene.Now, TimeSpan.FromMilliseconds(16))));
        scene.Render(renderer);
        Assert.That(renderer.Calls[0], Is.EqualTo("rect 20,20 320x240"));
        Assert.That(renderer.Calls[1], Does.StartWith("text 28,28 'video clip.mkv: ").And.Contain("/nonexistent/clip.mkv"));
        Assert.That(feed.State, Is.EqualTo(SourceState.Waiting), "and it will try again");
    }

    [Test]
    public void A_host_engines_own_pixels_feed_the_model_through_a_pixel_source()
    {
        using var scene = new Scene("engine pixels");
        var entity = scene.CreateEntity("Feed");
        using var pixels = new PixelSource("engine camera");
        var feed = entity.Add(new FrameFeed { Source = pixels.OpenReader, Name = "engine camera" });
        var inference = entity.Add(new CnnInference { Model = Model, Ep = "cpu", Threads = 1 });

        // The engine reads its texture back bottom-up, as GL does, with padded rows: a 7 on light paper.
        var seven = PaperDigitPhoto.Draw(7, 140);
        int stride = seven.Width * 4 + 12;
        var readBack = new byte[stride * seven.Height];
        for (int y = 0; y < seven.Height; y++)
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(seven.Pixels.AsSpan(y * seven.Width, seven.Width)).CopyTo(readBack.AsSpan((seven.Height - 1 - y) * stride));
        pixels.Push(readBack, seven.Width, seven.Height, stride, bottomUp: true);

        long frame = 0;
        Await.Until(() => inference.Latest is not null, "a result for the pushed frame", () => scene.Update(new FrameTime(++frame, scene.Now, TimeSpan.FromMilliseconds(16))));
        Assert.That(feed.Current!.Pixels, Is.EqualTo(seven.Pixels), "the frame arrives top row first, without the padding");
        Assert.That(inference.Latest!.Explanation.PredictedClass, Is.EqualTo(7));
    }

    [Test]
    public void A_camera_feed_in_a_scene_without_sources_says_what_the_host_must_supply()
    {
        using var scene = new Scene("no sources");
        var feed = scene.CreateEntity("Feed").Add(new CameraFeed());
        Await.Until(() => feed.Capture!.LastError is not null, "the capture thread's first attempt");
        Assert.That(feed.Capture!.LastError, Is.EqualTo("camera auto: this scene has no frame-source factory; the host creates the scene with one (Glassbox.Media's GStreamerSources for cameras, files and test patterns)."));
        Assert.That(feed.Capture.State, Is.EqualTo(SourceState.Waiting));
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
    private static string Model => Path.Combine(RepoPaths.Root, "models", "mnist-cnn");

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
            long frame = 0;
            Await.Until(() => inference.Latest is not null, "the photo's result", () => scene.Update(new FrameTime(++frame, scene.Now, TimeSpan.FromMilliseconds(16))));
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

    [Test]
    public void The_canvas_is_a_frame_source_that_a_feed_shows_to_a_second_model()
    {
        using var scene = new Scene("two models");
        var input = scene.CreateEntity("Input");
        var cnn = input.Add(new CnnInference { Model = Model, Ep = "cpu", Threads = 1 });
        var canvas = input.Add(new DrawingCanvasInput { Inference = cnn });
        var second = scene.CreateEntity("Second");
        var vit = second.Add(new CnnInference { Model = Path.Combine(RepoPaths.Root, "models", "mnist-vit"), Ep = "cpu", Threads = 1, Methods = ["attention-rollout"] });
        var feed = second.Add(new FrameFeed { Source = canvas.OpenFrames, Inference = vit, X = 320 });
        long frame = 0;
        void Step() => scene.Update(new FrameTime(++frame, scene.Now, TimeSpan.FromMilliseconds(16)));

        foreach (var stroke in DigitStrokes.For(7))
            canvas.AddStroke(stroke);
        Await.Until(() => cnn.Latest is not null && vit.Latest is not null, "both models' results", Step);
        Assert.That(cnn.Latest!.Explanation.PredictedClass, Is.EqualTo(7), "the canvas's own model");
        Assert.That(vit.Latest!.Explanation.PredictedClass, Is.EqualTo(7), "the second model, through the feed");
        var shown = feed.Current!;
        Assert.That((shown.Width, shown.Height), Is.EqualTo((280, 280)), "the page as the canvas draws it");
        var reference = new DrawingCanvas(280, 280, 22f);
        foreach (var stroke in DigitStrokes.For(7))
            reference.AddStroke(stroke);
        var ink = reference.Rasterise();
        Assert.That(Enumerable.Range(0, ink.Length).All(i => shown.Pixels[i] == RgbaImage.Pack((byte)(255 - ink[i]), (byte)(255 - ink[i]), (byte)(255 - ink[i]))), Is.True,
            "dark ink on white paper, pixel for pixel");

        canvas.Clear();
        Await.Until(() => feed.Current!.Pixels.All(p => p == RgbaImage.Pack(255, 255, 255)), "the cleared page", Step);
    }

    [Test]
    public void A_still_image_is_one_frame_then_stays_and_a_broken_file_says_so()
    {
        var image = new RgbaImage(3, 2, [1, 2, 3, 4, 5, 6]);
        using var still = new StillImageSource(image, "image test.png");
        var buffer = new FrameBuffer();
        Assert.That(still.TryRead(TimeSpan.Zero, buffer), Is.True);
        Assert.That(buffer.Image!.Pixels, Is.EqualTo(image.Pixels));
        Assert.That(still.TryRead(TimeSpan.Zero, buffer), Is.False, "nothing newer");
        Assert.That(still.EndOfStream, Is.False, "a still picture stays on show");

        string broken = Path.Combine(Path.GetTempPath(), $"glassbox-broken-{Environment.ProcessId}.png");
        File.WriteAllBytes(broken, [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3]);
        try
        {
            Assert.That(() => StillImageSource.Open(broken), Throws.TypeOf<GlassboxException>().With.Message.Contains(Path.GetFileName(broken)));
            using var scene = new Scene("broken image");
            var entity = scene.CreateEntity("Input");
            var feed = entity.Add(new ImageFeed { Path = broken });
            entity.Add(new CnnInference { Model = Model, Ep = "cpu", Threads = 1 });
            long frame = 0;
            Await.Until(() => feed.SourceError is not null, "the feed's error", () => scene.Update(new FrameTime(++frame, scene.Now, TimeSpan.FromMilliseconds(16))));
            Assert.That(feed.SourceError, Does.Contain(Path.GetFileName(broken)));
            Assert.That(feed.Current, Is.Null);
        }
        finally
        {
            File.Delete(broken);
        }
    }

    [Test]
    public void A_feed_that_is_not_told_its_frames_are_digits_resizes_them_as_the_package_says()
    {
        // A 28×28 picture: with Digit off, the model gets it normalised as it is (no ink found, cropped or centred),
        // exactly the tensor the package's image preprocessing makes of it.
        var picture = new RgbaImage(28, 28);
        for (int y = 0; y < 28; y++)
        for (int x = 0; x < 28; x++)
        {
            byte v = (byte)(x is >= 12 and < 16 && y is >= 4 and < 24 ? 255 : 0);
            picture.Pixels[y * 28 + x] = RgbaImage.Pack(v, v, v);
        }
        string path = Path.Combine(Path.GetTempPath(), $"glassbox-bar-{Environment.ProcessId}.png");
        Glassbox.Media.ImageFile.Save(path, picture);
        try
        {
            using var scene = new Scene("resized");
            var entity = scene.CreateEntity("Input");
            entity.Add(new ImageFeed { Path = path, Digit = false });
            var inference = entity.Add(new CnnInference { Model = Model, Ep = "cpu", Threads = 1 });
            long frame = 0;
            Await.Until(() => inference.Latest is not null, "the picture's result", () => scene.Update(new FrameTime(++frame, scene.Now, TimeSpan.FromMilliseconds(16))));
            var fromFeed = inference.Latest!.Explanation;

            var package = inference.Package!;
            var tensor = new float[784];
            ImageToTensor.Run(picture, package.Preprocessing.ToImageOptions(), tensor);
            using var explainer = Glassbox.Explain.Explainer.Create(package, new Glassbox.Explain.ExplainerOptions { Inference = Glassbox.Inference.InferenceOptions.Default with { IntraOpThreads = 1 } });
            var direct = explainer.Explain(tensor, [Glassbox.Explain.AttributionMethods.Parse("grad-cam")]);
            Assert.That(fromFeed.Probabilities, Is.EqualTo(direct.Probabilities), "the same tensor, so bit for bit the same answer");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
