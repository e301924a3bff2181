using Glassbox.Visualisation;

namespace Glassbox.Tests;

/// <summary>
/// One picture drawn on the CPU with the shipped font: text (ASCII and the Latin-1 signs the live view
/// uses), fills, an image and a heatmap overlay. The net10.0 and the netstandard2.1 builds must both
/// draw exactly the committed reference, default-font-specimen.png.
/// </summary>
internal static class CanvasSpecimen
{
    public const string ReferenceName = "default-font-specimen";

    public static RgbaImage Draw()
    {
        var canvas = new SceneCanvas(320, 120, BakedFont.Default);
        var paper = new RgbaImage(28, 28);
        for (int i = 0; i < paper.Pixels.Length; i++)
            paper.Pixels[i] = RgbaImage.Pack((byte)(i * 7), (byte)(255 - i), 200);
        float[] map = [0f, 1f, 2f, 3f, 2f, 1f, 0f, 1f, 4f];
        canvas.Begin();
        canvas.DrawImage(paper, 8, 8, 84, 84);
        canvas.DrawHeatmap(map, 3, 3, 8, 8, 84, 84, HeatmapOverlayOptions.Default with { Opacity = 0.6f, Upsampling = Upsampling.Bicubic });
        canvas.FillRect(104, 8, 150, 14, 0xFF3CB4F0u);
        canvas.FillRect(104, 24, 90, 14, 0x80F0B43Cu);
        canvas.DrawText("7 (98.1%) Grad-CAM", 104, 44, 0xFFFFFFFFu);
        canvas.DrawText("28×28 ±0.5 µs 20°C é ü", 104, 66, 0xFFC0E0FFu);
        canvas.DrawText("{[ABCxyz0123]} ? ~", 104, 88, 0xFF80FF80u);
        return canvas.RenderOnCpu();
    }
}
