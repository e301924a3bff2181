using Glassbox.Inference.Planning;
using Glassbox.Visualisation;

namespace Glassbox.Explain.Methods;

/// <summary>A method on the gradient of the score with respect to the input pixels; the map has the input's size.</summary>
public abstract class InputGradientMethod : AttributionMethod
{
    public override bool UsesGradients => true;

    public override RunNeeds Needs(Explainer explainer) => RunNeeds.ForGradients(explainer.Input.Name);

    /// <summary>Largest |g| over the channels at each pixel.</summary>
    protected static float[] MaxAbsOverChannels(ReadOnlySpan<float> gradient, int channels, int pixels)
    {
        var map = new float[pixels];
        for (int c = 0; c < channels; c++)
        {
            for (int i = 0; i < pixels; i++)
                map[i] = MathF.Max(map[i], MathF.Abs(gradient[c * pixels + i]));
        }
        return map;
    }
}

/// <summary>Vanilla gradient, or saliency (Simonyan et al. 2014): the largest |∂score/∂x| over the channels.</summary>
public sealed class VanillaGradient : InputGradientMethod
{
    public override string Name => "gradient";

    public override AttributionMap Compute(ExplainContext context)
    {
        var e = context.Explainer;
        return MapOf(context, MaxAbsOverChannels(context.Gradient(e.Input.Name), e.Channels, e.Height * e.Width), e.Width, e.Height);
    }
}

/// <summary>Gradient × input (Shrikumar et al. 2016), summed over channels: signed; exact contributions for a linear model.</summary>
public sealed class GradientTimesInput : InputGradientMethod
{
    public override string Name => "gradient-x-input";

    public override AttributionMap Compute(ExplainContext context)
    {
        var e = context.Explainer;
        int pixels = e.Height * e.Width;
        var gradient = context.Gradient(e.Input.Name);
        var input = context.Input;
        var map = new float[pixels];
        for (int c = 0; c < e.Channels; c++)
        {
            for (int i = 0; i < pixels; i++)
                map[i] += gradient[c * pixels + i] * input[c * pixels + i];
        }
        return MapOf(context, map, e.Width, e.Height, signed: true);
    }
}

/// <summary>
/// SmoothGrad (Smilkov et al. 2017): the vanilla-gradient map averaged over copies of the input
/// with Gaussian noise of σ = <see cref="NoiseLevel"/> × (max − min of the input). One batched gradient run.
/// </summary>
public sealed class SmoothGrad : InputGradientMethod
{
    public SmoothGrad(int samples = 25, float noiseLevel = 0.15f, int seed = 0)
    {
        if (samples is < 1 or > 10_000)
            throw new GlassboxException($"SmoothGrad samples is {samples}; use 1 to 10000 (the paper uses 50).");
        if (!(noiseLevel >= 0f && noiseLevel <= 1f))
            throw new GlassboxException($"SmoothGrad noise level is {noiseLevel}; use 0 to 1 (a fraction of the input's range; the paper finds 0.1–0.2 best).");
        Samples = samples;
        NoiseLevel = noiseLevel;
        Seed = seed;
    }

    public override string Name => "smoothgrad";

    public int Samples { get; }

    public float NoiseLevel { get; }

    public int Seed { get; }

    public override AttributionMap Compute(ExplainContext context)
    {
        var e = context.Explainer;
        int size = e.InputSize, pixels = e.Height * e.Width;
        var input = context.Input;
        var (min, max) = FeatureAtlas.MinMax(input);
        float sigma = NoiseLevel * (max - min);
        // Noise from a counter-based generator: an exported explainer's graph draws the same values from the seed.
        var batch = new float[Samples * size];
        CounterNoise.FillGaussian(Seed, 0, batch);
        for (int s = 0; s < Samples; s++)
        {
            for (int i = 0; i < size; i++)
                batch[s * size + i] = input[i] + sigma * batch[s * size + i];
        }
        var gradients = new float[Samples * size];
        context.InputGradients(batch, Samples, gradients);
        var map = new float[pixels];
        for (int s = 0; s < Samples; s++)
        {
            var sampleMap = MaxAbsOverChannels(gradients.AsSpan(s * size, size), e.Channels, pixels);
            for (int i = 0; i < pixels; i++)
                map[i] += sampleMap[i] / Samples;
        }
        return MapOf(context, map, e.Width, e.Height, seed: Seed) with
        {
            Details = Perturbation.Details(("samples", Samples), ("noise_level", NoiseLevel), ("sigma", sigma)),
        };
    }
}

/// <summary>What Integrated Gradients integrates from.</summary>
public enum IntegrationBaseline
{
    /// <summary>A black image (the preprocessing of 0 pixels).</summary>
    Black,
    /// <summary>The all-zero tensor.</summary>
    Zero,
    /// <summary>The input blurred with a Gaussian of σ = 1/10 of its size.</summary>
    Blurred,
    /// <summary>Uniform noise over the input's range, from the seed.</summary>
    Noise,
}

/// <summary>
/// Integrated Gradients (Sundararajan et al. 2017): (x − x′) times the mean gradient along the
/// straight path from the baseline x′, midpoint rule with <see cref="Steps"/> points, summed over
/// channels. Its completeness gap, Σ map − (f(x) − f(x′)), is reported in the details.
/// </summary>
public sealed class IntegratedGradients : InputGradientMethod
{
    public IntegratedGradients(int steps = 32, IntegrationBaseline baseline = IntegrationBaseline.Black, int seed = 0)
    {
        if (steps is < 1 or > 10_000)
            throw new GlassboxException($"Integrated Gradients steps is {steps}; use 1 to 10000 (20–300 in the paper).");
        Steps = steps;
        Baseline = baseline;
        Seed = seed;
    }

    public override string Name => "integrated-gradients";

    public int Steps { get; }

    public IntegrationBaseline Baseline { get; }

    public int Seed { get; }

    public override AttributionMap Compute(ExplainContext context)
    {
        var e = context.Explainer;
        int size = e.InputSize, pixels = e.Height * e.Width;
        var input = context.Input;
        var baseline = BaselineFor(context);
        var batch = new float[Steps * size];
        for (int s = 0; s < Steps; s++)
        {
            float alpha = (s + 0.5f) / Steps;
            for (int i = 0; i < size; i++)
                batch[s * size + i] = baseline[i] + alpha * (input[i] - baseline[i]);
        }
        var gradients = new float[Steps * size];
        context.InputGradients(batch, Steps, gradients);

        var map = new float[pixels];
        double total = 0;
        for (int i = 0; i < size; i++)
        {
            double mean = 0;
            for (int s = 0; s < Steps; s++)
                mean += gradients[s * size + i];
            float attribution = (float)(mean / Steps * (input[i] - baseline[i]));
            map[i % pixels] += attribution;
            total += attribution;
        }
        var baselineLogits = new float[context.Classes];
        context.ScoreBatch(baseline, 1, baselineLogits);
        float baselineScore = context.ScoreOf(baselineLogits, ScoreKind.Logit);
        double gap = total - (context.TargetScore - baselineScore);
        return MapOf(context, map, e.Width, e.Height, signed: true, seed: Baseline == IntegrationBaseline.Noise ? Seed : null) with
        {
            Details = Perturbation.Details(("steps", Steps), ("baseline", Baseline.ToString().ToLowerInvariant()),
                ("baseline_score", baselineScore), ("completeness_gap", gap)),
        };
    }

    private float[] BaselineFor(ExplainContext context)
    {
        var e = context.Explainer;
        int pixels = e.Height * e.Width;
        var baseline = new float[e.InputSize];
        switch (Baseline)
        {
            case IntegrationBaseline.Black:
                Perturbation.Fill(e.BlackLevel, baseline, pixels);
                break;
            case IntegrationBaseline.Blurred:
                baseline = MapMath.GaussianBlur(context.Input, e.Channels, e.Height, e.Width, Math.Max(e.Height, e.Width) / 10f);
                break;
            case IntegrationBaseline.Noise:
                var (min, max) = FeatureAtlas.MinMax(context.Input);
                var random = new Random(Seed);
                for (int i = 0; i < baseline.Length; i++)
                    baseline[i] = min + (float)random.NextDouble() * (max - min);
                break;
        }
        return baseline;
    }
}
