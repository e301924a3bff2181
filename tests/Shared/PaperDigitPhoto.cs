using Glassbox.Media;

namespace Glassbox.Tests;

/// <summary>A digit written with the shipped strokes as a photo of paper would show it: dark ink on light grey.</summary>
internal static class PaperDigitPhoto
{
    public static RgbaImage Draw(int digit, int size = 280)
    {
        var canvas = new DrawingCanvas(size, size, 22f * size / 280);
        float scale = (float)size / DigitStrokes.CanvasSize;
        foreach (var stroke in DigitStrokes.For(digit))
            canvas.AddStroke(stroke.Select(p => new StrokePoint(p.X * scale, p.Y * scale)).ToArray());
        var ink = canvas.Rasterise();
        var photo = new RgbaImage(size, size);
        for (int i = 0; i < ink.Length; i++)
        {
            byte v = (byte)(235 - ink[i] * 200 / 255);
            photo.Pixels[i] = RgbaImage.Pack(v, v, v);
        }
        return photo;
    }
}
