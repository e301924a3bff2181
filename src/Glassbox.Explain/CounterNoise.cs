using Glassbox.Onnx;

namespace Glassbox.Explain;

/// <summary>
/// Gaussian noise as a pure function of (seed, position), written once in C# and once as standard ONNX ops, so an
/// exported explainer draws the noise the library draws from the same seed. A sequential generator (System.Random)
/// cannot be written as a graph; a counter-based one can: each value depends on its own index only.
/// <para>The hash uses 64-bit integer multiply, add and modulo alone (ONNX has no bitwise xor before opset 18):
/// modulo the prime p = 2³¹ − 1, a Lehmer step mixes in the seed, then squaring rounds (x² + c mod p, the
/// pseudo-random map of Pollard's rho) break the linearity between neighbouring counters. Every product stays below
/// 2⁶², so C# and every ONNX runtime compute the same integers. Two uniforms in (0, 1] become one standard normal
/// value by Box–Muller; its float Log, Sqrt and Cos may differ between runtimes in the last bit.</para>
/// </summary>
internal static class CounterNoise
{
    private const long Prime = 2147483647;

    /// <summary>Counters must stay below 2³⁰ (each value reads two).</summary>
    public const long MaxCount = 1L << 30;

    private const float TwoPi = 6.2831855f;
    private const float UnitScale = 1f / 2147483648f;

    /// <summary>The standard normal value at <paramref name="index"/> of the stream <paramref name="seed"/>.</summary>
    public static float Gaussian(long seed, long index)
    {
        float u1 = Uniform(seed, 2 * index), u2 = Uniform(seed, 2 * index + 1);
        return MathF.Sqrt(MathF.Log(u1) * -2f) * MathF.Cos(u2 * TwoPi);
    }

    /// <summary>Fills <paramref name="values"/> with the stream's values at <paramref name="first"/>, first + 1, ….</summary>
    public static void FillGaussian(long seed, long first, Span<float> values)
    {
        if (first < 0 || first + values.Length > MaxCount)
            throw new GlassboxException($"Noise positions {first}…{first + values.Length} reach past {MaxCount}; use fewer samples or a smaller input.");
        for (int i = 0; i < values.Length; i++)
            values[i] = Gaussian(seed, first + i);
    }

    private static float Uniform(long seed, long counter) => ((float)Hash(seed, counter) + 0.5f) * UnitScale;

    private static long Hash(long seed, long counter)
    {
        long s = (seed % Prime + Prime) % Prime;
        long h = counter % Prime;
        h = (h * 48271 + s) % Prime;
        h = (h * h + 1013904223) % Prime;
        h = (h * 16807 + s + 1) % Prime;
        h = (h * h + 362436069) % Prime;
        h = (h * h + 521288629) % Prime;
        return h;
    }

    /// <summary>
    /// The same values as graph nodes: <paramref name="count"/> of them from position 0 of the stream seeded by the
    /// int64 tensor <paramref name="seed"/> (shape [1]), as a float tensor of shape [count].
    /// </summary>
    public static string GaussianGraph(OnnxGraphBuilder b, string seed, long count)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (count < 1 || count > MaxCount)
            throw new GlassboxException($"{count} noise values do not fit one stream (at most {MaxCount}); use fewer samples or a smaller input.");
        string prime = b.Int64s(Prime);
        string Mod(string x) => b.Op("Mod", x, prime);
        string s = Mod(b.Op("Add", Mod(seed), prime));
        string Scalar(long value) => b.Op("Squeeze", b.Int64s(value));
        string index = b.Op("Range", Scalar(0), Scalar(count), Scalar(1));
        string twice = b.Op("Mul", index, b.Int64s(2));
        string Uniform(string counter)
        {
            string h = Mod(counter);
            h = Mod(b.Op("Add", b.Op("Mul", h, b.Int64s(48271)), s));
            h = Mod(b.Op("Add", b.Op("Mul", h, h), b.Int64s(1013904223)));
            h = Mod(b.Op("Add", b.Op("Add", b.Op("Mul", h, b.Int64s(16807)), s), b.Int64s(1)));
            h = Mod(b.Op("Add", b.Op("Mul", h, h), b.Int64s(362436069)));
            h = Mod(b.Op("Add", b.Op("Mul", h, h), b.Int64s(521288629)));
            string asFloat = b.Op("Cast", [h], OnnxAttribute.Int("to", 1));
            return b.Op("Mul", b.Op("Add", asFloat, b.Float(0.5f)), b.Float(UnitScale));
        }
        string u1 = Uniform(twice), u2 = Uniform(b.Op("Add", twice, b.Int64s(1)));
        return b.Op("Mul", b.Op("Sqrt", b.Op("Mul", b.Op("Log", u1), b.Float(-2f))), b.Op("Cos", b.Op("Mul", u2, b.Float(TwoPi))));
    }
}
