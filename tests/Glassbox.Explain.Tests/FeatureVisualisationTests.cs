using Glassbox.Explain;
using Glassbox.Inference;
using Glassbox.Inference.Planning;

namespace Glassbox.Tests;

/// <summary>
/// Inputs synthesised by gradient ascent through Glassbox's own gradient graph, seeded at a channel: on a planted
/// detector they draw the detector's filter; on the shipped CNN they excite their channel more than any MNIST digit.
/// </summary>
public class FeatureVisualisationTests
{
    private static readonly InferenceOptions Cpu = InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 2 };

    /// <summary>An oriented 7×7 Gabor-like filter: a cosine across the diagonal under a Gaussian envelope.</summary>
    private static float[] Gabor(int k)
    {
        var filter = new float[k * k];
        float centre = (k - 1) / 2f;
        for (int y = 0; y < k; y++)
            for (int x = 0; x < k; x++)
            {
                float dx = x - centre, dy = y - centre;
                filter[y * k + x] = MathF.Exp(-(dx * dx + dy * dy) / 8f) * MathF.Cos(0.9f * (dx + dy));
            }
        return filter;
    }

    private static double Correlation(float[] a, float[] b)
    {
        double ma = a.Average(), mb = b.Average();
        double ab = a.Zip(b, (x, y) => (x - ma) * (y - mb)).Sum();
        return ab / Math.Sqrt(a.Sum(x => (x - ma) * (x - ma)) * b.Sum(y => (y - mb) * (y - mb)));
    }

    [Test]
    public void On_a_planted_detector_the_synthesised_input_draws_the_detectors_filter()
    {
        const int k = 7, size = 15;
        var filter = Gabor(k);
        using var visualiser = new FeatureVisualiser(TinyModels.PlantedDetector(filter, k, size, size), "detector", [0f], [1f], Cpu);
        // Without the robustness transforms (jitter and rotation average the maximiser over shifted copies of the filter, by
        // design), and with the L2 prior strong enough to keep a linear unit in the range where its maximiser is the filter.
        var image = visualiser.Synthesise([0], FeatureVisualisationOptions.Default with { Steps = 128, Jitter = 0, Scales = [1f], Rotations = [0f], Decay = 2f })[0];
        // The centre unit of the 9×9 detector map reads input rows and columns 4 to 10.
        var patch = Enumerable.Range(4, k).SelectMany(y => Enumerable.Range(4, k).Select(x => image.Pixels[y * size + x])).ToArray();
        double correlation = Correlation(patch, filter);
        TestContext.Out.WriteLine($"correlation with the planted filter: {correlation:0.000}; objective {image.Objective:0.000}");
        Assert.That(correlation, Is.GreaterThanOrEqualTo(0.9));
        Assert.That(image.Progress[^1], Is.GreaterThan(image.Progress[0]), "the ascent raised the objective");
    }

    /// <summary>
    /// Every channel of relu4, batched: the synthesised input, started at MNIST's mean pixel level, excites the channel's
    /// unit where the top digit of 10,000 fires most more than that digit does.
    /// </summary>
    [Test]
    public void On_the_shipped_cnn_every_synthesised_input_excites_its_channel_more_than_the_top_mnist_digit()
    {
        var package = ModelPackage.Load(Path.Combine(RepoPaths.Root, "models", "mnist-cnn"));
        using var explainer = Explainer.Create(package, MnistExplainTests.Options);
        const string layer = "relu4";
        var digits = NetworkInsightTests.MnistDigits(10000);
        var top = ChannelExamples.Find(package.Model, [layer], digits.Length, (i, d) => digits[i].CopyTo(d), top: 1, inference: Cpu)[0];
        float black = explainer.BlackLevel[0], range = explainer.WhiteLevel[0] - black;
        float meanPixel = digits.Average(d => d.Average(v => (v - black) / range));
        using var visualiser = new FeatureVisualiser(package.Model, layer, explainer.BlackLevel, explainer.WhiteLevel, Cpu);
        var channels = Enumerable.Range(0, visualiser.LayerChannels).ToArray();
        var images = visualiser.Synthesise(channels, FeatureVisualisationOptions.Default with { InitialLevel = FeatureVisualisationOptions.LevelOf(meanPixel) },
            units: [.. channels.Select(c => (top.Top[c][0].X, top.Top[c][0].Y))]);
        foreach (var image in images)
        {
            var best = top.Top[image.Channel][0];
            var input = image.Pixels.Select(v => black + range * v).ToArray();
            float synthesised = explainer.Run(input, RunNeeds.ForTaps(layer), ExplanationTarget.TopClass).Tensor(layer)[(image.Channel * top.Height + best.Y) * top.Width + best.X];
            TestContext.Out.WriteLine($"channel {image.Channel}: synthesised {synthesised:0.00}, best digit {best.Activation:0.00}");
            Assert.That(synthesised, Is.EqualTo(image.Objective).Within(1e-3f * Math.Max(1f, synthesised)), "the reported objective is the image's own");
            Assert.That(synthesised, Is.GreaterThan(best.Activation), $"channel {image.Channel}: synthesised {synthesised:0.00}, best digit {best.Activation:0.00}");
        }
    }
}
