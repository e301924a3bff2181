using System.Diagnostics;
using Glassbox.Engine;
using Glassbox.Graphics;
using Glassbox.Media;
using Glassbox.Visualisation;

namespace Glassbox.Tests;

/// <summary>
/// The whole network for a drawn 7, as the demo's N key shows it: drawn by the GPU (llvmpipe) exactly as the CPU
/// rasteriser draws the same frame, and matching its reference picture.
/// </summary>
public class NetworkViewDrawingTests : GpuTest
{
    private static FrameTime Frame(long n) => new(n, TimeSpan.FromSeconds(n / 60.0), TimeSpan.FromSeconds(1 / 60.0));

    [Test]
    public void The_gpu_draws_the_network_view_as_the_cpu_does_and_as_its_reference_shows()
    {
        using var scene = new Scene("network");
        var input = scene.CreateEntity("Input");
        var canvas = input.Add(new DrawingCanvasInput { X = 40, Y = 80, Size = 560 });
        var inference = input.Add(new CnnInference { Model = Path.Combine(RepoPaths.Root, "models", "mnist-cnn"), Ep = "cpu", Threads = 2, Methods = ["grad-cam"] });
        scene.CreateEntity("Network").Add(new NetworkView { X = 660, Y = 80, Width = 600, Height = 520, Gap = 6 });
        foreach (var stroke in DigitStrokes.For(7))
            canvas.AddStroke(stroke);
        long frame = 0;
        Await.Until(() => inference.Latest is not null, "the 7's result", () => scene.Update(Frame(++frame)));
        Assert.That(inference.Latest?.Explanation.PredictedClass, Is.EqualTo(7));

        using var gl = OpenContext();
        using var renderer = new SceneCanvasRenderer(gl, new ShaderLibrary(RepoPaths.Shaders), BakedFont.Default, 1280, 720);
        var frameCanvas = renderer.CreateCanvas();
        frameCanvas.Begin();
        scene.Render(frameCanvas);
        renderer.Render(frameCanvas);
        var gpu = renderer.Target.Read();
        var cpu = frameCanvas.RenderOnCpu();
        var comparison = new ImageComparer { PixelThreshold = 1, MaxDifferentFraction = 0, MaxMeanDifference = 0.05 }.Compare(cpu, gpu);
        Assert.That(comparison.DifferentPixels, Is.Zero, comparison.ToString());

        // The view's part of the frame against its reference (the canvas's antialiased strokes are the canvas's test).
        var view = new RgbaImage(620, 540);
        for (int y = 0; y < view.Height; y++)
            cpu.Pixels.AsSpan((70 + y) * 1280 + 650, view.Width).CopyTo(view.Pixels.AsSpan(y * view.Width, view.Width));
        ReferenceImages.AssertMatches(view, "network-view-seven");
    }
}
