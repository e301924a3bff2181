using Glassbox.Graphics;
using Glassbox.Media;
using Glassbox.Visualisation;

namespace Glassbox.Tests;

/// <summary>
/// The picture in docs/mnist-preprocessing.md is drawn from DigitPreprocess's own intermediate steps
/// and pinned as a reference image, so the documentation shows what the code does.
/// </summary>
public class MnistPreprocessingPictureTests
{
    private const int Panel = 168, Gap = 14, LabelHeight = 44;

    [Test]
    public void Mnist_preprocessing_picture_matches_its_reference()
    {
        // A 7 drawn small and off-centre, as a visitor might.
        var canvas = new DrawingCanvas(280, 280, brushWidth: 16f);
        canvas.AddStroke([new(150f, 40f), new(250f, 44f), new(185f, 190f)]);
        var ink = canvas.Rasterise();
        var steps = DigitPreprocess.Steps(ink, 280, 280);
        var box = steps.InkBox!.Value;

        var images = new List<RgbaImage>
        {
            Gray(ink, 280, 280, invert: true),
            Gray(Crop(ink, 280, box), box.Width, box.Height, invert: false),
            Gray(steps.Fitted, steps.FittedWidth, steps.FittedHeight, invert: false),
            Gray(steps.Result, DigitPreprocess.Size, DigitPreprocess.Size, invert: false),
        };
        var font = FontBaker.Bake(FontBaker.DefaultFontPath, 14f);
        var list = new DrawList();
        int width = 4 * Panel + 5 * Gap, height = Panel + LabelHeight + 2 * Gap;
        string[] labels = ["1. drawn (280×280)", "2. ink bounding box", $"3. fitted into 20×20 ({steps.FittedWidth}×{steps.FittedHeight})", "4. 28×28, centred by mass"];
        for (int i = 0; i < 4; i++)
        {
            int x = Gap + i * (Panel + Gap);
            var area = new PixelRect(x, Gap, Panel, Panel);
            list.Fill(area, 0xFF000000);
            var fitted = FitInto(images[i].Width, images[i].Height, area);
            list.Image(fitted, i);
            list.Text(font, labels[i], x, Gap + Panel + 22, 0xFF303030);
        }
        // Panel 1: the ink box in red; panel 4: the centre of mass and the field's centre.
        double s0 = Panel / 280.0;
        Outline(list, new PixelRect(Gap + (int)(box.Left * s0), Gap + (int)(box.Top * s0), (int)(box.Width * s0), (int)(box.Height * s0)), 0xFF2020E0);
        var (cx, cy) = DigitPreprocess.CentreOfMass(steps.Result, 28, 28);
        double s3 = Panel / 28.0;
        int px = Gap + 3 * (Panel + Gap) + (int)(cx * s3), py = Gap + (int)(cy * s3);
        list.Fill(new PixelRect(px - 7, py - 1, 15, 3), 0xFF2020E0);
        list.Fill(new PixelRect(px - 1, py - 7, 3, 15), 0xFF2020E0);

        var picture = new RgbaImage(width, height);
        Array.Fill(picture.Pixels, 0xFFF4F4F4u);
        DrawListRasterizer.Render(list, picture, images, font);

        Assert.That(cx, Is.EqualTo(14.0).Within(0.6));
        ReferenceImages.AssertMatches(picture, "mnist-preprocessing");
    }

    private static byte[] Crop(byte[] ink, int width, (int Left, int Top, int Width, int Height) box)
    {
        var crop = new byte[box.Width * box.Height];
        for (int y = 0; y < box.Height; y++)
            Array.Copy(ink, (box.Top + y) * width + box.Left, crop, y * box.Width, box.Width);
        return crop;
    }

    private static RgbaImage Gray(byte[] values, int width, int height, bool invert) =>
        new(width, height, values.Select(v => invert ? (byte)(255 - v) : v).Select(v => RgbaImage.Pack(v, v, v)).ToArray());

    private static void Outline(DrawList list, PixelRect r, uint color)
    {
        list.Fill(r with { Height = 2 }, color);
        list.Fill(r with { Y = r.Bottom - 2, Height = 2 }, color);
        list.Fill(r with { Width = 2 }, color);
        list.Fill(r with { X = r.Right - 2, Width = 2 }, color);
    }

    /// <summary>The largest rectangle with the source's aspect ratio centred in the area.</summary>
    private static PixelRect FitInto(int sourceWidth, int sourceHeight, PixelRect area)
    {
        double scale = Math.Min((double)area.Width / sourceWidth, (double)area.Height / sourceHeight);
        int w = Math.Max(1, (int)(sourceWidth * scale)), h = Math.Max(1, (int)(sourceHeight * scale));
        return new PixelRect(area.X + (area.Width - w) / 2, area.Y + (area.Height - h) / 2, w, h);
    }
}
