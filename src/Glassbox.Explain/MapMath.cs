using Glassbox.Visualisation;

namespace Glassbox.Explain;

/// <summary>Small numeric helpers shared by the methods and metrics.</summary>
internal static class MapMath
{
    /// <summary>Softmax with the maximum subtracted first, so large logits do not overflow.</summary>
    public static void Softmax(ReadOnlySpan<float> logits, Span<float> probabilities)
    {
        float max = float.NegativeInfinity;
        foreach (float v in logits)
            max = MathF.Max(max, v);
        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
            sum += probabilities[i] = MathF.Exp(logits[i] - max);
        for (int i = 0; i < logits.Length; i++)
            probabilities[i] = (float)(probabilities[i] / sum);
    }

    /// <summary>Bilinear resampling with pixel centres aligned and edges clamped (the overlay's own sampling).</summary>
    public static float[] Resample(ReadOnlySpan<float> map, int width, int height, int toWidth, int toHeight)
    {
        if (map.Length != width * height)
            throw new ArgumentException($"A {width}×{height} map has {width * height} values, not {map.Length}.");
        var result = new float[toWidth * toHeight];
        if (width == toWidth && height == toHeight)
        {
            map.CopyTo(result);
            return result;
        }
        for (int y = 0; y < toHeight; y++)
        {
            for (int x = 0; x < toWidth; x++)
                result[y * toWidth + x] = HeatmapOverlay.Sample(map, width, height, toWidth, toHeight, x, y, Upsampling.Bilinear);
        }
        return result;
    }

    /// <summary>Values scaled to [0, 1] by their minimum and maximum; all zero when they are all equal.</summary>
    public static float[] MinMaxNormalised(ReadOnlySpan<float> values)
    {
        var result = new float[values.Length];
        if (values.IsEmpty)
            return result;
        var (min, max) = FeatureAtlas.MinMax(values);
        float range = max - min;
        if (!(range > 0f))
            return result;
        for (int i = 0; i < values.Length; i++)
            result[i] = (values[i] - min) / range;
        return result;
    }

    public static void Relu(Span<float> values)
    {
        for (int i = 0; i < values.Length; i++)
            values[i] = MathF.Max(0f, values[i]);
    }

    /// <summary>Σ_c weight[c] · activations[c] over a [channels, plane] tensor.</summary>
    public static float[] WeightedSum(ReadOnlySpan<float> activations, ReadOnlySpan<float> weights, int plane)
    {
        var result = new float[plane];
        for (int c = 0; c < weights.Length; c++)
        {
            float w = weights[c];
            if (w == 0f)
                continue;
            var channel = activations.Slice(c * plane, plane);
            for (int i = 0; i < plane; i++)
                result[i] += w * channel[i];
        }
        return result;
    }

    /// <summary>
    /// Pixel indices ordered from the highest value to the lowest; equal values keep index order,
    /// so the order is the same on every machine.
    /// </summary>
    public static int[] OrderDescending(ReadOnlySpan<float> values)
    {
        var keys = values.ToArray();
        var order = Enumerable.Range(0, keys.Length).ToArray();
        Array.Sort(order, (a, b) =>
        {
            int byValue = keys[b].CompareTo(keys[a]);
            return byValue != 0 ? byValue : a.CompareTo(b);
        });
        return order;
    }

    /// <summary>Trapezoidal area under equally spaced points on [0, 1].</summary>
    public static double AreaUnderCurve(ReadOnlySpan<float> points)
    {
        if (points.Length < 2)
            return points.Length == 1 ? points[0] : 0;
        double area = 0;
        for (int i = 1; i < points.Length; i++)
            area += (points[i - 1] + points[i]) * 0.5;
        return area / (points.Length - 1);
    }

    /// <summary>Separable Gaussian blur of each channel of a [channels, height, width] image, edges clamped.</summary>
    public static float[] GaussianBlur(ReadOnlySpan<float> image, int channels, int height, int width, float sigma)
    {
        int radius = Math.Max(1, (int)MathF.Ceiling(3f * sigma));
        var kernel = new float[2 * radius + 1];
        float total = 0f;
        for (int i = -radius; i <= radius; i++)
            total += kernel[i + radius] = MathF.Exp(-0.5f * i * i / (sigma * sigma));
        for (int i = 0; i < kernel.Length; i++)
            kernel[i] /= total;
        var temp = new float[image.Length];
        var result = new float[image.Length];
        int plane = height * width;
        for (int c = 0; c < channels; c++)
        {
            int o = c * plane;
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    float sum = 0f;
                    for (int k = -radius; k <= radius; k++)
                        sum += kernel[k + radius] * image[o + y * width + Math.Clamp(x + k, 0, width - 1)];
                    temp[o + y * width + x] = sum;
                }
            }
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    float sum = 0f;
                    for (int k = -radius; k <= radius; k++)
                        sum += kernel[k + radius] * temp[o + Math.Clamp(y + k, 0, height - 1) * width + x];
                    result[o + y * width + x] = sum;
                }
            }
        }
        return result;
    }
}
