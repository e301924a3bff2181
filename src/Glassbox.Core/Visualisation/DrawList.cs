using System.Collections.Immutable;

namespace Glassbox.Visualisation;

/// <summary>An axis-aligned rectangle of whole pixels; (X, Y) is its top-left corner, row 0 at the top.</summary>
public readonly record struct PixelRect(int X, int Y, int Width, int Height)
{
    public int Right => X + Width;
    public int Bottom => Y + Height;
}

/// <summary>A font rasterised once into an 8-bit coverage atlas (stb_truetype's baker) with per-glyph metrics.</summary>
public sealed class BakedFont
{
    public BakedFont(float pixelHeight, int atlasWidth, int atlasHeight, byte[] coverage, int firstCharacter, ImmutableArray<BakedGlyph> glyphs)
    {
        if (coverage.Length != atlasWidth * atlasHeight)
            throw new ArgumentException($"{coverage.Length} coverage bytes for a {atlasWidth}×{atlasHeight} atlas.");
        PixelHeight = pixelHeight;
        AtlasWidth = atlasWidth;
        AtlasHeight = atlasHeight;
        Coverage = coverage;
        FirstCharacter = firstCharacter;
        Glyphs = glyphs;
    }

    public float PixelHeight { get; }
    public int AtlasWidth { get; }
    public int AtlasHeight { get; }

    /// <summary>AtlasWidth × AtlasHeight coverage values, row 0 at the top.</summary>
    public byte[] Coverage { get; }

    public int FirstCharacter { get; }
    public ImmutableArray<BakedGlyph> Glyphs { get; }

    /// <summary>The glyph for a character, or the '?' glyph when the font was not baked with it.</summary>
    public BakedGlyph GlyphFor(char c)
    {
        int index = c - FirstCharacter;
        if (index < 0 || index >= Glyphs.Length)
            index = '?' - FirstCharacter;
        return Glyphs[index];
    }

    /// <summary>Width in pixels of a line of text.</summary>
    public float Measure(string text) => text.Sum(c => GlyphFor(c).Advance);
}

/// <summary>Where a glyph sits in the atlas and how it is placed relative to the pen.</summary>
public readonly record struct BakedGlyph(int X0, int Y0, int X1, int Y1, float OffsetX, float OffsetY, float Advance);

/// <summary>One thing to draw; see <see cref="DrawList"/>.</summary>
public abstract record DrawCommand;

/// <summary>A solid rectangle; colours with alpha below 255 blend over what is there.</summary>
public sealed record FillCommand(PixelRect Rect, uint Color) : DrawCommand;

/// <summary>Image number <see cref="Image"/> scaled (nearest neighbour) into a rectangle, replacing what is there.</summary>
public sealed record ImageCommand(PixelRect Destination, int Image) : DrawCommand;

/// <summary>Part of the font atlas, tinted and blended by its coverage, at 1:1 scale.</summary>
public sealed record GlyphCommand(PixelRect Destination, int SourceX, int SourceY, uint Color) : DrawCommand;

/// <summary>
/// 2D drawing as a list of commands, so one list is drawn both by the CPU reference
/// (<see cref="DrawListRasterizer"/>) and by the GPU renderer, which must agree within 1 LSB.
/// </summary>
public sealed class DrawList
{
    private readonly List<DrawCommand> _commands = [];

    public IReadOnlyList<DrawCommand> Commands => _commands;

    public void Clear() => _commands.Clear();

    public void Fill(PixelRect rect, uint color)
    {
        if (rect.Width > 0 && rect.Height > 0)
            _commands.Add(new FillCommand(rect, color));
    }

    public void Image(PixelRect destination, int image)
    {
        if (destination.Width > 0 && destination.Height > 0)
            _commands.Add(new ImageCommand(destination, image));
    }

    /// <summary>Lays out one line of text with its baseline at <paramref name="baselineY"/>; returns the pen position after it.</summary>
    public float Text(BakedFont font, string text, float x, float baselineY, uint color)
    {
        foreach (char c in text)
        {
            var g = font.GlyphFor(c);
            // stb_truetype's GetBakedQuad with integer alignment: round the glyph origin to whole pixels.
            int x0 = (int)MathF.Floor(x + g.OffsetX + 0.5f);
            int y0 = (int)MathF.Floor(baselineY + g.OffsetY + 0.5f);
            if (g.X1 > g.X0 && g.Y1 > g.Y0)
                _commands.Add(new GlyphCommand(new PixelRect(x0, y0, g.X1 - g.X0, g.Y1 - g.Y0), g.X0, g.Y0, color));
            x += g.Advance;
        }
        return x;
    }
}

/// <summary>CPU reference renderer of a <see cref="DrawList"/>; also usable where no GPU is available.</summary>
public static class DrawListRasterizer
{
    public static void Render(DrawList list, RgbaImage target, IReadOnlyList<RgbaImage> images, BakedFont? font)
    {
        foreach (var command in list.Commands)
        {
            switch (command)
            {
                case FillCommand fill:
                    ForEachPixel(target, fill.Rect, (x, y) => target[x, y] = BlendOver(target[x, y], fill.Color, (fill.Color >> 24) / 255f));
                    break;
                case ImageCommand draw:
                    var image = images[draw.Image];
                    var d = draw.Destination;
                    ForEachPixel(target, d, (x, y) =>
                    {
                        int sx = (int)((2L * (x - d.X) + 1) * image.Width / (2L * d.Width));
                        int sy = (int)((2L * (y - d.Y) + 1) * image.Height / (2L * d.Height));
                        target[x, y] = image[sx, sy];
                    });
                    break;
                case GlyphCommand glyph:
                    if (font is null)
                        throw new InvalidOperationException("The list draws text but no font was given.");
                    var g = glyph.Destination;
                    ForEachPixel(target, g, (x, y) =>
                    {
                        float coverage = font.Coverage[(glyph.SourceY + y - g.Y) * font.AtlasWidth + glyph.SourceX + x - g.X] / 255f;
                        target[x, y] = BlendOver(target[x, y], glyph.Color, coverage * ((glyph.Color >> 24) / 255f));
                    });
                    break;
            }
        }
    }

    /// <summary>source·α + destination·(1 − α) per colour channel, rounded to nearest; destination alpha is kept.</summary>
    public static uint BlendOver(uint destination, uint source, float alpha)
    {
        if (alpha >= 1f)
            return (source & 0x00FFFFFFu) | (destination & 0xFF000000u);
        uint Channel(int shift)
        {
            float mixed = ((source >> shift) & 0xFF) / 255f * alpha + ((destination >> shift) & 0xFF) / 255f * (1f - alpha);
            return (uint)MathF.Floor(mixed * 255f + 0.5f) << shift;
        }
        return Channel(0) | Channel(8) | Channel(16) | (destination & 0xFF000000u);
    }

    private static void ForEachPixel(RgbaImage target, PixelRect rect, Action<int, int> draw)
    {
        int x0 = Math.Max(0, rect.X), y0 = Math.Max(0, rect.Y);
        int x1 = Math.Min(target.Width, rect.Right), y1 = Math.Min(target.Height, rect.Bottom);
        for (int y = y0; y < y1; y++)
        {
            for (int x = x0; x < x1; x++)
                draw(x, y);
        }
    }
}
