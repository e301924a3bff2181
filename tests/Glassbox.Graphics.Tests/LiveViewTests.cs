using Glassbox.Graphics;
using Glassbox.Visualisation;

namespace Glassbox.Tests;

/// <summary>The composed live layout, against a reference image (rendered on Mesa llvmpipe).</summary>
public class LiveViewTests : GpuTest
{
    /// <summary>A deterministic scene: a frame with a drawn stroke, a blob-shaped heatmap, 16 feature maps.</summary>
    internal static LiveViewFrame Scene()
    {
        var frame = new RgbaImage(320, 240);
        for (int y = 0; y < 240; y++)
        {
            for (int x = 0; x < 320; x++)
            {
                bool stroke = Math.Abs(y - 60 - (x - 100) * 0.9) < 9 && x is > 100 and < 230 || Math.Abs(x - 120) < 9 && y is > 50 and < 200;
                byte shade = (byte)(40 + (x + y) / 8);
                frame[x, y] = stroke ? RgbaImage.Pack(240, 240, 235) : RgbaImage.Pack(shade, shade, (byte)(shade + 10));
            }
        }
        var heatmap = new float[7 * 7];
        for (int y = 0; y < 7; y++)
        {
            for (int x = 0; x < 7; x++)
                heatmap[y * 7 + x] = MathF.Exp(-((x - 2.2f) * (x - 2.2f) + (y - 2.8f) * (y - 2.8f)) / 3f);
        }
        var features = new float[16 * 14 * 14];
        for (int c = 0; c < 16; c++)
        {
            for (int i = 0; i < 196; i++)
                features[c * 196 + i] = MathF.Max(0f, MathF.Sin((i % 14) * (0.2f + c * 0.05f)) * MathF.Cos((i / 14) * (0.3f + c * 0.03f)) + c * 0.02f);
        }
        return new LiveViewFrame
        {
            Frame = frame,
            Heatmap = heatmap, HeatmapWidth = 7, HeatmapHeight = 7,
            Features = features, FeatureChannels = 16, FeatureHeight = 14, FeatureWidth = 14,
            Labels = Enumerable.Range(0, 10).Select(i => i.ToString()).ToArray(),
            Probabilities = [0.01f, 0.02f, 0.0f, 0.03f, 0.0f, 0.0f, 0.0f, 0.91f, 0.02f, 0.01f],
            Status = ["Grad-CAM on relu4, class 7 (91%)", "capture 0.4 ms   preprocess 0.1 ms   run 1.2 ms", "explain 0.3 ms   render 4.1 ms   60 FPS", "ONNX Runtime 1.30.0 on CPU"],
        };
    }

    [Test]
    public void Composed_live_view_matches_its_reference_image()
    {
        using var gl = OpenContext();
        var font = BakedFont.Default;
        using var view = new LiveView(gl, new ShaderLibrary(RepoPaths.Shaders), font);
        view.Render(Scene(), HeatmapOverlayOptions.Default with { Upsampling = Upsampling.Bicubic, ContourLevel = 0.5f },
            FeatureAtlasOptions.Default with { Gutter = 2 });
        var image = view.Target.Read();

        ReferenceImages.AssertMatches(image, "live-view-1280x720");
    }

    [Test]
    public void The_cpu_renders_the_same_live_view_as_the_gpu()
    {
        using var gl = OpenContext();
        var font = BakedFont.Default;
        var overlay = HeatmapOverlayOptions.Default with { Upsampling = Upsampling.Bicubic, ContourLevel = 0.5f };
        var atlas = FeatureAtlasOptions.Default with { Gutter = 2 };
        using var view = new LiveView(gl, new ShaderLibrary(RepoPaths.Shaders), font);
        view.Render(Scene(), overlay, atlas);
        var gpu = view.Target.Read();
        var cpu = LiveLayout.RenderOnCpu(Scene(), overlay, atlas, font);

        // Every part is within 1 LSB of its reference; text blending may round the other way.
        var comparison = new ImageComparer { PixelThreshold = 1, MaxDifferentFraction = 0, MaxMeanDifference = 0.05 }.Compare(cpu, gpu);
        Assert.That(comparison.DifferentPixels, Is.Zero, comparison.ToString());
    }
}
