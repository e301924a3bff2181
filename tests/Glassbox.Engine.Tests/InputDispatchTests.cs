using Glassbox.Engine;
using Glassbox.Media;
using Glassbox.Visualisation;

namespace Glassbox.Tests;

/// <summary>The host only dispatches pointers and keys; components decide what is theirs.</summary>
public class InputDispatchTests
{
    [Test]
    public void A_press_on_the_canvas_draws_a_stroke_that_follows_the_pointer_until_the_release()
    {
        using var scene = new Scene("input");
        var canvas = scene.CreateEntity("Input").Add(new DrawingCanvasInput { X = 100, Y = 50, Size = 280 });
        var edits = new List<CanvasEditKind>();
        canvas.Edited += e => edits.Add(e.Kind);

        Assert.That(scene.SendPointerDown(10, 10), Is.False, "a press outside every handler is nobody's");
        Assert.That(scene.SendPointerDown(150, 100), Is.True);
        scene.SendPointerMove(160, 120);
        scene.SendPointerMove(170, 140);
        scene.SendPointerUp(170, 140);
        scene.SendPointerMove(200, 200);

        Assert.That(edits, Is.EqualTo(new[] { CanvasEditKind.Begin, CanvasEditKind.Continue, CanvasEditKind.Continue, CanvasEditKind.End }));
        Assert.That(canvas.IsEmpty, Is.False);
    }

    [Test]
    public void C_clears_the_canvas_and_backspace_undoes_its_last_stroke_once_each()
    {
        using var scene = new Scene("input");
        var canvas = scene.CreateEntity("Input").Add(new DrawingCanvasInput());
        var edits = new List<CanvasEditKind>();
        canvas.AddStroke([new StrokePoint(50, 50), new StrokePoint(200, 200)]);
        canvas.AddStroke([new StrokePoint(200, 50), new StrokePoint(50, 200)]);
        canvas.Edited += e => edits.Add(e.Kind);

        Assert.That(scene.SendKey('\b'), Is.True);
        Assert.That(scene.SendKey('C'), Is.True);
        Assert.That(scene.SendKey('q'), Is.False, "a key nobody handles");

        Assert.That(edits, Is.EqualTo(new[] { CanvasEditKind.Undo, CanvasEditKind.Clear }));
        Assert.That(canvas.IsEmpty, Is.True);
    }

    [Test]
    public void A_press_on_a_button_sends_its_key_and_goes_no_further()
    {
        // A button drawn over the canvas's corner, earlier in the scene: the press is the button's, not a stroke's start.
        using var scene = new Scene("input");
        scene.CreateEntity("Buttons").Add(new Button { Key = "c", Text = "Clear", X = 0, Y = 0, Width = 60, Height = 30 });
        var canvas = scene.CreateEntity("Input").Add(new DrawingCanvasInput { X = 0, Y = 0, Size = 280 });
        canvas.AddStroke([new StrokePoint(50, 50), new StrokePoint(200, 200)]);
        var edits = new List<CanvasEditKind>();
        canvas.Edited += e => edits.Add(e.Kind);
        var keys = new List<char>();
        scene.KeySent += keys.Add;

        Assert.That(scene.SendPointerDown(10, 10), Is.True);
        scene.SendPointerUp(10, 10);
        Assert.That(keys, Is.EqualTo(new[] { 'c' }));
        Assert.That(edits, Is.EqualTo(new[] { CanvasEditKind.Clear }), "the button's key cleared the canvas; no stroke began under it");

        Assert.That(scene.SendPointerDown(100, 100), Is.True, "beside the button, the press is the canvas's");
        Assert.That(edits[^1], Is.EqualTo(CanvasEditKind.Begin));
    }

    [Test]
    public void A_feed_shows_each_result_over_the_frame_it_explains_unless_asked_for_the_live_frame()
    {
        using var scene = new Scene("matched");
        var entity = scene.CreateEntity("Feed");
        using var pixels = new PixelSource("engine camera");
        var feed = entity.Add(new FrameFeed { Source = pixels.OpenReader, X = 0, Y = 0, DisplayWidth = 140, DisplayHeight = 140 });
        var inference = entity.Add(new CnnInference { Model = Path.Combine(RepoPaths.Root, "models", "mnist-cnn"), Ep = "cpu", Threads = 1 });
        long frame = 0;
        void Frame() => scene.Update(new FrameTime(++frame, scene.Now, TimeSpan.FromMilliseconds(16)));

        var seven = PaperDigitPhoto.Draw(7, 140);
        pixels.Push(seven);
        Await.Until(() => inference.Latest is not null, "the result for the 7", Frame);
        Assert.That(inference.Latest!.PreprocessTime, Is.GreaterThan(TimeSpan.Zero), "the frame was prepared, on the inference thread");

        // The network pauses; a 1 arrives and is shown as the newest frame, unexplained.
        inference.Paused = true;
        var one = PaperDigitPhoto.Draw(1, 140);
        pixels.Push(one);
        Await.Until(() => feed.Current!.Pixels.AsSpan().SequenceEqual(one.Pixels), "the 1 to arrive", Frame);

        Assert.That(feed.Shown!.Pixels, Is.EqualTo(seven.Pixels), "the overlay explains the 7, so the 7 is drawn under it");
        feed.LiveFrame = true;
        Assert.That(feed.Shown!.Pixels, Is.EqualTo(one.Pixels), "live frame: the newest picture, ahead of its overlay");

        // Resumed, the still 1 is handed over again and explained; the 1 is then drawn under its own result.
        feed.LiveFrame = false;
        inference.Paused = false;
        Await.Until(() => inference.Latest!.Explanation.PredictedClass == 1, "the result for the 1", Frame);
        Assert.That(feed.Shown!.Pixels, Is.EqualTo(one.Pixels));
    }
}
