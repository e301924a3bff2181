using System.Collections.Immutable;
using System.Globalization;

namespace Glassbox.Explain.Methods;

/// <summary>Moves inputs towards black under a mask: x' = black + m · (x − black), per channel.</summary>
internal static class Perturbation
{
    public static void Blend(ReadOnlySpan<float> input, ReadOnlySpan<float> black, ReadOnlySpan<float> mask, Span<float> destination, int pixels)
    {
        for (int c = 0; c < black.Length; c++)
        {
            float b = black[c];
            var source = input.Slice(c * pixels, pixels);
            var target = destination.Slice(c * pixels, pixels);
            for (int i = 0; i < pixels; i++)
                target[i] = b + mask[i] * (source[i] - b);
        }
    }

    public static void Fill(ReadOnlySpan<float> black, Span<float> destination, int pixels)
    {
        for (int c = 0; c < black.Length; c++)
            destination.Slice(c * pixels, pixels).Fill(black[c]);
    }

    public static ImmutableDictionary<string, string> Details(params (string Key, object Value)[] values) =>
        values.ToImmutableDictionary(v => v.Key, v => Convert.ToString(v.Value, CultureInfo.InvariantCulture) ?? "");
}
