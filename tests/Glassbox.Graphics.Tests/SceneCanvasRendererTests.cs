using Glassbox.Graphics;
using Glassbox.Visualisation;

namespace Glassbox.Tests;

public class SceneCanvasRendererTests : GpuTest
{
    [Test]
    public void The_gpu_draws_a_scene_canvas_frame_as_the_cpu_does()
    {
        using var gl = OpenContext();
        var font = BakedFont.Default;
        using var renderer = new SceneCanvasRenderer(gl, new ShaderLibrary(RepoPaths.Shaders), font, 320, 200);
        var canvas = renderer.CreateCanvas();
        var paper = new RgbaImage(28, 28);
        for (int i = 0; i < paper.Pixels.Length; i++)
            paper.Pixels[i] = RgbaImage.Pack((byte)(i * 7), (byte)(255 - i), 200);
        float[] map = [0f, 1f, 2f, 3f, 2f, 1f, 0f, 1f, 4f];

        // Three frames: the second reuses the first one's textures with new contents (the overlays blended again
        // on the GPU), the third repeats the second (the overlays' textures kept as they are). One overlay lies
        // over an image, at the image's resolution; one over the clear colour, with a contour.
        for (int frame = 0; frame < 3; frame++)
        {
            int step = Math.Min(frame, 1);
            canvas.Begin();
            canvas.DrawImage(paper, 10, 10, 140, 140);
            canvas.DrawHeatmap(map, 3, 3, 10, 10, 140, 140, HeatmapOverlayOptions.Default with { Opacity = 0.5f + step * 0.2f, Upsampling = Upsampling.Bicubic });
            canvas.DrawHeatmap(map, 3, 3, 170, 100, 60 + step * 10, 60, HeatmapOverlayOptions.Default with { Opacity = 0.8f, ContourLevel = 0.5f });
            canvas.FillRect(170, 20, 100 + step * 30, 16, 0xFF3CB4F0u);
            canvas.DrawText($"frame {frame}: 7 (98.1%)", 170, 60, 0xFFFFFFFFu);
            renderer.Render(canvas);
            var gpu = renderer.Target.Read();
            var cpu = canvas.RenderOnCpu();
            var comparison = new ImageComparer { PixelThreshold = 1, MaxDifferentFraction = 0, MaxMeanDifference = 0.05 }.Compare(cpu, gpu);
            Assert.That(comparison.DifferentPixels, Is.Zero, $"frame {frame}: {comparison}");
        }
    }

    [Test]
    public void Drawing_frames_with_a_changing_overlay_allocates_nothing()
    {
        using var gl = OpenContext();
        var font = BakedFont.Default;
        using var renderer = new SceneCanvasRenderer(gl, new ShaderLibrary(RepoPaths.Shaders), font, 320, 200);
        var canvas = renderer.CreateCanvas();
        var paper = new RgbaImage(28, 28);
        var map = new float[49];
        var options = HeatmapOverlayOptions.Default with { Upsampling = Upsampling.Bicubic };
        void Frame(int frame)
        {
            // A new map every frame, as a live explanation gives: the overlay is blended again each time.
            map[frame % 49] += 1f;
            paper.Pixels[frame % paper.Pixels.Length] ^= 0x00FFFFFFu;
            canvas.Begin();
            canvas.DrawImage(paper, 10, 10, 140, 140);
            canvas.DrawHeatmap(map, 7, 7, 10, 10, 140, 140, options);
            canvas.FillRect(170, 20, 100, 16, 0xFF3CB4F0u);
            canvas.DrawText("7 (98.1%)", 170, 60, 0xFFFFFFFFu);
            renderer.Render(canvas);
        }
        for (int i = 0; i < 20; i++)
            Frame(i);
        gl.Finish();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 20; i < 120; i++)
            Frame(i);
        gl.Finish();
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero, "100 frames: upload, overlay pass, texture copy, draw list");
    }
}
