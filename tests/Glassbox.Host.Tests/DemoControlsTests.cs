using System.Diagnostics;
using Glassbox.Engine;
using Glassbox.Examples.LiveDemo;
using Glassbox.Media;
using Glassbox.Visualisation;

namespace Glassbox.Tests;

/// <summary>The demo's keys on the live pipeline: method, layer, overlay and model switch while it runs.</summary>
public class DemoControlsTests
{
    private static string Package(string name) => Path.Combine(RepoPaths.Root, "models", name);

    [Test]
    public void Keys_cycle_the_method_and_layer_toggle_the_overlay_and_switch_to_the_vit_with_attention_rollout()
    {
        using var scene = new Scene("demo");
        var input = scene.CreateEntity("Input");
        var canvas = input.Add(new DrawingCanvasInput());
        var inference = input.Add(new CnnInference { Model = Package("mnist-cnn"), Ep = "cpu", Threads = 1 });
        var overlay = input.Add(new AttributionOverlay());
        var grid = scene.CreateEntity("Grid").Add(new FeatureMapGrid { Layer = "relu2" });
        var controls = scene.CreateEntity("Controls").Add(new DemoControls { Models = [Package("mnist-cnn"), Package("mnist-vit")] });
        canvas.AddStroke([new StrokePoint(70, 50), new StrokePoint(210, 50), new StrokePoint(120, 240)]);
        long frame = 0;
        void RunUntil(Func<bool> done, string what) =>
            Await.Until(done, what, () => scene.Update(new FrameTime(++frame, scene.Now, TimeSpan.FromMilliseconds(16))));

        RunUntil(() => inference.Latest?.Explanation.Maps[0].Method == "grad-cam", "Grad-CAM first");
        Assert.That(scene.SendKey('M'), Is.True);
        RunUntil(() => inference.Latest?.Explanation.Maps[0].Method == "grad-cam++", "M: the next method, on the same drawing");
        Assert.That(inference.Latest!.Explanation.PredictedClass, Is.EqualTo(7));

        scene.SendKey('l');
        Assert.That(grid.Layer, Is.EqualTo(inference.Layer).And.Not.EqualTo("relu2"));
        RunUntil(() => inference.Latest?.Explanation.Tensors.ContainsKey(grid.Layer) == true, "L: the grid and the CAM move to the next layer");
        Assert.That(inference.Latest!.Explanation.Maps[0].Layer, Is.EqualTo(grid.Layer));

        var renderer = new NullRenderer();
        scene.SendKey('o');
        scene.Render(renderer);
        Assert.That(renderer.Calls.Any(c => c.StartsWith("heatmap", StringComparison.Ordinal)), Is.False, "O hides the overlay");
        scene.SendKey('o');
        renderer.Clear();
        scene.Render(renderer);
        Assert.That(renderer.Calls.Any(c => c.StartsWith("heatmap", StringComparison.Ordinal)), Is.True, "and shows it again");

        scene.SendKey('v');
        RunUntil(() => inference.Package?.Name == "mnist-vit" && inference.Latest?.Explanation.Maps[0].Method == "attention-rollout", "V: the ViT, explained by attention rollout");
        Assert.That(inference.Latest!.Explanation.PredictedClass, Is.EqualTo(7));
        Assert.That(controls.Summary, Does.StartWith("mnist-vit · attention-rollout"));

        scene.SendKey('p');
        RunUntil(() => controls.Summary.EndsWith("· paused (P resumes)", StringComparison.Ordinal), "P pauses the network and says so");
        Assert.That(inference.Paused, Is.True);
        scene.SendKey('p');
        RunUntil(() => !controls.Summary.Contains("paused", StringComparison.Ordinal), "and P again resumes it");
        Assert.That(inference.Paused, Is.False);
        Assert.That(scene.SendKey('q'), Is.False, "keys without a meaning are left to the host");
    }

    [Test]
    public void N_swaps_the_feature_grid_and_the_bars_for_the_whole_network_and_back()
    {
        using var scene = new Scene("demo");
        var grid = scene.CreateEntity("Grid").Add(new FeatureMapGrid { Layer = "relu2" });
        var bars = scene.CreateEntity("Bars").Add(new Glassbox.Engine.ProbabilityBars());
        var view = scene.CreateEntity("Network").Add(new NetworkView { Enabled = false });
        var controls = scene.CreateEntity("Controls").Add(new DemoControls());

        Assert.That(controls.OnKey('n'), Is.True);
        Assert.That((view.Enabled, grid.Enabled, bars.Enabled), Is.EqualTo((true, false, false)));
        Assert.That(controls.OnKey('n'), Is.True);
        Assert.That((view.Enabled, grid.Enabled, bars.Enabled), Is.EqualTo((false, true, true)));
    }
}
