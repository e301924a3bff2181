using Glassbox.Inference.Planning;
using Glassbox.Visualisation;

namespace Glassbox.Explain.Methods;

/// <summary>
/// A method that averages the model's response over many perturbed copies of the input, one
/// numbered sample at a time. Sample i is the same whatever batch it runs in, so a live view can
/// run a few samples a frame (<see cref="ProgressiveExplanation"/>) and end with the very map a
/// single call gives.
/// </summary>
public abstract class SamplingMethod : AttributionMethod
{
    public override RunNeeds Needs(Explainer explainer) => RunNeeds.None;

    /// <summary>How many perturbed inputs make the full map.</summary>
    public abstract int SampleCount(Explainer explainer);

    /// <summary>Runs samples [start, start + count) and adds them into the per-pixel sums.</summary>
    public abstract void Accumulate(ExplainContext context, int start, int count, Span<float> sum, Span<float> weight);

    /// <summary>The map from the sums after <paramref name="samples"/> samples.</summary>
    public abstract AttributionMap Finish(ExplainContext context, ReadOnlySpan<float> sum, ReadOnlySpan<float> weight, int samples);

    public override AttributionMap Compute(ExplainContext context)
    {
        var e = context.Explainer;
        int pixels = e.Height * e.Width;
        var sum = new float[pixels];
        var weight = new float[pixels];
        int total = SampleCount(e);
        // Chunks bound the memory of the perturbed batch; the result does not depend on them.
        int chunk = Math.Max(1, e.Options.MaxBatch * 4);
        for (int start = 0; start < total; start += chunk)
            Accumulate(context, start, Math.Min(chunk, total - start), sum, weight);
        return Finish(context, sum, weight, total);
    }
}

/// <summary>
/// Occlusion (Zeiler and Fergus 2014): a window slid over the input, filled with black; each pixel
/// gets the mean drop of the class probability over the windows that cover it. Signed: a rise
/// means the pixel was evidence against.
/// </summary>
public sealed class Occlusion : SamplingMethod
{
    /// <param name="window">Window side in pixels; 0 for 1/7 of the input's smaller side.</param>
    /// <param name="stride">Step between windows; 0 for half the window.</param>
    public Occlusion(int window = 0, int stride = 0)
    {
        if (window < 0 || stride < 0)
            throw new GlassboxException($"Occlusion window {window} and stride {stride} must be positive (or 0 for the defaults: 1/7 of the input, half the window).");
        Window = window;
        Stride = stride;
    }

    public override string Name => "occlusion";

    public int Window { get; }

    public int Stride { get; }

    public override int SampleCount(Explainer explainer)
    {
        var (window, stride) = Resolve(explainer);
        return Positions(explainer.Height, window, stride).Length * Positions(explainer.Width, window, stride).Length;
    }

    public override void Accumulate(ExplainContext context, int start, int count, Span<float> sum, Span<float> weight)
    {
        var e = context.Explainer;
        var (window, stride) = Resolve(e);
        var rows = Positions(e.Height, window, stride);
        var columns = Positions(e.Width, window, stride);
        int size = e.InputSize, pixels = e.Height * e.Width;
        var batch = new float[count * size];
        for (int s = 0; s < count; s++)
        {
            var sample = batch.AsSpan(s * size, size);
            context.Input.CopyTo(sample);
            var (top, left) = (rows[(start + s) / columns.Length], columns[(start + s) % columns.Length]);
            for (int c = 0; c < e.Channels; c++)
            {
                for (int y = top; y < Math.Min(e.Height, top + window); y++)
                    sample.Slice(c * pixels + y * e.Width + left, Math.Min(window, e.Width - left)).Fill(e.BlackLevel[c]);
            }
        }
        var scores = new float[count];
        context.TargetScores(batch, count, scores, ScoreKind.Probability);
        float original = context.OriginalScore(ScoreKind.Probability);
        for (int s = 0; s < count; s++)
        {
            var (top, left) = (rows[(start + s) / columns.Length], columns[(start + s) % columns.Length]);
            float drop = original - scores[s];
            for (int y = top; y < Math.Min(e.Height, top + window); y++)
            {
                for (int x = left; x < Math.Min(e.Width, left + window); x++)
                {
                    sum[y * e.Width + x] += drop;
                    weight[y * e.Width + x] += 1f;
                }
            }
        }
    }

    public override AttributionMap Finish(ExplainContext context, ReadOnlySpan<float> sum, ReadOnlySpan<float> weight, int samples)
    {
        var e = context.Explainer;
        var map = new float[sum.Length];
        for (int i = 0; i < map.Length; i++)
            map[i] = weight[i] > 0f ? sum[i] / weight[i] : 0f;
        var (window, stride) = Resolve(e);
        return MapOf(context, map, e.Width, e.Height, signed: true) with
        {
            Details = Perturbation.Details(("window", window), ("stride", stride), ("windows", samples)),
        };
    }

    private (int Window, int Stride) Resolve(Explainer e)
    {
        int window = Window > 0 ? Window : Math.Max(1, (int)MathF.Round(Math.Min(e.Height, e.Width) / 7f));
        if (window > Math.Min(e.Height, e.Width))
            throw new GlassboxException($"Occlusion window {window} is larger than the {e.Width}×{e.Height} input; use at most {Math.Min(e.Height, e.Width)}.");
        int stride = Stride > 0 ? Stride : Math.Max(1, window / 2);
        return (window, stride);
    }

    // Window origins from 0 in steps of the stride, plus one flush with the far edge so every pixel is covered.
    private static int[] Positions(int size, int window, int stride)
    {
        var positions = new List<int>();
        for (int p = 0; p + window <= size; p += stride)
            positions.Add(p);
        if (positions[^1] + window < size)
            positions.Add(size - window);
        return positions.ToArray();
    }
}

/// <summary>
/// RISE (Petsiuk et al. 2018): random binary grids of <see cref="GridSize"/>² cells, each kept with
/// probability <see cref="KeepProbability"/>, upsampled bilinearly with a random shift; the map is
/// Σ p(class | masked input) · mask / (N · p). Mask i comes from (seed, i) alone.
/// </summary>
public sealed class Rise : SamplingMethod
{
    public Rise(int masks = 500, int gridSize = 7, float keepProbability = 0.5f, int seed = 0)
    {
        if (masks is < 1 or > 100_000)
            throw new GlassboxException($"RISE mask count is {masks}; use 1 to 100000 (the paper uses 4000 for ImageNet, a few hundred suffice for MNIST).");
        if (gridSize is < 2 or > 64)
            throw new GlassboxException($"RISE grid size is {gridSize}; use 2 to 64 cells a side (the paper uses 7).");
        if (!(keepProbability > 0f && keepProbability < 1f))
            throw new GlassboxException($"RISE keep probability is {keepProbability}; use a value strictly between 0 and 1 (the paper uses 0.5).");
        Masks = masks;
        GridSize = gridSize;
        KeepProbability = keepProbability;
        Seed = seed;
    }

    public override string Name => "rise";

    public int Masks { get; }

    public int GridSize { get; }

    public float KeepProbability { get; }

    public int Seed { get; }

    public override int SampleCount(Explainer explainer) => Masks;

    /// <summary>Mask <paramref name="index"/> at the input's size, values in [0, 1].</summary>
    public void Mask(int index, int width, int height, Span<float> mask)
    {
        int cells = GridSize + 1;
        int cellWidth = (width + GridSize - 1) / GridSize, cellHeight = (height + GridSize - 1) / GridSize;
        var random = new Random(unchecked(Seed * 1_000_003 + index));
        Span<float> grid = stackalloc float[cells * cells];
        for (int i = 0; i < grid.Length; i++)
            grid[i] = random.NextDouble() < KeepProbability ? 1f : 0f;
        int shiftX = random.Next(cellWidth), shiftY = random.Next(cellHeight);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
                mask[y * width + x] = HeatmapOverlay.Sample(grid, cells, cells, cells * cellWidth, cells * cellHeight, x + shiftX, y + shiftY, Upsampling.Bilinear);
        }
    }

    public override void Accumulate(ExplainContext context, int start, int count, Span<float> sum, Span<float> weight)
    {
        var e = context.Explainer;
        int size = e.InputSize, pixels = e.Height * e.Width;
        var masks = new float[count * pixels];
        var batch = new float[count * size];
        for (int s = 0; s < count; s++)
        {
            var mask = masks.AsSpan(s * pixels, pixels);
            Mask(start + s, e.Width, e.Height, mask);
            Perturbation.Blend(context.Input, e.BlackLevel, mask, batch.AsSpan(s * size, size), pixels);
        }
        var scores = new float[count];
        context.TargetScores(batch, count, scores, ScoreKind.Probability);
        for (int s = 0; s < count; s++)
        {
            var mask = masks.AsSpan(s * pixels, pixels);
            for (int i = 0; i < pixels; i++)
                sum[i] += scores[s] * mask[i];
        }
    }

    public override AttributionMap Finish(ExplainContext context, ReadOnlySpan<float> sum, ReadOnlySpan<float> weight, int samples)
    {
        var e = context.Explainer;
        var map = new float[sum.Length];
        float scale = 1f / (samples * KeepProbability);
        for (int i = 0; i < map.Length; i++)
            map[i] = sum[i] * scale;
        return MapOf(context, map, e.Width, e.Height, seed: Seed) with
        {
            Details = Perturbation.Details(("masks", samples), ("grid", GridSize), ("keep_probability", KeepProbability)),
        };
    }
}
