using Glassbox.Engine;

namespace Glassbox.Benchmarks;

/// <summary>The live demo's scene for measuring: canvas, Grad-CAM overlay, feature grid, bars and stats, 1280×720.</summary>
internal static class BenchScene
{
    public const int Width = 1280, Height = 720;

    public static (Scene Scene, DrawingCanvasInput Canvas, CnnInference Inference) Build(int threads)
    {
        var scene = new Scene("bench");
        var input = scene.CreateEntity("Input");
        var canvas = input.Add(new DrawingCanvasInput { X = 40, Y = 80, Size = 560 });
        var inference = input.Add(new CnnInference { Model = Path.Combine(BenchModels.RepoRoot, "models", "mnist-cnn"), Ep = "cpu", Threads = threads });
        input.Add(new AttributionOverlay { X = 40, Y = 80, Size = 560 });
        scene.CreateEntity("Bars").Add(new Glassbox.Engine.ProbabilityBars { X = 660, Y = 80, Width = 520, BarHeight = 24 });
        scene.CreateEntity("Features").Add(new FeatureMapGrid { Layer = "relu2", X = 660, Y = 400, MaxWidth = 560, MaxChannels = 16, Columns = 8 });
        scene.CreateEntity("Stats").Add(new StatsPanel { X = 660, Y = 620 });
        return (scene, canvas, inference);
    }
}
