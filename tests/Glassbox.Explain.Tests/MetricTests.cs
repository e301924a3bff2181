using Glassbox.Explain;
using Glassbox.Explain.Metrics;

namespace Glassbox.Tests;

public class MetricTests
{
    [Test]
    public void Spearman_matches_known_values_and_gives_ties_their_mean_rank()
    {
        Assert.That(RankCorrelation.Spearman([1, 2, 3, 4], [10, 20, 30, 40]), Is.EqualTo(1.0).Within(1e-12));
        Assert.That(RankCorrelation.Spearman([1, 2, 3, 4], [4, 3, 2, 1]), Is.EqualTo(-1.0).Within(1e-12));
        Assert.That(RankCorrelation.Ranks([5, 1, 5, 3]), Is.EqualTo(new[] { 3.5, 1, 3.5, 2 }));
        // Ranks [1, 2.5, 2.5, 4, 5] and [2, 1, 4, 3, 5]: covariance 6.5, variances 9.5 and 10 → 6.5 / √95.
        Assert.That(RankCorrelation.Spearman([1, 2, 2, 3, 5], [2, 1, 4, 3, 5]), Is.EqualTo(6.5 / Math.Sqrt(95)).Within(1e-12));
        Assert.That(RankCorrelation.Spearman([1, 1, 1], [1, 2, 3]), Is.EqualTo(0.0));
    }

    [Test]
    public void Noisy_linear_imputation_without_noise_continues_a_linear_ramp_exactly()
    {
        const int h = 9, w = 11;
        var image = new float[h * w];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
                image[y * w + x] = 0.3f * x - 0.2f * y + 1f;
        }
        var removed = new bool[h * w];
        for (int y = 2; y < 7; y++)
        {
            for (int x = 3; x < 9; x++)
                removed[y * w + x] = true;
        }
        var imputed = Road.NoisyLinearImputation(image, 1, h, w, removed, noise: 0f, seed: 0);
        Assert.That(imputed, Is.EqualTo(image).Within(1e-4f));

        var noisy = Road.NoisyLinearImputation(image, 1, h, w, removed, noise: 0.01f, seed: 0);
        Assert.That(noisy.Where((v, i) => !removed[i]), Is.EqualTo(image.Where((v, i) => !removed[i])), "known pixels are kept");
        Assert.That(noisy.Where((v, i) => removed[i]).Zip(image.Where((v, i) => removed[i]), (a, b) => MathF.Abs(a - b)).Max(), Is.GreaterThan(0f).And.LessThan(0.2f));
    }

    [Test]
    public void Area_under_curve_is_the_trapezoid_rule_on_unit_spacing()
    {
        Assert.That(MapMath.AreaUnderCurve([1, 1, 1]), Is.EqualTo(1.0));
        Assert.That(MapMath.AreaUnderCurve([1, 0]), Is.EqualTo(0.5));
        Assert.That(MapMath.AreaUnderCurve([0, 1, 0, 1]), Is.EqualTo(0.5).Within(1e-12));
    }

    [Test]
    public void Targets_parse_classes_labels_and_contrasts_and_reject_the_rest()
    {
        string[] labels = ["zero", "one", "two"];
        Assert.That(ExplanationTarget.Parse("top"), Is.EqualTo(ExplanationTarget.TopClass));
        Assert.That(ExplanationTarget.Parse("2").Label, Is.EqualTo(2));
        Assert.That(ExplanationTarget.Parse("One", labels).Label, Is.EqualTo(1));
        var contrast = ExplanationTarget.Parse("2-zero", labels);
        Assert.That((contrast.Label, contrast.Contrast), Is.EqualTo((2, 0)));
        Assert.That(Assert.Throws<GlassboxException>(() => ExplanationTarget.Parse("seven", labels))!.Message,
            Is.EqualTo("Target 'seven' is not understood: use top, a class number or a label (zero, one, two), or A-B for class A against class B; " +
                        "for dense outputs box:X0,Y0,X1,Y1[:CLASS], detection:K[:CLASS] or step:T[:CLASS]."));
        Assert.That(Assert.Throws<GlassboxException>(() => ExplanationTarget.Parse("3").Validate(3, labels))!.Message,
            Is.EqualTo("Class 3 does not exist: the model has 3 classes, 0 to 2 (zero, one, two)."));
    }

    [Test]
    public void Method_specifications_parse_settings_and_name_what_is_wrong()
    {
        var rise = (Glassbox.Explain.Methods.Rise)AttributionMethods.Parse("rise:masks=1000:seed=3:grid=5");
        Assert.That((rise.Masks, rise.Seed, rise.GridSize), Is.EqualTo((1000, 3, 5)));
        Assert.That(AttributionMethods.ParseList("grad-cam, occlusion:window=8").Select(m => m.Name), Is.EqualTo(new[] { "grad-cam", "occlusion" }));
        Assert.That(Assert.Throws<GlassboxException>(() => AttributionMethods.Parse("gradcam3"))!.Message, Does.StartWith("Unknown method 'gradcam3'. Methods: cam, grad-cam,"));
        Assert.That(Assert.Throws<GlassboxException>(() => AttributionMethods.Parse("rise:mask=10"))!.Message, Is.EqualTo("rise has no setting 'mask'."));
        Assert.That(Assert.Throws<GlassboxException>(() => AttributionMethods.Parse("rise:masks=many"))!.Message, Is.EqualTo("rise: masks=many is not a whole number."));
        Assert.That(Assert.Throws<GlassboxException>(() => AttributionMethods.Parse("integrated-gradients:baseline=grey"))!.Message,
            Is.EqualTo("integrated-gradients: baseline=grey is not one of black, zero, blurred, noise."));
        Assert.That(AttributionMethods.Names.Select(n => AttributionMethods.Parse(n).Name), Is.EqualTo(AttributionMethods.Names));
    }
}
