using System.Collections.Immutable;
using Glassbox.Visualisation;

namespace Glassbox.Explain.Metrics;

/// <summary>Which pixels ROAD removes first.</summary>
internal enum RemovalOrder
{
    /// <summary>Most relevant first: the score should fall fast (lower is better).</summary>
    MostRelevantFirst,
    /// <summary>Least relevant first: the score should hold (higher is better).</summary>
    LeastRelevantFirst,
}

/// <summary>ROAD scores at each removal percentage, for both orders.</summary>
public sealed record RoadResult(ImmutableArray<float> Percentages, ImmutableArray<float> MostRelevantFirst, ImmutableArray<float> LeastRelevantFirst)
{
    /// <summary>Mean probability over the percentages, most relevant removed first (lower is better).</summary>
    public double MoRF => MostRelevantFirst.Average();

    /// <summary>Mean probability over the percentages, least relevant removed first (higher is better).</summary>
    public double LeRF => LeastRelevantFirst.Average();
}

/// <summary>
/// ROAD, RemOve And Debias (Rong et al. 2022): removed pixels are not set to a constant, which the
/// model can spot, but imputed from their neighbours (each the weighted mean of its 8 neighbours,
/// direct ones 1/6 and diagonal ones 1/12, solved jointly by conjugate gradients) plus a little
/// Gaussian noise, so the removal pattern itself leaks no class information.
/// </summary>
public static class Road
{
    public static readonly ImmutableArray<float> DefaultPercentages = [0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f];

    /// <param name="noise">Standard deviation of the added noise as a fraction of each channel's range (the paper uses 0.01 on inputs in [0, 1]).</param>
    public static RoadResult Evaluate(ExplainContext context, AttributionMap map, IReadOnlyList<float>? percentages = null, float noise = 0.01f, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(map);
        var levels = (percentages ?? DefaultPercentages).ToImmutableArray();
        if (levels.Length == 0 || levels.Any(p => !(p > 0f && p < 1f)))
            throw new GlassboxException("ROAD percentages must be fractions strictly between 0 and 1, e.g. 0.1 to 0.9.");
        var e = context.Explainer;
        int pixels = e.Height * e.Width, size = e.InputSize;
        var order = MapMath.OrderDescending(map.Resample(e.Width, e.Height));
        var batch = new float[2 * levels.Length * size];
        for (int direction = 0; direction < 2; direction++)
        {
            for (int l = 0; l < levels.Length; l++)
            {
                int count = (int)Math.Round(levels[l] * pixels);
                var removed = new bool[pixels];
                for (int k = 0; k < count; k++)
                    removed[direction == 0 ? order[k] : order[pixels - 1 - k]] = true;
                var imputed = NoisyLinearImputation(context.Input, e.Channels, e.Height, e.Width, removed, noise, seed + l);
                imputed.CopyTo(batch, (direction * levels.Length + l) * size);
            }
        }
        var scores = new float[2 * levels.Length];
        context.TargetScores(batch, 2 * levels.Length, scores, ScoreKind.Probability);
        return new RoadResult(levels, [.. scores.AsSpan(0, levels.Length)], [.. scores.AsSpan(levels.Length)]);
    }

    /// <summary>The input with the removed pixels of every channel replaced by the neighbour-mean solution plus noise.</summary>
    public static float[] NoisyLinearImputation(ReadOnlySpan<float> input, int channels, int height, int width, bool[] removed, float noise, int seed)
    {
        int pixels = height * width;
        var result = input.ToArray();
        var unknowns = new List<int>();
        var slot = new int[pixels];
        Array.Fill(slot, -1);
        for (int p = 0; p < pixels; p++)
        {
            if (removed[p])
            {
                slot[p] = unknowns.Count;
                unknowns.Add(p);
            }
        }
        if (unknowns.Count == 0)
            return result;
        var random = new Random(seed);
        for (int c = 0; c < channels; c++)
        {
            var plane = result.AsSpan(c * pixels, pixels);
            var (min, max) = FeatureAtlas.MinMax(input.Slice(c * pixels, pixels));
            var solution = Solve(plane, height, width, unknowns, slot);
            float sigma = noise * (max - min);
            for (int u = 0; u < unknowns.Count; u++)
                plane[unknowns[u]] = (float)(solution[u] + sigma * random.NextGaussian());
        }
        return result;
    }

    // Each unknown: d_i x_i − Σ_{unknown j} w_ij x_j = Σ_{known j} w_ij v_j. Symmetric and diagonally
    // dominant; a tiny pull to the plane's mean keeps regions with no known neighbour solvable.
    private static double[] Solve(ReadOnlySpan<float> plane, int height, int width, List<int> unknowns, int[] slot)
    {
        int n = unknowns.Count;
        const double regulariser = 1e-6;
        double mean = 0;
        int known = 0;
        for (int p = 0; p < plane.Length; p++)
        {
            if (slot[p] < 0)
            {
                mean += plane[p];
                known++;
            }
        }
        mean = known > 0 ? mean / known : 0;
        var diagonal = new double[n];
        var rhs = new double[n];
        var neighbours = new (int Slot, double Weight)[n][];
        for (int u = 0; u < n; u++)
        {
            int p = unknowns[u], y = p / width, x = p % width;
            var list = new List<(int, double)>(8);
            double d = regulariser, b = regulariser * mean;
            for (int dy = -1; dy <= 1; dy++)
            {
                for (int dx = -1; dx <= 1; dx++)
                {
                    if (dx == 0 && dy == 0 || y + dy < 0 || y + dy >= height || x + dx < 0 || x + dx >= width)
                        continue;
                    double w = dx == 0 || dy == 0 ? 1.0 / 6 : 1.0 / 12;
                    int q = (y + dy) * width + x + dx;
                    d += w;
                    if (slot[q] >= 0)
                        list.Add((slot[q], w));
                    else
                        b += w * plane[q];
                }
            }
            diagonal[u] = d;
            rhs[u] = b;
            neighbours[u] = [.. list];
        }
        void Apply(double[] v, double[] into)
        {
            for (int u = 0; u < n; u++)
            {
                double s = diagonal[u] * v[u];
                foreach (var (j, w) in neighbours[u])
                    s -= w * v[j];
                into[u] = s;
            }
        }
        // Jacobi-preconditioned conjugate gradients from the plane's mean.
        var xk = new double[n];
        Array.Fill(xk, mean);
        var r = new double[n];
        Apply(xk, r);
        for (int u = 0; u < n; u++)
            r[u] = rhs[u] - r[u];
        var z = new double[n];
        var pk = new double[n];
        var ap = new double[n];
        for (int u = 0; u < n; u++)
            pk[u] = z[u] = r[u] / diagonal[u];
        double rz = Dot(r, z), bNorm = Math.Sqrt(Dot(rhs, rhs)) + 1e-30;
        for (int iteration = 0; iteration < 2000 && Math.Sqrt(Dot(r, r)) > 1e-7 * bNorm; iteration++)
        {
            Apply(pk, ap);
            double alpha = rz / Dot(pk, ap);
            for (int u = 0; u < n; u++)
            {
                xk[u] += alpha * pk[u];
                r[u] -= alpha * ap[u];
                z[u] = r[u] / diagonal[u];
            }
            double next = Dot(r, z);
            double beta = next / rz;
            rz = next;
            for (int u = 0; u < n; u++)
                pk[u] = z[u] + beta * pk[u];
        }
        return xk;
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++)
            s += a[i] * b[i];
        return s;
    }
}
