using Glassbox.Engine;
using Glassbox.Visualisation;

namespace Glassbox.Tests;

/// <summary>
/// A model from the wild exported with a free height and width (the corpus's YOLO-style detector, a bare .onnx file):
/// the network view lays out every layer at the size the model runs at, and a channel of it can be inspected.
/// </summary>
public class FreeSizeNetworkTests
{
    private static FrameTime Frame(long n) => new(n, TimeSpan.FromSeconds(n / 60.0), TimeSpan.FromSeconds(1 / 60.0));

    [Test]
    public void A_model_with_a_free_input_size_shows_every_layer_and_its_channels_can_be_inspected()
    {
        string file = Path.Combine(RepoPaths.Root, "artifacts", "corpus", "tiny-yolo", "model.onnx");
        if (!File.Exists(file))
            Assert.Ignore("The corpus's tiny-yolo is not exported here (tools/test.sh writes it; by hand: tools/setup.sh --models && /usr/bin/python3 tools/models/wild_corpus.py).");
        // A package of it as a user writes one: run at 128×160, a size it was not exported at.
        string package = Path.Combine(Path.GetTempPath(), $"glassbox-free-size-{Guid.NewGuid():N}");
        Directory.CreateDirectory(package);
        File.Copy(file, Path.Combine(package, "model.onnx"));
        File.WriteAllText(Path.Combine(package, "manifest.json"), $$$"""
            {"format": "glassbox-model-package", "name": "tiny-yolo", "model": {"file": "model.onnx", "sha256": "{{{Glassbox.Sha256Hex.Of(File.ReadAllBytes(file))}}}"},
             "labels": ["a", "b", "c", "d"],
             "preprocessing": {"layout": "NCHW", "channels": 3, "height": 128, "width": 160, "mean": [0, 0, 0], "std": [1, 1, 1], "resize": "centre-crop"}}
            """);
        using var cleanup = new FolderCleanup(package);
        using var scene = new Scene("free size");
        var inference = scene.CreateEntity("Input").Add(new CnnInference { Model = package, Ep = "cpu", Threads = 2, Methods = ["grad-cam"], Target = "detection:1" });
        var view = scene.CreateEntity("Network").Add(new NetworkView { X = 0, Y = 0, Width = 1240, Height = 400, Gap = 6 });
        var inspector = scene.CreateEntity("Inspector").Add(new ChannelInspector { X = 0, Y = 420, Width = 600, Height = 180, CacheFolder = "", FeatureSteps = 16 });
        long frame = 0;
        scene.Update(Frame(++frame));
        Assert.That(inference.Status, Is.Null, "the model runs");
        var explainer = inference.Explainer!;
        Assert.That(explainer.Model.Inputs[0].Shape[2], Is.LessThan(0), "the file leaves the height free");
        var layers = NetworkView.LayersOf(explainer.SizedModel);
        Assert.That(NetworkView.LayersOf(explainer.Model), Has.Count.LessThan(layers.Count), "without a size, few layers have known shapes");
        Assert.That(layers, Has.Count.GreaterThan(10));

        var input = new float[explainer.InputSize];
        var random = new Random(5);
        for (int i = 0; i < input.Length; i++)
            input[i] = (float)random.NextDouble();
        inference.Submit(input, TimeSpan.Zero, TimeSpan.Zero);
        Await.Until(() => inference.Latest is not null || inference.LastError is not null, "the detector's result", () => scene.Update(Frame(++frame)));
        Assert.That(inference.LastError, Is.Null);
        Assert.That(layers.All(inference.Latest!.Explanation.Tensors.ContainsKey), "every layer tapped");

        var renderer = new NullRenderer();
        scene.Render(renderer);
        Assert.That(renderer.Calls.Count(c => c.StartsWith("image ", StringComparison.Ordinal)), Is.EqualTo(view.ColumnPages > 1 ? (1240 - 64 + 6) / (42 + 6) : layers.Count), "a column per layer on the page");
        // Sizes are never cut to a narrower column (64×160 must not read 64×16).
        var shapes = explainer.SizedModel.Layers().GroupBy(l => l.Output).ToDictionary(g => g.Key, g => g.First().Shape!);
        var grids = renderer.Calls.Where(c => c.StartsWith("text ", StringComparison.Ordinal) && c.Contains(",48 '", StringComparison.Ordinal))
            .Select(c => c[(c.IndexOf('\'') + 1)..^1]).ToList();
        for (int i = 0; i < grids.Count; i++)
        {
            var shape = shapes[layers[i]];
            Assert.That(grids[i], Is.EqualTo($"{shape[2]}×{shape[3]}").Or.EqualTo(shape[2] == shape[3] ? $"{shape[2]}²" : "-"), layers[i]);
        }
        Assert.That(grids, Has.Some.Contains("160"), "the Focus slices' 64×160 whole");

        string conv = layers.First(l => Glassbox.Onnx.ChannelKernel.Of(explainer.SizedModel, l, 0, out _) is not null);
        view.Select(conv, 1);
        Await.Until(() => inspector.Contribution is not null && inspector.Settled, "the channel's views", () => scene.Update(Frame(++frame)));
        Assert.That(inspector.Feature!.Pixels, Has.Length.EqualTo(explainer.InputSize), "synthesised at the size the model runs at");
    }

    private sealed class FolderCleanup(string folder) : IDisposable
    {
        public void Dispose() => Directory.Delete(folder, recursive: true);
    }
}
