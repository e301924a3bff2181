using Glassbox.Engine;
using Glassbox.Examples.LiveDemo;

namespace Glassbox.Tests;

/// <summary>The scene files the demo ships, loaded as the demo loads them: Glassbox's components and the demo's controls.</summary>
public class ShippedSceneTests
{
    [Test]
    public void The_demos_scene_file_loads_with_paths_relative_to_itself_and_predicts_a_drawn_digit()
    {
        using var scene = SceneFile.Load(Path.Combine(RepoPaths.Root, "examples", "LiveDemo", "scenes", "mnist-live.json"), ComponentRegistry.Default.Register<DemoControls>());
        var inference = scene.Active<CnnInference>().Single();
        Assert.That(inference.Status, Is.Null);
        Assert.That(inference.Package!.Name, Is.EqualTo("mnist-cnn"));
        Assert.That(scene.Entities().SelectMany(e => e.Components).OfType<VideoFeed>().Single().Enabled, Is.False, "the live feed waits for the S key");
        Assert.That(scene.Find("Buttons")!.Children, Has.Count.EqualTo(7));
        var canvas = scene.Active<DrawingCanvasInput>().Single();
        foreach (var stroke in Glassbox.Media.DigitStrokes.For(3))
            canvas.AddStroke(stroke);
        long frame = 0;
        Await.Until(() => inference.Latest is not null, "the 3's result", () => scene.Update(new FrameTime(++frame, scene.Now, TimeSpan.FromMilliseconds(16))));
        Assert.That(inference.Latest!.Explanation.PredictedClass, Is.EqualTo(3));
    }
}
