using System.Diagnostics;
using Glassbox.Engine;
using Glassbox.Media;
using Glassbox.Visualisation;

namespace Glassbox.Tests;

/// <summary>
/// The whole network for a drawn digit: every feature map of the shipped CNN in graph order, each channel in its
/// column's atlas, captions, links and the predicted class; paged when a layer has more channels than the view shows;
/// nothing allocated per frame.
/// </summary>
public class NetworkViewTests
{
    private static string Model => Path.Combine(RepoPaths.Root, "models", "mnist-cnn").Replace("\\", "/", StringComparison.Ordinal);

    private static readonly StrokePoint[] Seven = [new(70, 50), new(210, 50), new(120, 240)];

    private static FrameTime Frame(long n) => new(n, TimeSpan.FromSeconds(n / 60.0), TimeSpan.FromSeconds(1 / 60.0));

    private static (Scene Scene, CnnInference Inference, NetworkView View) Explained(int maxChannels)
    {
        string json = $$"""
            { "scene": "network",
              "entities": [
                { "name": "Input", "components": [
                    { "type": "DrawingCanvas", "x": 20, "y": 20, "size": 280 },
                    { "type": "CnnInference", "model": "{{Model}}", "ep": "cpu", "threads": 2, "methods": ["grad-cam"] } ] },
                { "name": "Network", "components": [ { "type": "NetworkView", "x": 20, "y": 330, "width": 1240, "height": 370, "gap": 6, "maxChannelsPerLayer": {{maxChannels}} } ] } ] }
            """;
        var scene = SceneFile.Parse(json, ComponentRegistry.Default, "network.json");
        var inference = DrawSevenAndWait(scene);
        Assert.That(inference.Latest, Is.Not.Null, "a result within 20 s");
        return (scene, inference, scene.Find("Network")!.Get<NetworkView>()!);
    }

    /// <summary>Draws the 7 on the scene's canvas and updates frames until a result (or an error) comes back.</summary>
    private static CnnInference DrawSevenAndWait(Scene scene)
    {
        var inference = scene.Find("Input")!.Get<CnnInference>()!;
        scene.Find("Input")!.Get<DrawingCanvasInput>()!.AddStroke(Seven);
        long frame = 0;
        Await.Until(() => inference.Latest is not null || inference.LastError is not null, "the 7's result", () => scene.Update(Frame(++frame)));
        return inference;
    }

    /// <summary>Keeps every image drawn (a copy of its pixels) and every text.</summary>
    private sealed class CapturingRenderer : IRenderer
    {
        public List<(RgbaImage Image, int X, int Y, int Width, int Height)> Images { get; } = [];
        public List<(string Text, int X, int Y)> Texts { get; } = [];
        public int Width => 1280;
        public int Height => 720;
        public void DrawImage(RgbaImage image, int x, int y, int width, int height) => Images.Add((new RgbaImage(image.Width, image.Height, (uint[])image.Pixels.Clone()), x, y, width, height));
        public void DrawHeatmap(ReadOnlySpan<float> map, int mapWidth, int mapHeight, int x, int y, int width, int height, HeatmapOverlayOptions options) { }
        public void DrawText(string text, int x, int y, uint color) => Texts.Add((text, x, y));
        public void FillRect(int x, int y, int width, int height, uint color) { }
    }

    private sealed class SilentRenderer : IRenderer
    {
        public int Width => 1280;
        public int Height => 720;
        public void DrawImage(RgbaImage image, int x, int y, int width, int height) { }
        public void DrawHeatmap(ReadOnlySpan<float> map, int mapWidth, int mapHeight, int x, int y, int width, int height, HeatmapOverlayOptions options) { }
        public void DrawText(string text, int x, int y, uint color) { }
        public void FillRect(int x, int y, int width, int height, uint color) { }
    }

    [Test]
    public void Every_feature_map_is_drawn_in_graph_order_with_every_channel_and_the_predicted_class_at_the_end()
    {
        var (scene, inference, view) = Explained(maxChannels: 64);
        var renderer = new CapturingRenderer();
        scene.Render(renderer);

        string[] layers = ["conv1", "relu1", "conv2", "relu2", "pool1", "conv3", "relu3", "pool2", "conv4", "relu4", "gap"];
        Assert.That(NetworkView.LayersOf(inference.Worker!.Explainer.Model), Is.EqualTo(layers));
        var atlases = renderer.Images.Where(i => i.Y == 330 + 68).ToList();
        Assert.That(atlases, Has.Count.EqualTo(layers.Length), "one atlas per layer");
        var tensors = inference.Latest!.Explanation.Tensors;
        for (int i = 0; i < layers.Length; i++)
        {
            var shape = inference.Worker.Explainer.Model.Layers().First(l => l.Output == layers[i]).Shape!;
            int channels = (int)shape[1], height = (int)shape[2], width = (int)shape[3];
            // The column's atlas is every channel of the layer's tensor for this digit, as the atlas reference draws it.
            var (image, x, y, drawWidth, drawHeight) = atlases[i];
            var options = FeatureAtlasOptions.Default with { Columns = FeatureAtlasLayoutColumns(image, height, width, channels), Gutter = 1 };
            var expected = new uint[image.Pixels.Length];
            FeatureAtlas.Render(tensors[layers[i]], channels, height, width, options, expected);
            Assert.That(image.Pixels, Is.EqualTo(expected), $"{layers[i]}: its atlas");
            Assert.That(x + drawWidth, Is.LessThanOrEqualTo(20 + 1240 - 64), $"{layers[i]}: inside the view, before the class column");
            Assert.That(y + drawHeight, Is.LessThanOrEqualTo(330 + 370), $"{layers[i]}: inside the view");
            Assert.That(renderer.Texts.Any(t => t.Text == layers[i] && t.X == x), $"{layers[i]}: named above its atlas");
            if (i > 0)
                Assert.That(x, Is.GreaterThan(atlases[i - 1].X), "left to right in graph order");
        }
        Assert.That(renderer.Texts.Select(t => t.Text), Does.Contain("Conv 160p").And.Contain("16 ch").And.Contain("28×28").And.Contain("Conv 36,928p").And.Contain("64 ch").And.Contain("1×1"));
        Assert.That(renderer.Texts.Last().Text, Is.EqualTo(inference.Latest.Explanation.PredictedClass.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(inference.Latest.Explanation.PredictedClass, Is.EqualTo(7));
        scene.Dispose();
    }

    /// <summary>The tiles per row an atlas of this size has: its width is columns × (map width + 1) + 1.</summary>
    private static int FeatureAtlasLayoutColumns(RgbaImage atlas, int height, int width, int channels) => (atlas.Width - 1) / (width + 1);

    [Test]
    public void A_layer_with_more_channels_than_the_view_shows_is_paged_and_says_which_channels()
    {
        var (scene, _, view) = Explained(maxChannels: 8);
        view.Page = 1;
        var renderer = new CapturingRenderer();
        scene.Render(renderer);
        Assert.That(renderer.Texts.Select(t => t.Text), Does.Contain("8-15/16 ch").And.Contain("8-15/64 ch"));
        view.Page = 99;
        renderer.Texts.Clear();
        scene.Render(renderer);
        Assert.That(renderer.Texts.Select(t => t.Text), Does.Contain("56-63/64 ch").And.Contain("8-15/16 ch"), "past the last page shows the last");
        scene.Dispose();
    }

    /// <summary>
    /// The drawing changes while frames are drawn: each new result refills every atlas, and the render thread allocates
    /// nothing in any frame (measured around drawing only; the canvas edits and updates are the test's own).
    /// </summary>
    [Test]
    public void Drawing_the_view_allocates_nothing_per_frame_while_the_drawing_changes()
    {
        var (scene, inference, _) = Explained(maxChannels: 64);
        var canvas = scene.Find("Input")!.Get<DrawingCanvasInput>()!;
        var renderer = new SilentRenderer();
        scene.Render(renderer);
        long allocated = 0;
        var shown = new HashSet<object>(ReferenceEqualityComparer.Instance);
        long frame = 1000;
        Await.Until(() => shown.Count >= 4, "four results drawn", () =>
        {
            if (++frame % 5 == 0)
                canvas.AddStroke([new(40 + frame % 200, 60), new(60 + frame % 180, 200)]);
            scene.Update(Frame(frame));
            long before = GC.GetAllocatedBytesForCurrentThread();
            scene.Render(renderer);
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
            if (inference.Latest is { } latest)
                shown.Add(latest);
        });
        Assert.That(shown, Has.Count.GreaterThanOrEqualTo(4), "the drawing changed and new results were drawn");
        Assert.That(allocated, Is.Zero);
        scene.Dispose();
    }

    /// <summary>The canvas and the shipped ViT explained by attention rollout, with one more component on an entity "View".</summary>
    private static Scene VitScene(string component)
    {
        string vit = Path.Combine(RepoPaths.Root, "models", "mnist-vit").Replace("\\", "/", StringComparison.Ordinal);
        string json = $$"""
            { "scene": "vit",
              "entities": [
                { "name": "Input", "components": [
                    { "type": "DrawingCanvas", "x": 20, "y": 20, "size": 280 },
                    { "type": "CnnInference", "model": "{{vit}}", "ep": "cpu", "threads": 2, "methods": ["attention-rollout"] } ] },
                { "name": "View", "components": [ {{component}} ] } ] }
            """;
        return SceneFile.Parse(json, ComponentRegistry.Default, "vit.json");
    }

    /// <summary>The demo's grid names relu2; a model without it (the ViT) still runs, and the grid says what is wrong.</summary>
    [Test]
    public void A_feature_grid_on_a_layer_the_model_lacks_says_so_and_the_model_still_runs()
    {
        using var scene = VitScene("""{ "type": "FeatureMapGrid", "layer": "relu2", "x": 320, "y": 260 }""");
        var inference = DrawSevenAndWait(scene);
        Assert.That(inference.Worker?.LastError, Is.Null);
        Assert.That(inference.Latest, Is.Not.Null, "the ViT explains the drawing");
        var renderer = new NullRenderer();
        scene.Render(renderer);
        Assert.That(renderer.Calls, Does.Contain("text 320,240 'relu2: not a layer of mnist-vit (L picks one)'"));
    }

    [Test]
    public void The_pointer_over_a_channel_outlines_it_and_a_press_selects_it()
    {
        var (scene, _, view) = Explained(maxChannels: 64);
        var renderer = new CapturingRenderer();
        scene.Render(renderer);
        // relu3's column (the seventh) and its tile 5, at the tile's centre as drawn.
        var (atlas, x, y, drawWidth, drawHeight) = renderer.Images.Where(i => i.Y == 330 + 68).ElementAt(6);
        int tileColumns = (atlas.Width - 1) / (14 + 1);
        float cx = 1 + 5 % tileColumns * 15 + 7, cy = 1 + 5 / tileColumns * 15 + 7;
        float px = x + cx * drawWidth / atlas.Width, py = y + cy * drawHeight / atlas.Height;

        scene.SendPointerMove(px, py);
        Assert.That(view.Hovered, Is.EqualTo(("relu3", 5)));
        Assert.That(scene.SendPointerDown(px, py), Is.True, "a press on a channel is the view's");
        Assert.That(view.Selected, Is.EqualTo(("relu3", 5)));
        var drawn = new CapturingRenderer();
        scene.Render(drawn);
        Assert.That(drawn.Texts.Select(t => t.Text), Does.Contain("selected: relu3, channel 5"));

        scene.SendPointerMove(25, 335);
        Assert.That(view.Hovered, Is.Null, "over a caption, no channel");
        Assert.That(scene.SendPointerDown(25, 335), Is.False, "and a press there is left to others");
        Assert.That(view.Selected, Is.EqualTo(("relu3", 5)), "the selection stays");
        scene.Dispose();
    }

    [Test]
    public void A_model_with_more_layers_than_fit_shows_a_page_of_columns_says_which_and_pages_with_its_buttons()
    {
        using var scene = VitScene("""{ "type": "NetworkView", "x": 20, "y": 330, "width": 600, "height": 370, "gap": 6 }""");
        var inference = DrawSevenAndWait(scene);
        var view = scene.Find("View")!.Get<NetworkView>()!;
        var layers = NetworkView.LayersOf(inference.Package!.Model);
        // 600 pixels less the class column hold 11 columns of at least 42 pixels with 6-pixel gaps (the CNN's 11 all fit).
        const int perPage = (600 - 64 + 6) / (42 + 6);
        Assert.That(layers, Has.Count.GreaterThan(perPage), "the ViT has more feature maps than fit");

        var first = new CapturingRenderer();
        scene.Render(first);
        Assert.That(view.ColumnPages, Is.EqualTo((layers.Count + perPage - 1) / perPage));
        Assert.That(first.Texts.Select(t => t.Text), Does.Contain($"layers 1-{perPage} of {layers.Count}"), "the view says which layers it shows");
        var columns = first.Images.Where(i => i.Y == 330 + 68).Select(i => i.X).ToList();
        Assert.That(columns, Has.Count.EqualTo(perPage));
        Assert.That(columns.Zip(columns.Skip(1), (a, b) => b - a), Is.All.GreaterThanOrEqualTo(42 + 6), "columns no narrower than their captions need");

        // The ">" button (right end of the line under the columns) shows the next page; "<" goes back.
        Assert.That(scene.SendPointerDown(20 + 600 - 64 - 12, 330 + 370 - 8), Is.True);
        Assert.That(view.ColumnPage, Is.EqualTo(1));
        var second = new CapturingRenderer();
        scene.Render(second);
        int shownOnSecond = Math.Min(perPage, layers.Count - perPage);
        Assert.That(second.Texts.Select(t => t.Text), Does.Contain($"layers {perPage + 1}-{perPage + shownOnSecond} of {layers.Count}"));
        string name = second.Texts.Where(t => t.Y == 330).Select(t => t.Text).First();
        // The name, or its ending after a '/' or '.' (the start of an exported path is the same for every layer), cut to the column.
        var endings = new[] { layers[perPage] }.Concat(layers[perPage].Select((ch, i) => ch is '/' or '.' ? layers[perPage][(i + 1)..] : null).OfType<string>());
        Assert.That(endings.Any(e => e.StartsWith(name, StringComparison.Ordinal)), $"the page starts with the next layer ({layers[perPage]}), its name cut to the column: '{name}'");
        Assert.That(BakedFont.Default.Measure(name), Is.LessThanOrEqualTo(columns[1] - columns[0] - 2), "cut by the font's own widths, clear of the next column's text");
        Assert.That(scene.SendPointerDown(20 + 600 - 64 - 24 - 4 - 12, 330 + 370 - 8), Is.True);
        Assert.That(view.ColumnPage, Is.Zero);
    }

    [Test]
    public void A_transformers_token_sequences_are_columns_too_each_one_map_of_tokens_by_features()
    {
        using var scene = VitScene("""{ "type": "NetworkView", "x": 20, "y": 330, "width": 1240, "height": 370, "gap": 6 }""");
        var inference = DrawSevenAndWait(scene);
        var view = scene.Find("View")!.Get<NetworkView>()!;
        var model = inference.Package!.Model;
        var layers = NetworkView.LayersOf(model);
        var shapes = model.Layers().GroupBy(l => l.Output).ToDictionary(g => g.Key, g => g.First().Shape!);
        string sequence = layers.First(l => shapes[l].Rank == 3);
        var (tokens, features) = ((int)shapes[sequence][1], (int)shapes[sequence][2]);

        // Page to the sequence's column and find it by its caption.
        int perPage = (1240 - 64 + 6) / (42 + 6), index = layers.ToList().IndexOf(sequence);
        view.ColumnPage = index / perPage;
        var renderer = new CapturingRenderer();
        scene.Render(renderer);
        var kind = renderer.Texts.Where(t => t.Y == 330 + 32).ElementAt(index % perPage);
        var sizeCaption = renderer.Texts.Where(t => t.Y == 330 + 48).ElementAt(index % perPage);
        Assert.That(kind.Text, Is.EqualTo("seq"), "a sequence, no channel count: one map");
        Assert.That(sizeCaption.Text, Is.EqualTo($"{tokens}×{features}"), "tokens × features");
        var atlas = renderer.Images.Single(i => i.Y == 330 + 68 && i.X == sizeCaption.X);
        Assert.That((atlas.Image.Width, atlas.Image.Height), Is.EqualTo((features + 2, tokens + 2)), "one map, a gutter around it");
        // The map is the tensor as the result holds it, per-map normalised: its largest value is the colormap's top.
        var values = inference.Latest!.Explanation.Tensors[sequence];
        int hottest = Array.IndexOf(values, values.Max());
        Assert.That(atlas.Image.Pixels[(1 + hottest / features) * atlas.Image.Width + 1 + hottest % features], Is.EqualTo(Colormaps.PackedRgba(ColormapKind.Viridis, 255)));
    }
}
