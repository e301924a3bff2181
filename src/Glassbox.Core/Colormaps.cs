namespace Glassbox;

/// <summary>The colour scales Glassbox draws maps with.</summary>
public enum ColormapKind
{
    Viridis,
    Inferno,
    Magma,
    Turbo,
    Grayscale,
    /// <summary>Blue below the midpoint, white at it, red above: for signed maps (gradient × input) normalised so 0 sits at 0.5.</summary>
    Diverging,
}

/// <summary>
/// 256-entry colour tables (sampled from matplotlib by tools/colormaps/generate.py) and the one rule
/// that maps a value in [0, 1] to an entry; the GPU passes use the same tables and the same rule.
/// </summary>
public static partial class Colormaps
{
    public const int Size = 256;

    private static readonly byte[] GrayRgb = Enumerable.Range(0, Size).SelectMany(i => new[] { (byte)i, (byte)i, (byte)i }).ToArray();

    /// <summary>Table entry for <paramref name="t"/>: round(t · 255), clamped to [0, 255]; NaN gives 0.</summary>
    public static int IndexOf(float t)
    {
        if (float.IsNaN(t))
            return 0;
        float scaled = MathF.Floor(t * 255f + 0.5f);
        return scaled <= 0f ? 0 : scaled >= 255f ? 255 : (int)scaled;
    }

    /// <summary>The table as 256 RGB triples.</summary>
    public static ReadOnlySpan<byte> Rgb(ColormapKind kind) => kind switch
    {
        ColormapKind.Viridis => ViridisRgb,
        ColormapKind.Inferno => InfernoRgb,
        ColormapKind.Magma => MagmaRgb,
        ColormapKind.Turbo => TurboRgb,
        ColormapKind.Grayscale => GrayRgb,
        ColormapKind.Diverging => DivergingRgb,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Entry <paramref name="index"/> as an opaque RGBA8 pixel packed little-endian (R in the low byte).</summary>
    public static uint PackedRgba(ColormapKind kind, int index)
    {
        var rgb = Rgb(kind);
        return rgb[index * 3] | (uint)rgb[index * 3 + 1] << 8 | (uint)rgb[index * 3 + 2] << 16 | 0xFF000000u;
    }

    /// <summary>The whole table packed as RGBA8, for upload to the GPU.</summary>
    public static uint[] PackedTable(ColormapKind kind) => Enumerable.Range(0, Size).Select(i => PackedRgba(kind, i)).ToArray();

    /// <summary>Parses a name such as "viridis" or "turbo", case-insensitively.</summary>
    public static ColormapKind Parse(string name) =>
        Enum.TryParse<ColormapKind>(name.Trim(), ignoreCase: true, out var kind) && Enum.IsDefined(kind)
            ? kind
            : throw new GlassboxException($"Unknown colormap '{name}'. Use one of: {string.Join(", ", Enum.GetNames<ColormapKind>().Select(n => n.ToLowerInvariant()))}.");
}
