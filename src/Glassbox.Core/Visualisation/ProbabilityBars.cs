namespace Glassbox.Visualisation;

/// <summary>Settings for class-probability bars.</summary>
public sealed record ProbabilityBarsOptions
{
    public static ProbabilityBarsOptions Default { get; } = new();

    public int RowHeight { get; init; } = 18;
    public int LabelWidth { get; init; } = 28;
    public int BarWidth { get; init; } = 160;
    public int Gap { get; init; } = 4;
    public uint Background { get; init; } = 0xFF181818;
    public uint Bar { get; init; } = 0xFF8A6A3C;
    /// <summary>Colour of the most probable class's bar.</summary>
    public uint TopBar { get; init; } = 0xFF2FB5F0;
    public uint Track { get; init; } = 0xFF303030;
    public uint Text { get; init; } = 0xFFE8E8E8;
}

/// <summary>Class probabilities as labelled horizontal bars, written into a <see cref="DrawList"/>.</summary>
internal static class ProbabilityBars
{
    /// <summary>Adds one row per class at (x, y); returns the size the bars take.</summary>
    public static (int Width, int Height) Draw(DrawList list, BakedFont font, IReadOnlyList<string> labels, ReadOnlySpan<float> probabilities,
                                               int x, int y, ProbabilityBarsOptions options)
    {
        if (labels.Count != probabilities.Length)
            throw new ArgumentException($"{labels.Count} labels for {probabilities.Length} probabilities.");
        int top = 0;
        for (int i = 1; i < probabilities.Length; i++)
        {
            if (probabilities[i] > probabilities[top])
                top = i;
        }
        int valueWidth = (int)MathF.Ceiling(font.Measure("100%")) + options.Gap;
        int width = options.Gap + options.LabelWidth + options.BarWidth + options.Gap + valueWidth;
        int height = labels.Count * options.RowHeight + options.Gap;
        list.Fill(new PixelRect(x, y, width, height), options.Background);
        float baselineOffset = (options.RowHeight + font.PixelHeight * 0.7f) / 2f;
        for (int i = 0; i < labels.Count; i++)
        {
            int rowY = y + options.Gap / 2 + i * options.RowHeight;
            float p = Math.Clamp(float.IsNaN(probabilities[i]) ? 0f : probabilities[i], 0f, 1f);
            int barX = x + options.Gap + options.LabelWidth;
            var track = new PixelRect(barX, rowY + 2, options.BarWidth, options.RowHeight - 4);
            list.Fill(track, options.Track);
            list.Fill(track with { Width = (int)MathF.Round(p * options.BarWidth) }, i == top ? options.TopBar : options.Bar);
            list.Text(font, labels[i], x + options.Gap, rowY + baselineOffset, options.Text);
            list.Text(font, $"{MathF.Round(p * 100f):0}%", barX + options.BarWidth + options.Gap, rowY + baselineOffset, options.Text);
        }
        return (width, height);
    }
}
