using Glassbox.Media;

namespace Glassbox.Tests;

public class PaperDigitTests
{
    /// <summary>
    /// A camera frame of a digit written on paper: lighting falls off from 215 to 120 across the frame,
    /// there is sensor noise, and a speck of dirt sits far from the digit.
    /// </summary>
    private static RgbaImage Photo(int digit)
    {
        const int width = 320, height = 240;
        var pen = new DrawingCanvas(width, height, brushWidth: 14f);
        foreach (var stroke in Strokes(digit))
            pen.AddStroke(stroke);
        pen.AddStroke([new(18f, 200f)]);
        var ink = pen.Rasterise();
        var random = new Random(digit);
        var photo = new RgbaImage(width, height);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                double paper = 215 - 95.0 * x / width + random.Next(-6, 7);
                double v = paper * (1 - 0.7 * ink[y * width + x] / 255.0);
                byte b = (byte)Math.Clamp(v, 0, 255);
                photo[x, y] = RgbaImage.Pack(b, b, (byte)Math.Clamp(v + 4, 0, 255));
            }
        }
        return photo;
    }

    // The digit fills about 200×200 pixels around the centre of the frame.
    private static StrokePoint[][] Strokes(int digit) => digit switch
    {
        1 => [[new(160, 25), new(163, 215)]],
        7 => [[new(100, 35), new(220, 35), new(140, 215)]],
        4 => [[new(185, 25), new(105, 150), new(215, 150)], [new(175, 90), new(175, 220)]],
        _ => throw new ArgumentOutOfRangeException(nameof(digit)),
    };

    [TestCase(1)]
    [TestCase(7)]
    [TestCase(4)]
    public void A_digit_on_unevenly_lit_paper_is_recognised(int digit)
    {
        using var cnn = new ShippedCnn();
        Assert.That(cnn.Classify(PaperDigit.ToMnist(Photo(digit))), Is.EqualTo(digit));
    }

    [Test]
    public void Specks_away_from_the_digit_are_dropped_and_uneven_light_is_not_ink()
    {
        var photo = Photo(1);
        var ink = PaperDigit.InkStrength(photo, 0, 0, photo.Width, photo.Height, contrast: 12);
        Assert.That(ink[120 * 320 + 300], Is.Zero, "the dark right edge of the paper is not ink");
        Assert.That(ink[200 * 320 + 18], Is.GreaterThan(0), "the speck is ink before blob selection");
        PaperDigit.KeepMainBlob(ink, photo.Width, photo.Height);
        Assert.That(ink[200 * 320 + 18], Is.Zero, "and is dropped after it");
        Assert.That(ink[120 * 320 + 161], Is.GreaterThan(0), "the stroke stays");
    }

    [Test]
    public void A_region_outside_the_frame_is_refused() =>
        Assert.That(Assert.Throws<ArgumentException>(() => PaperDigit.ToMnist(new RgbaImage(10, 10), (5, 5, 10, 10)))!.Message, Does.Contain("not inside"));
}
