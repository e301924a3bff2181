using System.Collections.Immutable;

namespace Glassbox.Explain.Metrics;

/// <summary>The class probability as pixels are removed or inserted in the map's order, and the area under it.</summary>
/// <param name="Fractions">Fraction of pixels changed at each point, 0 to 1.</param>
/// <param name="Scores">Probability of the explained class at each point.</param>
public sealed record PerturbationCurve(ImmutableArray<float> Fractions, ImmutableArray<float> Scores)
{
    /// <summary>Trapezoidal area under the scores over [0, 1].</summary>
    public double Auc => MapMath.AreaUnderCurve(Scores.AsSpan());
}

/// <summary>Deletion and insertion curves for one map (Petsiuk et al. 2018): a good map has a low deletion and a high insertion AUC.</summary>
public sealed record FaithfulnessCurves(PerturbationCurve Deletion, PerturbationCurve Insertion);

/// <summary>Settings of the deletion and insertion metrics.</summary>
public sealed record DeletionInsertionOptions
{
    public static DeletionInsertionOptions Default { get; } = new();

    /// <summary>Number of steps from nothing changed to everything changed (the paper moves 224 pixels a step on 224² images: 224 steps).</summary>
    public int Steps { get; init; } = 28;

    /// <summary>Blur of the insertion start image, as a fraction of the input's larger side (the paper blurs with a large Gaussian).</summary>
    public float InsertionBlur { get; init; } = 0.1f;

    public DeletionInsertionOptions Validate()
    {
        if (Steps is < 1 or > 100_000)
            throw new GlassboxException($"Steps is {Steps}; use 1 to 100000.");
        if (!(InsertionBlur > 0f && InsertionBlur <= 1f))
            throw new GlassboxException($"InsertionBlur is {InsertionBlur}; use a fraction of the image size above 0 and at most 1.");
        return this;
    }
}

/// <summary>
/// The deletion and insertion metrics of the RISE paper. Deletion sets pixels to black from the
/// most important down; insertion copies pixels, most important first, into a blurred version of
/// the input. Maps are resampled to the input first; equal values keep pixel order, so a result is
/// the same on every machine.
/// </summary>
public static class DeletionInsertion
{
    public static FaithfulnessCurves Evaluate(ExplainContext context, AttributionMap map, DeletionInsertionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(map);
        options = (options ?? DeletionInsertionOptions.Default).Validate();
        var e = context.Explainer;
        int pixels = e.Height * e.Width, size = e.InputSize;
        int steps = Math.Min(options.Steps, pixels);
        var order = MapMath.OrderDescending(map.Resample(e.Width, e.Height));
        var input = context.Input.ToArray();
        var black = new float[size];
        for (int c = 0; c < e.Channels; c++)
            black.AsSpan(c * pixels, pixels).Fill(e.BlackLevel[c]);
        var blurred = MapMath.GaussianBlur(input, e.Channels, e.Height, e.Width, options.InsertionBlur * Math.Max(e.Height, e.Width));

        var deletion = Curve(context, order, steps, start: input, replacement: black);
        var insertion = Curve(context, order, steps, start: blurred, replacement: input);
        return new FaithfulnessCurves(deletion, insertion);
    }

    /// <summary>Step k has the first k/steps of <paramref name="order"/> taken from <paramref name="replacement"/>, the rest from <paramref name="start"/>.</summary>
    private static PerturbationCurve Curve(ExplainContext context, int[] order, int steps, float[] start, float[] replacement)
    {
        var e = context.Explainer;
        int pixels = e.Height * e.Width, size = e.InputSize;
        var batch = new float[(steps + 1) * size];
        var fractions = new float[steps + 1];
        var current = start.ToArray();
        int changed = 0;
        for (int k = 0; k <= steps; k++)
        {
            int until = (int)((long)pixels * k / steps);
            for (; changed < until; changed++)
            {
                int p = order[changed];
                for (int c = 0; c < e.Channels; c++)
                    current[c * pixels + p] = replacement[c * pixels + p];
            }
            current.CopyTo(batch, k * size);
            fractions[k] = (float)until / pixels;
        }
        var scores = new float[steps + 1];
        context.TargetScores(batch, steps + 1, scores, ScoreKind.Probability);
        return new PerturbationCurve([.. fractions], [.. scores]);
    }
}
