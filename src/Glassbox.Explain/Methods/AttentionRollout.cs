using System.Buffers;
using Glassbox.Inference.Planning;

namespace Glassbox.Explain.Methods;

/// <summary>How attention rollout combines the heads of a layer.</summary>
public enum HeadFusion
{
    Mean,
    Max,
    Min,
}

/// <summary>
/// Attention rollout (Abnar and Zuidema 2020) for vision transformers: per layer the heads are
/// fused, the weakest <see cref="DiscardRatio"/> of the weights dropped, the residual added
/// ((A + I) / 2, rows renormalised), and the layers multiplied; the map is how much the class token
/// draws on each patch. Attention tensors are found as the Softmax outputs of shape
/// [batch, heads, tokens, tokens]. Class-agnostic and gradient-free.
/// </summary>
public sealed class AttentionRollout : AttributionMethod
{
    public AttentionRollout(HeadFusion fusion = HeadFusion.Mean, float discardRatio = 0.9f)
    {
        if (!(discardRatio >= 0f && discardRatio < 1f))
            throw new GlassboxException($"Discard ratio is {discardRatio}; use 0 (keep every weight) up to, but not including, 1.");
        Fusion = fusion;
        DiscardRatio = discardRatio;
    }

    public override string Name => "attention-rollout";

    public HeadFusion Fusion { get; }

    public float DiscardRatio { get; }

    /// <summary>The attention-probability tensors of the model, first layer first.</summary>
    public static IReadOnlyList<string> AttentionTensors(Explainer explainer)
    {
        var found = explainer.Model.Layers()
            .Where(l => l.OpType == "Softmax" && l.Shape is { Rank: 4 } s && s[2] > 1 && s[2] == s[3])
            .Select(l => l.Output)
            .ToList();
        if (found.Count == 0)
            throw new GlassboxException($"Model '{explainer.Model.Source}' has no attention (Softmax over [batch, heads, tokens, tokens]); attention rollout is for transformers. Use Grad-CAM or RISE.");
        return found;
    }

    public override RunNeeds Needs(Explainer explainer) => RunNeeds.ForTaps([.. AttentionTensors(explainer)]);

    public override AttributionMap Compute(ExplainContext context)
    {
        var layout = LayoutFor(context);
        int tokens = layout.Tokens;
        for (int l = 0; l < layout.Tensors.Count; l++)
            layout.Layers[l] = context.Tensor(layout.Tensors[l]);
        // The map is one row vector times the rollout: the class token's row (e₀ᵀ·P), or without a class token
        // the mean of all rows (1ᵀ·P / n), so the layers are applied to that vector instead of multiplied together.
        var pool = ArrayPool<double>.Shared;
        double[] start = pool.Rent(tokens), row = pool.Rent(tokens);
        try
        {
            var weights = start.AsSpan(0, tokens);
            weights.Fill(layout.ClassToken ? 0 : 1.0 / tokens);
            if (layout.ClassToken)
                weights[0] = 1;
            RolloutRow(layout.Layers, layout.Heads, tokens, Fusion, DiscardRatio, weights, row.AsSpan(0, tokens));
            int first = layout.ClassToken ? 1 : 0;
            var map = new float[tokens - first];
            for (int j = 0; j < map.Length; j++)
                map[j] = (float)row[first + j];
            float max = map.Max();
            if (max > 0f)
            {
                for (int i = 0; i < map.Length; i++)
                    map[i] /= max;
            }
            return MapOf(context, map, layout.Side, layout.Side, layout.Tensors[^1]) with { Details = layout.Details };
        }
        finally
        {
            pool.Return(start);
            pool.Return(row);
        }
    }

    // What a model's attention looks like, found once per explainer: a live loop explains every frame with it.
    private sealed record Layout(Explainer Explainer, IReadOnlyList<string> Tensors, int Heads, int Tokens, int Side, bool ClassToken, float[][] Layers,
                                 System.Collections.Immutable.ImmutableDictionary<string, string> Details);

    private Layout? _layout;

    private Layout LayoutFor(ExplainContext context)
    {
        // Read once: another thread explaining with another explainer may swap it; each keeps its own.
        if (_layout is { } known && ReferenceEquals(known.Explainer, context.Explainer))
            return known;
        var tensors = AttentionTensors(context.Explainer);
        var shape = context.ShapeOf(tensors[0]);
        int heads = (int)shape[0], tokens = (int)shape[1];
        // A class token exists when the patches make a square without it.
        int side = (int)Math.Round(Math.Sqrt(tokens - 1));
        bool classToken = side * side == tokens - 1;
        if (!classToken)
        {
            side = (int)Math.Round(Math.Sqrt(tokens));
            if (side * side != tokens)
                throw new GlassboxException($"{tokens} tokens do not form a square grid of patches, with or without a class token; the map cannot be laid out.");
        }
        var details = Perturbation.Details(("head_fusion", Fusion.ToString().ToLowerInvariant()), ("discard_ratio", DiscardRatio), ("layers", tensors.Count));
        var layout = new Layout(context.Explainer, tensors, heads, tokens, side, classToken, new float[tensors.Count][], details);
        _layout = layout;
        return layout;
    }

    /// <summary>
    /// <paramref name="weights"/>ᵀ · P into <paramref name="row"/>: P = F_L ⋯ F_1, so the vector meets the last layer
    /// first, n² multiplications a layer instead of n³. Its scratch is rented: a live loop allocates nothing.
    /// </summary>
    internal static void RolloutRow(IReadOnlyList<float[]> layers, int heads, int tokens, HeadFusion fusion, float discardRatio, ReadOnlySpan<double> weights, Span<double> row)
    {
        int n = tokens, count = layers.Count;
        var pool = ArrayPool<double>.Shared;
        double[] fused = pool.Rent(count * n * n), scratch = pool.Rent(n * n), next = pool.Rent(n);
        try
        {
            for (int l = 0; l < count; l++)
                FuseLayer(layers[l], heads, n, fusion, discardRatio, fused.AsSpan(l * n * n, n * n), scratch.AsSpan(0, n * n));
            weights.CopyTo(row);
            for (int l = count - 1; l >= 0; l--)
            {
                var layer = fused.AsSpan(l * n * n, n * n);
                var product = next.AsSpan(0, n);
                product.Clear();
                for (int k = 0; k < n; k++)
                {
                    double w = row[k];
                    var from = layer.Slice(k * n, n);
                    for (int c = 0; c < n; c++)
                        product[c] += w * from[c];
                }
                product.CopyTo(row);
            }
        }
        finally
        {
            pool.Return(fused);
            pool.Return(scratch);
            pool.Return(next);
        }
    }

    /// <summary>One layer's heads fused, its weakest weights dropped, the residual added and rows renormalised: (A + I) / 2.</summary>
    internal static void FuseLayer(float[] attention, int heads, int n, HeadFusion fusion, float discardRatio, Span<double> fused, Span<double> scratch)
    {
        for (int i = 0; i < n * n; i++)
        {
            double value = attention[i];
            for (int h = 1; h < heads; h++)
            {
                double v = attention[h * n * n + i];
                value = fusion switch { HeadFusion.Max => Math.Max(value, v), HeadFusion.Min => Math.Min(value, v), _ => value + v };
            }
            fused[i] = fusion == HeadFusion.Mean ? value / heads : value;
        }
        int discard = (int)(n * n * discardRatio);
        if (discard > 0)
            DiscardWeakest(fused, discard, scratch);
        for (int r = 0; r < n; r++)
        {
            double rowSum = 0;
            for (int c = 0; c < n; c++)
            {
                fused[r * n + c] = 0.5 * (fused[r * n + c] + (r == c ? 1 : 0));
                rowSum += fused[r * n + c];
            }
            for (int c = 0; c < n; c++)
                fused[r * n + c] /= rowSum;
        }
    }

    /// <summary>
    /// Zeroes the <paramref name="discard"/> weakest weights, the weakest being the first in (value, index) order,
    /// except the class token's attention to itself (index 0), as in the reference code: the threshold value is
    /// selected, then the ties at it are taken in index order, so nothing is sorted.
    /// </summary>
    private static void DiscardWeakest(Span<double> fused, int discard, Span<double> scratch)
    {
        fused.CopyTo(scratch);
        double threshold = Select(scratch, discard - 1);
        int below = 0;
        foreach (double v in fused)
        {
            if (Less(v, threshold))
                below++;
        }
        int equalToDiscard = discard - below;
        for (int i = 0; i < fused.Length; i++)
        {
            bool dropped = Less(fused[i], threshold) || (Same(fused[i], threshold) && equalToDiscard-- > 0);
            if (dropped && i != 0)
                fused[i] = 0;
        }
    }

    /// <summary>
    /// The value that would sit at <paramref name="k"/> were <paramref name="values"/> sorted (Hoare's selection, the
    /// middle element as pivot; the order of the rest is left scrambled). The value is the same whatever the algorithm.
    /// </summary>
    private static double Select(Span<double> values, int k)
    {
        int left = 0, right = values.Length - 1;
        while (left < right)
        {
            double pivot = values[left + (right - left) / 2];
            int i = left, j = right;
            while (i <= j)
            {
                while (Less(values[i], pivot))
                    i++;
                while (Less(pivot, values[j]))
                    j--;
                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    i++;
                    j--;
                }
            }
            if (k <= j)
                right = j;
            else if (k >= i)
                left = i;
            else
                return values[k];
        }
        return values[k];
    }

    // Ordered as the default comparer orders doubles: NaN first.
    private static bool Less(double a, double b) => a < b || (double.IsNaN(a) && !double.IsNaN(b));

    private static bool Same(double a, double b) => a == b || (double.IsNaN(a) && double.IsNaN(b));
}
