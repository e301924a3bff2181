using System.Collections.Immutable;

namespace Glassbox.Explain.Metrics;

/// <summary>
/// One stage of the cascade: every layer from the top down to <see cref="Layer"/> re-initialised.
/// Correlations are means over the inputs; a map that became constant ranks nothing and counts as 0.
/// </summary>
/// <param name="Spearman">Mean rank correlation of the maps with the trained model's maps.</param>
/// <param name="SpearmanAbsolute">The same on absolute values (the paper reports both for signed maps).</param>
/// <param name="ConstantMaps">Inputs whose map became constant (all zero after a ReLU, typically).</param>
/// <param name="FirstMap">The first input's map at this stage, to show.</param>
public sealed record RandomisationStage(string Layer, double Spearman, double SpearmanAbsolute, ImmutableArray<double> PerInput, int ConstantMaps, AttributionMap FirstMap);

/// <summary>The cascading model-parameter randomisation test of one method over some inputs.</summary>
public sealed record SanityCheckResult(string Method, int Inputs, AttributionMap FirstOriginal, ImmutableArray<RandomisationStage> Stages)
{
    /// <summary>
    /// The maps depend on the learned weights: the trained model's maps correlate 1 with themselves,
    /// and once every layer is random the mean rank correlation is below <paramref name="threshold"/>,
    /// on the values and, for signed maps, on their magnitudes too.
    /// </summary>
    public bool Passes(double threshold = 0.5) =>
        Stages.Length > 0 && Math.Abs(Stages[^1].Spearman) < threshold && (!FirstOriginal.Signed || Math.Abs(Stages[^1].SpearmanAbsolute) < threshold);
}

/// <summary>
/// The cascading model-parameter randomisation sanity check (Adebayo et al. 2018): layers with
/// learned weights are re-initialised from the output down, one more per stage, and each stage's
/// maps are compared with the trained model's by Spearman rank correlation. A method whose maps do
/// not change is not explaining the model. Each input keeps the class explained on the trained model.
/// </summary>
public static class SanityCheck
{
    public static SanityCheckResult CascadingRandomisation(Explainer explainer, AttributionMethod method, IReadOnlyList<float[]> inputs,
                                                           ExplanationTarget? target = null, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(explainer);
        ArgumentNullException.ThrowIfNull(method);
        if (inputs.Count == 0)
            throw new GlassboxException("The sanity check needs at least one input.");
        var originals = new List<AttributionMap>();
        var targets = new List<ExplanationTarget>();
        foreach (var input in inputs)
        {
            var result = explainer.Explain(input, [method], target ?? ExplanationTarget.TopClass);
            originals.Add(result.Maps[0]);
            targets.Add(result.ContrastClass is { } against ? ExplanationTarget.Versus(result.TargetClass, against) : ExplanationTarget.Class(result.TargetClass));
        }
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
            var plain = new double[inputs.Count];
            var absolute = new double[inputs.Count];
            int constant = 0;
            AttributionMap? first = null;
            for (int i = 0; i < inputs.Count; i++)
            {
                var map = randomised.Explain(inputs[i], [method], targets[i]).Maps[0];
                first ??= map;
                if (IsConstant(map.Values))
                    constant++;
                plain[i] = RankCorrelation.Spearman(originals[i].Values, map.Values);
                absolute[i] = RankCorrelation.Spearman(Absolute(originals[i].Values), Absolute(map.Values));
            }
            stages.Add(new RandomisationStage(layers[k].Name, plain.Average(), absolute.Average(), [.. plain], constant, first!));
        }
        return new SanityCheckResult(method.Name, inputs.Count, originals[0], stages.ToImmutable());
    }

    private static bool IsConstant(float[] values) => values.All(v => v == values[0]);

    private static float[] Absolute(float[] values) => values.Select(MathF.Abs).ToArray();
}

/// <summary>Spearman's rank correlation with tied values given their mean rank.</summary>
internal static class RankCorrelation
{
    /// <summary>The correlation of the ranks; 0 when either side is constant (it ranks nothing).</summary>
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
