using Glassbox.Engine;
using Glassbox.Media;
using Glassbox.Visualisation;

namespace Glassbox.Tests;

/// <summary>
/// What an engine does with the component layer, with nothing but its own pixels: a scene with the
/// inference, an attribution overlay and the probability bars, fed a photo of a 7 through a
/// <see cref="PixelSource"/> and a <see cref="FrameFeed"/>, drawn on the CPU once the result is in. The
/// net10.0 and the netstandard2.1 builds must both draw exactly the committed reference, engine-scene-seven.png.
/// </summary>
internal static class EngineSceneSpecimen
{
    public const string ReferenceName = "engine-scene-seven";

    public sealed record Outcome(RgbaImage Picture, int PredictedClass, long Sequence);

    public static Outcome Run(string modelFolder)
    {
        using var scene = new Scene("engine");
        var input = scene.CreateEntity("Input");
        using var pixels = new PixelSource("engine texture");
        var feed = input.Add(new FrameFeed { Source = pixels.OpenReader, Name = "engine texture", X = 10, Y = 10, DisplayWidth = 140, DisplayHeight = 140 });
        var inference = input.Add(new CnnInference { Model = modelFolder, Ep = "cpu", Threads = 1, Methods = ["grad-cam"] });
        input.Add(new AttributionOverlay { X = 10, Y = 10, Size = 140, Opacity = 0.5f });
        scene.CreateEntity("Bars").Add(new Glassbox.Engine.ProbabilityBars { X = 160, Y = 10, Width = 150, BarHeight = 12 });

        pixels.Push(PaperDigitPhoto.Draw(7, 140));
        long frame = 0;
        Await.Until(() => inference.Latest is not null, "the inference's first result", () => scene.Update(new FrameTime(++frame, TimeSpan.FromTicks(frame * 166_667), TimeSpan.FromTicks(166_667))));

        var canvas = new SceneCanvas(320, 190, BakedFont.Default);
        canvas.Begin();
        scene.Render(canvas);
        return new Outcome(canvas.RenderOnCpu(), inference.Latest!.Explanation.PredictedClass, feed.Submitted);
    }
}
