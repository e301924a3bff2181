namespace Glassbox.Onnx;

/// <summary>Counts of values in equal-width bins from <see cref="Low"/> to <see cref="High"/> (the last bin includes High).</summary>
public sealed record Histogram(float Low, float High, long[] Counts)
{
    public float BinWidth => Counts.Length == 0 ? 0f : (High - Low) / Counts.Length;
}

/// <summary>
/// What one parameter tensor holds: its size, range, mean and standard deviation (population, over every value), the
/// fraction of values near zero (|v| ≤ 1% of the tensor's largest |v|, a scale-free test: pruned or collapsed weights
/// show up whatever the layer's scale) and a histogram.
/// </summary>
public sealed record TensorStatistics(string Name, string Role, TensorShape Shape, long Count, float Min, float Max, double Mean, double StandardDeviation,
                                      double NearZeroFraction, Histogram Histogram)
{
    /// <summary>The share of a tensor's largest |value| at or below which a value counts as near zero.</summary>
    public const float NearZeroShare = 0.01f;
}

/// <summary>
/// The parameters of one layer (a node that reads float initializers): its weights and bias by role, the L2 norm of
/// each output channel's weights (a dead filter stands out as a norm near zero), and its parameter count.
/// </summary>
public sealed record LayerParameters(string Node, string OpType, string Output, long ParameterCount, IReadOnlyList<TensorStatistics> Tensors, float[]? OutputChannelNorms)
{
    public TensorStatistics? Weights => Tensors.FirstOrDefault(t => t.Role == "weight");

    public TensorStatistics? Bias => Tensors.FirstOrDefault(t => t.Role == "bias");

    /// <summary>Output channels whose weight norm is at most 1% of the median channel's: filters that pass (almost) nothing.</summary>
    public int[] DeadChannels()
    {
        if (OutputChannelNorms is not { Length: > 0 } norms)
            return [];
        var sorted = norms.Order().ToArray();
        float median = sorted[sorted.Length / 2];
        return [.. Enumerable.Range(0, norms.Length).Where(c => norms[c] <= 0.01f * median)];
    }
}

/// <summary>Statistics of every layer's parameters, in graph order: what Netron and TensorBoard show of weights, computed from the file.</summary>
public static class ParameterStatistics
{
    /// <param name="bins">Histogram bins per tensor.</param>
    public static IReadOnlyList<LayerParameters> Of(OnnxModel model, int bins = 32)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (bins < 1)
            throw new ArgumentOutOfRangeException(nameof(bins), bins, "Use at least one bin.");
        var shapes = model.Initializers.ToDictionary(i => i.Name, i => i, StringComparer.Ordinal);
        var layers = new List<LayerParameters>();
        foreach (var node in model.Proto.Graph.Node)
        {
            var tensors = new List<TensorStatistics>();
            float[]? norms = null;
            for (int i = 0; i < node.Input.Count; i++)
            {
                string input = node.Input[i];
                if (!shapes.TryGetValue(input, out var info) || info.ElementType != TensorElementType.Float32 || model.InitializerValues(input) is not { Length: > 0 } values)
                    continue;
                string role = RoleOf(node.OpType, i);
                tensors.Add(Describe(input, role, info.Shape, values, bins));
                if (role == "weight")
                    norms = ChannelNorms(node.OpType, info.Shape, values, i, Graph.Attr.Int(node, "transB", 0) != 0);
            }
            if (tensors.Count > 0)
                layers.Add(new LayerParameters(node.Name, node.OpType, node.Output[0], tensors.Sum(t => t.Count), tensors, norms));
        }
        return layers;
    }

    private static string RoleOf(string op, int input) => (op, input) switch
    {
        ("Conv" or "ConvTranspose" or "Gemm", 1) => "weight",
        ("Conv" or "ConvTranspose" or "Gemm", 2) => "bias",
        ("MatMul", 0 or 1) => "weight",
        ("BatchNormalization", 1) => "scale",
        ("BatchNormalization", 2) => "bias",
        ("BatchNormalization", 3) => "running mean",
        ("BatchNormalization", 4) => "running variance",
        ("LayerNormalization" or "InstanceNormalization" or "GroupNormalization", 1) => "scale",
        ("LayerNormalization" or "InstanceNormalization" or "GroupNormalization", 2) => "bias",
        ("PRelu", 1) => "slope",
        ("Add", _) => "bias",
        _ => $"input {input}",
    };

    /// <summary>
    /// Per output channel, the L2 norm of its weights: Conv [out, in/g, k…] by the first axis, ConvTranspose [in, out/g,
    /// k…] by the second (groups of 1), Gemm and MatMul by the output columns ([in, out] as stored for MatMul's right
    /// side and Gemm without transB, [out, in] with it).
    /// </summary>
    private static float[]? ChannelNorms(string op, TensorShape shape, float[] values, int input, bool transposedB)
    {
        if (shape.Rank < 2 || !shape.IsFullyKnown)
            return null;
        long first = shape[0], rest = values.Length / first;
        switch (op)
        {
            case "Conv":
                return [.. Enumerable.Range(0, (int)first).Select(o => Norm(values.AsSpan((int)(o * rest), (int)rest)))];
            case "ConvTranspose":
            {
                long outputs = shape[1], kernel = rest / outputs;
                var sums = new double[outputs];
                for (long i = 0; i < first; i++)
                    for (long o = 0; o < outputs; o++)
                        sums[o] += SumOfSquares(values.AsSpan((int)((i * outputs + o) * kernel), (int)kernel));
                return [.. sums.Select(s => (float)Math.Sqrt(s))];
            }
            case "Gemm" or "MatMul" when shape.Rank == 2:
            {
                // Stored [in, out] (MatMul's right side, Gemm without transB) unless it is Gemm's B transposed or MatMul's left side.
                bool rowsAreOutputs = op == "MatMul" ? input == 0 : transposedB;
                long rows = shape[0], columns = shape[1];
                var sums = new double[rowsAreOutputs ? rows : columns];
                for (long r = 0; r < rows; r++)
                    for (long c = 0; c < columns; c++)
                        sums[rowsAreOutputs ? r : c] += (double)values[r * columns + c] * values[r * columns + c];
                return [.. sums.Select(s => (float)Math.Sqrt(s))];
            }
            default:
                return null;
        }
    }

    private static double SumOfSquares(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float v in values)
            sum += (double)v * v;
        return sum;
    }

    private static float Norm(ReadOnlySpan<float> values) => (float)Math.Sqrt(SumOfSquares(values));

    private static TensorStatistics Describe(string name, string role, TensorShape shape, float[] values, int bins)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity, largest = 0f;
        double sum = 0;
        foreach (float v in values)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
            largest = Math.Max(largest, Math.Abs(v));
            sum += v;
        }
        double mean = sum / values.Length, squares = 0;
        long nearZero = 0;
        var counts = new long[bins];
        float width = (max - min) / bins;
        foreach (float v in values)
        {
            squares += (v - mean) * (v - mean);
            if (Math.Abs(v) <= TensorStatistics.NearZeroShare * largest)
                nearZero++;
            int bin = width > 0 ? Math.Min(bins - 1, (int)((v - min) / width)) : 0;
            counts[bin]++;
        }
        return new TensorStatistics(name, role, shape, values.Length, min, max, mean, Math.Sqrt(squares / values.Length), (double)nearZero / values.Length,
            new Histogram(min, max, counts));
    }
}
