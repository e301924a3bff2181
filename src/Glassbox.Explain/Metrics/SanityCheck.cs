using System.Collections.Immutable;

namespace Glassbox.Explain.Metrics;

/// <summary>One stage of the cascade: every layer from the top down to <see cref="Layer"/> re-initialised.</summary>
/// <param name="Spearman">Rank correlation of the map with the original map.</param>
/// <param name="SpearmanAbsolute">The same on absolute values (the paper reports both for signed maps).</param>
public sealed record RandomisationStage(string Layer, double Spearman, double SpearmanAbsolute, AttributionMap Map);

/// <summary>The cascading model-parameter randomisation test of one method on one input.</summary>
public sealed record SanityCheckResult(string Method, AttributionMap Original, ImmutableArray<RandomisationStage> Stages)
{
    /// <summary>
    /// The map depends on the learned weights: once every layer is random, the rank correlation
    /// with the original is below <paramref name="threshold"/>.
    /// </summary>
    public bool Passes(double threshold = 0.5) => Stages.Length > 0 && Math.Abs(Stages[^1].Spearman) < threshold;
}

/// <summary>
/// The cascading model-parameter randomisation sanity check (Adebayo et al. 2018): layers with
/// learned weights are re-initialised from the output down, one more per stage, and the map of each
/// stage is compared with the original by Spearman rank correlation. A method whose maps do not
/// change is not explaining the model. The class stays the one explained on the trained model.
/// </summary>
public static class SanityCheck
{
    public static SanityCheckResult CascadingRandomisation(Explainer explainer, AttributionMethod method, ReadOnlySpan<float> input,
                                                           ExplanationTarget? target = null, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(explainer);
        ArgumentNullException.ThrowIfNull(method);
        var original = explainer.Explain(input, [method], target ?? ExplanationTarget.TopClass);
        var originalMap = original.Maps[0];
        var fixedTarget = original.ContrastClass is { } against ? ExplanationTarget.Versus(original.TargetClass, against) : ExplanationTarget.Class(original.TargetClass);
        var layers = explainer.Model.ParameterLayers();
        if (layers.Count == 0)
            throw new GlassboxException($"Model '{explainer.Model.Source}' has no layers with learned weights to randomise.");
        var options = explainer.Options with { Layer = explainer.Layer };
        var model = explainer.Model;
        var stages = ImmutableArray.CreateBuilder<RandomisationStage>(layers.Count);
        for (int k = layers.Count - 1; k >= 0; k--)
        {
            model = model.WithRandomisedParameters(layers[k].Parameters, seed + k);
            using var randomised = Explainer.Create(model, options, explainer.Labels);
            var map = randomised.Explain(input, [method], fixedTarget).Maps[0];
            stages.Add(new RandomisationStage(layers[k].Name,
                RankCorrelation.Spearman(originalMap.Values, map.Values),
                RankCorrelation.Spearman(Absolute(originalMap.Values), Absolute(map.Values)), map));
        }
        return new SanityCheckResult(method.Name, originalMap, stages.ToImmutable());
    }

    private static float[] Absolute(float[] values) => values.Select(MathF.Abs).ToArray();
}

/// <summary>Spearman's rank correlation with tied values given their mean rank.</summary>
public static class RankCorrelation
{
    public static double Spearman(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"Rank correlation needs equal lengths; got {a.Length} and {b.Length}.");
        if (a.Length < 2)
            return double.NaN;
        var ra = Ranks(a);
        var rb = Ranks(b);
        double meanA = ra.Average(), meanB = rb.Average();
        double cov = 0, va = 0, vb = 0;
        for (int i = 0; i < ra.Length; i++)
        {
            cov += (ra[i] - meanA) * (rb[i] - meanB);
            va += (ra[i] - meanA) * (ra[i] - meanA);
            vb += (rb[i] - meanB) * (rb[i] - meanB);
        }
        // A constant map has no ranking to agree with.
        return va == 0 || vb == 0 ? 0 : cov / Math.Sqrt(va * vb);
    }

    public static double[] Ranks(ReadOnlySpan<float> values)
    {
        var keys = values.ToArray();
        var order = Enumerable.Range(0, keys.Length).ToArray();
        Array.Sort(keys.ToArray(), order);
        var ranks = new double[keys.Length];
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && keys[order[j + 1]] == keys[order[i]])
                j++;
            double rank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++)
                ranks[order[k]] = rank;
            i = j + 1;
        }
        return ranks;
    }
}
