using Glassbox.Engine;
using Glassbox.Media;
using Glassbox.Visualisation;

namespace Glassbox.Tests;

public class AttractLoopTests
{
    private static FrameTime At(double seconds, long frame) => new(frame, TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(0.1));

    [Test]
    public void When_nobody_draws_the_canvas_replays_the_digits_and_a_visitor_stroke_takes_over()
    {
        using var scene = new Scene("kiosk");
        var canvas = scene.CreateEntity("Input").Add(new DrawingCanvasInput());
        var attract = scene.CreateEntity("Attract").Add(new AttractLoop { IdleSeconds = 2, StepSeconds = 1, Y = 300, Text = "Draw a digit with your finger." });
        long frame = 0;
        for (double t = 0; t <= 1.5; t += 0.1)
            scene.Update(At(t, ++frame));
        Assert.That(attract.Attracting, Is.False, "not yet idle long enough");
        Assert.That(canvas.IsEmpty, Is.True);

        for (double t = 1.6; t <= 4.55; t += 0.1)
            scene.Update(At(t, ++frame));
        Assert.That(attract.Attracting, Is.True);
        Assert.That(attract.Replayed, Is.EqualTo(3), "0, 1 and 2 at 2, 3 and 4 s");
        var renderer = new NullRenderer();
        scene.Render(renderer);
        Assert.That(renderer.Calls, Does.Contain("text 40,300 'Draw a digit with your finger.'"));

        // A visitor touches the canvas: the replayed 2 is cleared and their stroke is all there is.
        canvas.BeginStroke(new StrokePoint(100, 100));
        canvas.ContinueStroke(new StrokePoint(120, 100));
        canvas.EndStroke();
        Assert.That(attract.Attracting, Is.False);
        scene.Update(At(4.7, ++frame));
        scene.Update(At(5.5, ++frame));
        Assert.That(attract.Replayed, Is.EqualTo(3), "no replay while the visitor is there");
        renderer.Clear();
        scene.Render(renderer);
        Assert.That(renderer.Calls.Any(c => c.StartsWith("text", StringComparison.Ordinal)), Is.False);

        // Idle again for the timeout: back to the attract loop, continuing with 3.
        for (double t = 5.6; t <= 7.0; t += 0.1)
            scene.Update(At(t, ++frame));
        Assert.That((attract.Attracting, attract.Replayed), Is.EqualTo((true, 4)));
    }
}
