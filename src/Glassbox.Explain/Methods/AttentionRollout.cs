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
        var tensors = AttentionTensors(context.Explainer);
        var shape = context.ShapeOf(tensors[0]);
        int heads = (int)shape[0], tokens = (int)shape[1];
        var rollout = Rollout(tensors.Select(context.Tensor).ToList(), heads, tokens, Fusion, DiscardRatio);

        // A class token exists when the patches make a square without it.
        int side = (int)Math.Round(Math.Sqrt(tokens - 1));
        float[] map;
        if (side * side == tokens - 1)
        {
            map = new float[tokens - 1];
            for (int j = 1; j < tokens; j++)
                map[j - 1] = (float)rollout[j];
        }
        else
        {
            side = (int)Math.Round(Math.Sqrt(tokens));
            if (side * side != tokens)
                throw new GlassboxException($"{tokens} tokens do not form a square grid of patches, with or without a class token; the map cannot be laid out.");
            // No class token: how much all tokens together draw on each patch.
            map = new float[tokens];
            for (int i = 0; i < tokens; i++)
            {
                for (int j = 0; j < tokens; j++)
                    map[j] += (float)(rollout[tokens + i * tokens + j] / tokens);
            }
        }
        float max = map.Max();
        if (max > 0f)
        {
            for (int i = 0; i < map.Length; i++)
                map[i] /= max;
        }
        return MapOf(context, map, side, side, tensors[^1]) with
        {
            Details = Perturbation.Details(("head_fusion", Fusion.ToString().ToLowerInvariant()), ("discard_ratio", DiscardRatio), ("layers", tensors.Count)),
        };
    }

    /// <summary>
    /// Row 0 of the rollout (tokens values), followed by the whole tokens × tokens product.
    /// Each layer's attention is [heads, tokens, tokens].
    /// </summary>
    internal static double[] Rollout(IReadOnlyList<float[]> layers, int heads, int tokens, HeadFusion fusion, float discardRatio)
    {
        int n = tokens;
        var result = Identity(n);
        var fused = new double[n * n];
        var next = new double[n * n];
        foreach (var attention in layers)
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
            {
                // The weakest weights go, except the class token's attention to itself (index 0), as in the reference code.
                var order = Enumerable.Range(0, n * n).OrderBy(i => fused[i]).ThenBy(i => i).Take(discard);
                foreach (int i in order)
                {
                    if (i != 0)
                        fused[i] = 0;
                }
            }
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
            for (int r = 0; r < n; r++)
            {
                for (int c = 0; c < n; c++)
                {
                    double sum = 0;
                    for (int k = 0; k < n; k++)
                        sum += fused[r * n + k] * result[k * n + c];
                    next[r * n + c] = sum;
                }
            }
            (result, next) = (next, result);
        }
        var output = new double[n + n * n];
        Array.Copy(result, 0, output, 0, n);
        Array.Copy(result, 0, output, n, n * n);
        return output;
    }

    private static double[] Identity(int n)
    {
        var m = new double[n * n];
        for (int i = 0; i < n; i++)
            m[i * n + i] = 1;
        return m;
    }
}
