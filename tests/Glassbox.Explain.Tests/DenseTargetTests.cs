using Glassbox.Explain;
using Glassbox.Explain.Methods;
using Glassbox.Inference;

namespace Glassbox.Tests;

/// <summary>
/// Targets on outputs that are not class rows, on models linear in the input so the answers are
/// known: a class channel of a segmentation map summed over a box (free input size, non-square), the
/// K-th best box of a detection head, one step of a sequence. Gradients, CAM-free perturbation methods
/// and the metrics all read the same target.
/// </summary>
public class DenseTargetTests
{
    private static readonly ExplainerOptions Cpu = ExplainerOptions.Default with
    {
        Inference = InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 1 },
    };

    [Test]
    public void A_box_of_a_segmentation_map_is_explained_by_the_pixels_under_it_at_any_input_size()
    {
        const int channels = 3, classes = 2, width = 12, height = 8;
        var weights = TinyModels.Random(classes * channels, seed: 5);
        var model = TinyModels.PixelwiseLinear(weights, channels, classes);
        using var explainer = Explainer.Create(model, Cpu with { InputWidth = width, InputHeight = height });
        var input = TinyModels.Random(channels * height * width, seed: 6);
        var box = new PixelBox(2, 1, 7, 4);

        var result = explainer.Explain(input, [new VanillaGradient(), new GradientTimesInput()], ExplanationTarget.Region(box, label: 1));

        // Score of class k = Σ over the box of W[k]·x; the gradient is W[1] inside the box and 0 outside.
        var expectedScores = new double[classes];
        for (int k = 0; k < classes; k++)
        {
            for (int y = box.Y0; y < box.Y1; y++)
            {
                for (int x = box.X0; x < box.X1; x++)
                {
                    for (int c = 0; c < channels; c++)
                        expectedScores[k] += weights[k * channels + c] * input[(c * height + y) * width + x];
                }
            }
        }
        Assert.That(result.Scores.Select(v => (double)v), Is.EqualTo(expectedScores).Within(1e-4));
        Assert.That(result.TargetClass, Is.EqualTo(1));
        Assert.That(result.TargetScore, Is.EqualTo(expectedScores[1]).Within(1e-4));
        var gradient = result.Maps[0].Values;
        var times = result.Maps[1].Values;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                bool inside = x >= box.X0 && x < box.X1 && y >= box.Y0 && y < box.Y1;
                float expected = inside ? Enumerable.Range(0, channels).Max(c => MathF.Abs(weights[channels + c])) : 0f;
                float contribution = inside ? Enumerable.Range(0, channels).Sum(c => weights[channels + c] * input[(c * height + y) * width + x]) : 0f;
                Assert.That(gradient[y * width + x], Is.EqualTo(expected).Within(1e-6), $"gradient at ({x}, {y})");
                Assert.That(times[y * width + x], Is.EqualTo(contribution).Within(1e-5), $"gradient × input at ({x}, {y})");
            }
        }
        // Gradient × input of a linear model sums to the explained score.
        Assert.That(times.Sum(), Is.EqualTo(result.TargetScore).Within(1e-4));
    }

    [Test]
    public void A_box_without_a_class_explains_the_class_with_the_largest_sum_there_and_occlusion_outside_it_changes_nothing()
    {
        const int channels = 2, classes = 3, width = 10, height = 6;
        var weights = TinyModels.Random(classes * channels, seed: 9);
        using var explainer = Explainer.Create(TinyModels.PixelwiseLinear(weights, channels, classes), Cpu with { InputWidth = width, InputHeight = height });
        var input = TinyModels.Random(channels * height * width, seed: 10, low: 0f, high: 1f);
        var box = new PixelBox(0, 0, 4, 3);

        var result = explainer.Explain(input, [new Occlusion(window: 1, stride: 1), new Rise(masks: 64, gridSize: 3, seed: 1)], ExplanationTarget.Region(box));

        Assert.That(result.TargetClass, Is.EqualTo(result.Scores.IndexOf(result.Scores.Max())));
        var occlusion = result.Maps[0].Values;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                if (x >= box.X1 || y >= box.Y1)
                    Assert.That(occlusion[y * width + x], Is.EqualTo(0f), $"occluding ({x}, {y}), outside the box, leaves the box's score as it was");
            }
        }
        Assert.That(occlusion.Take(box.X1).Any(v => v != 0f), Is.True, "occluding inside the box changes its score");
    }

    [Test]
    public void A_detection_target_explains_the_kth_best_box_with_the_weights_of_its_score()
    {
        const int boxes = 5, columns = 4 + 3, c = 1, h = 4, w = 3;
        var weights = TinyModels.Random(boxes * columns * c * h * w, seed: 21);
        using var explainer = Explainer.Create(TinyModels.LinearRows(weights, boxes, columns, c, h, w), Cpu);
        var input = TinyModels.Random(c * h * w, seed: 22);
        var rows = new float[boxes * columns];
        for (int r = 0; r < rows.Length; r++)
            rows[r] = Enumerable.Range(0, input.Length).Sum(i => weights[r * input.Length + i] * input[i]);
        // Rank the boxes by their best score (columns after the four box values).
        var ranked = Enumerable.Range(0, boxes).OrderByDescending(b => Enumerable.Range(4, 3).Max(k => rows[b * columns + k])).ToArray();

        foreach (int rank in new[] { 1, 2 })
        {
            var result = explainer.Explain(input, [new GradientTimesInput()], ExplanationTarget.Detection(rank));
            int row = ranked[rank - 1];
            int best = Enumerable.Range(0, 3).MaxBy(k => rows[row * columns + 4 + k]);
            Assert.That(result.Scores, Is.EqualTo(rows.Skip(row * columns + 4).Take(3)).Within(1e-5), $"detection {rank}: the scores of box {row}");
            Assert.That(result.TargetClass, Is.EqualTo(best));
            // Gradient × input of the linear score sums to the score itself.
            Assert.That(result.Maps[0].Values.Sum(), Is.EqualTo(rows[row * columns + 4 + best]).Within(1e-4));
        }
        var error = Assert.Throws<GlassboxException>(() => explainer.Explain(input, [new VanillaGradient()], ExplanationTarget.Detection(6)))!;
        Assert.That(error.Message, Is.EqualTo("Detection 6 does not exist: the head has 5 boxes."));
    }

    [Test]
    public void A_step_target_explains_one_step_of_a_sequence_and_a_class_target_on_rows_says_what_to_use()
    {
        const int steps = 4, classes = 6, c = 1, h = 2, w = 5;
        var weights = TinyModels.Random(steps * classes * c * h * w, seed: 31);
        using var explainer = Explainer.Create(TinyModels.LinearRows(weights, steps, classes, c, h, w), Cpu);
        var input = TinyModels.Random(c * h * w, seed: 32);

        var result = explainer.Explain(input, [new VanillaGradient()], ExplanationTarget.Step(2, label: 4));

        Assert.That(result.TargetClass, Is.EqualTo(4));
        int column = 2 * classes + 4;
        var expected = Enumerable.Range(0, h * w).Select(i => MathF.Abs(weights[column * input.Length + i])).ToArray();
        Assert.That(result.Maps[0].Values, Is.EqualTo(expected).Within(1e-6));
        Assert.That(result.Probabilities.Sum(), Is.EqualTo(1f).Within(1e-5), "a step's probabilities are the softmax of its scores");

        var error = Assert.Throws<GlassboxException>(() => explainer.Explain(input, [new VanillaGradient()]))!;
        Assert.That(error.Message, Does.StartWith("Target 'top' does not fit output 'rows' of shape batch × 4×6; use detection:K[:CLASS]"));
    }

    [Test]
    public void Dense_targets_parse_and_bad_ones_say_how_to_write_them()
    {
        var box = ExplanationTarget.Parse("box:40,30,120,90:2");
        Assert.That((box.Kind, box.Box, box.Label), Is.EqualTo((TargetKind.Region, (PixelBox?)new PixelBox(40, 30, 120, 90), (int?)2)));
        Assert.That(ExplanationTarget.Parse("detection:3").ToString(), Is.EqualTo("detection:3"));
        Assert.That(ExplanationTarget.Parse("step:0:1"), Is.EqualTo(ExplanationTarget.Step(0, 1)));
        Assert.That(Assert.Throws<GlassboxException>(() => ExplanationTarget.Parse("box:1,2,3"))!.Message,
            Is.EqualTo("Target 'box:1,2,3': the box is four whole numbers in input pixels, X0,Y0,X1,Y1 (e.g. box:40,30,120,90)."));
        Assert.That(Assert.Throws<GlassboxException>(() => ExplanationTarget.Parse("box:5,5,5,9"))!.Message,
            Is.EqualTo("Box 5,5,5,9 is empty or negative; give X0,Y0,X1,Y1 in input pixels with X0 < X1 and Y0 < Y1."));
        Assert.That(Assert.Throws<GlassboxException>(() => ExplanationTarget.Parse("detection:0"))!.Message,
            Is.EqualTo("Detection 0: detections are ranked from 1 (the highest-scoring box)."));
    }
}
