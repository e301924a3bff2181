using System.Diagnostics;
using Glassbox.Engine;
using Glassbox.Examples.EngineEmbedding;
using Glassbox.Graphics;
using Glassbox.Media;
using Glassbox.Visualisation;

namespace Glassbox.Tests;

/// <summary>What an engine does with Glassbox, through public types only.</summary>
[Category(TestCategories.Gpu)]
public class PublicApiTests
{
    [Test]
    public void An_engine_builds_a_scene_runs_the_model_and_gets_the_view_in_its_own_texture()
    {
        using var game = new Game(640, 480, "public API");
        uint texture = game.CreateTexture(320, 320);

        using var scene = new Scene("engine");
        var input = scene.CreateEntity("Input");
        var canvas = input.Add(new DrawingCanvasInput { X = 10, Y = 10, Size = 300 });
        var inference = input.Add(new CnnInference { Model = Path.Combine(RepoPaths.Root, "models", "mnist-cnn"), Ep = "cpu", Threads = 1 });
        input.Add(new AttributionOverlay { X = 10, Y = 10, Size = 300, Opacity = 0.5f });
        Assert.That(inference.Status, Is.Null);

        using var glassbox = GlEmbedding.IntoTexture(game.GetProcAddress, texture, 320, 320, ShaderLibrary.FindDefault(), BakedFont.Default);
        var view = glassbox.CreateCanvas(clearColor: 0xFF000000u);

        // The engine's pointer code draws a 1 on the canvas, point by point.
        canvas.BeginStroke(new StrokePoint(140, 40));
        foreach (int y in new[] { 90, 140, 190, 240 })
            canvas.ContinueStroke(new StrokePoint(140, y));
        canvas.EndStroke();

        long frame = 0;
        Await.Until(() => inference.Latest is not null, "the 1's result", () => scene.Update(new FrameTime(++frame, TimeSpan.FromSeconds(frame / 60.0), TimeSpan.FromSeconds(1 / 60.0))));
        Assert.That(inference.Latest?.Explanation.PredictedClass, Is.EqualTo(1));

        view.Begin();
        scene.Render(view);
        glassbox.Render(view);
        game.DrawQuad(texture, angle: 0f);
        var pixels = game.ReadFrame();

        // Face-on, the quad spans the middle of the window: the paper and the overlay show there, the sky around it.
        uint sky = Glassbox.RgbaImage.Pack(33, 48, 64);
        Assert.That(pixels[5 * 640 + 5], Is.EqualTo(sky));
        var middle = Enumerable.Range(200, 240).SelectMany(x => Enumerable.Range(150, 180).Select(y => pixels[y * 640 + x])).ToList();
        Assert.That(middle, Has.None.EqualTo(sky));
        Assert.That(middle.Distinct().Count(), Is.GreaterThan(200), "the drawing under a heatmap, not a flat texture");
    }
}
