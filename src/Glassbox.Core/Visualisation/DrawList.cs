using System.Collections.Immutable;

namespace Glassbox.Visualisation;

/// <summary>An axis-aligned rectangle of whole pixels; (X, Y) is its top-left corner, row 0 at the top.</summary>
internal readonly record struct PixelRect(int X, int Y, int Width, int Height)
{
    public int Right => X + Width;
    public int Bottom => Y + Height;
}

/// <summary>
/// A font rasterised once into an 8-bit coverage atlas (stb_truetype's baker) with per-glyph metrics.
/// <see cref="Default"/> ships pre-baked, so drawing text on the CPU needs no native library and no font file.
/// </summary>
public sealed class BakedFont
{
    public BakedFont(float pixelHeight, int atlasWidth, int atlasHeight, byte[] coverage, int firstCharacter, ImmutableArray<BakedGlyph> glyphs, string source = "")
    {
        if (coverage.Length != atlasWidth * atlasHeight)
            throw new ArgumentException($"{coverage.Length} coverage bytes for a {atlasWidth}×{atlasHeight} atlas.");
        PixelHeight = pixelHeight;
        AtlasWidth = atlasWidth;
        AtlasHeight = atlasHeight;
        Coverage = coverage;
        FirstCharacter = firstCharacter;
        Glyphs = glyphs;
        Source = source;
    }

    private static readonly Lazy<BakedFont> DefaultFont = new(() =>
    {
        using var stream = typeof(BakedFont).Assembly.GetManifestResourceStream(DefaultFontResource)
            ?? throw new GlassboxException($"The default font ({DefaultFontResource}) is missing from {typeof(BakedFont).Assembly.GetName().Name}; the build is incomplete.");
        return BakedFontFile.Read(stream, DefaultFontResource);
    });

    private const string DefaultFontResource = "Glassbox.DefaultFont.gbfont";

    /// <summary>
    /// DejaVu Sans at 16 px, the font the demo, the kiosk and the embedding example draw with, baked by
    /// tools/bake-default-font.sh and shipped inside this assembly.
    /// </summary>
    public static BakedFont Default => DefaultFont.Value;

    /// <summary>Where the atlas came from (font file and its SHA-256), or empty.</summary>
    public string Source { get; }

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

internal enum DrawCommandKind : byte
{
    /// <summary>A solid rectangle; colours with alpha below 255 blend over what is there.</summary>
    Fill,

    /// <summary>Image number <see cref="DrawCommand.Image"/> scaled (nearest neighbour) into the rectangle, replacing what is there.</summary>
    Image,

    /// <summary>Part of the font atlas at (<see cref="DrawCommand.SourceX"/>, <see cref="DrawCommand.SourceY"/>), tinted and blended by its coverage, at 1:1 scale.</summary>
    Glyph,
}

/// <summary>
/// One thing to draw; see <see cref="DrawList"/>. A value, so recording a frame (a command per glyph)
/// allocates nothing once the list has grown to a frame's size.
/// </summary>
/// <param name="Rect">Where it lands.</param>
internal readonly record struct DrawCommand(DrawCommandKind Kind, PixelRect Rect, uint Color = 0, int Image = 0, int SourceX = 0, int SourceY = 0);

/// <summary>
/// 2D drawing as a list of commands, so one list is drawn both by the CPU reference
/// (<see cref="DrawListRasterizer"/>) and by the GPU renderer, which must agree within 1 LSB.
/// </summary>
internal sealed class DrawList
{
    private readonly List<DrawCommand> _commands = [];

    public IReadOnlyList<DrawCommand> Commands => _commands;

    public void Clear() => _commands.Clear();

    public void Fill(PixelRect rect, uint color)
    {
        if (rect.Width > 0 && rect.Height > 0)
            _commands.Add(new DrawCommand(DrawCommandKind.Fill, rect, color));
    }

    public void Image(PixelRect destination, int image)
    {
        if (destination.Width > 0 && destination.Height > 0)
            _commands.Add(new DrawCommand(DrawCommandKind.Image, destination, Image: image));
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
                _commands.Add(new DrawCommand(DrawCommandKind.Glyph, new PixelRect(x0, y0, g.X1 - g.X0, g.Y1 - g.Y0), color, SourceX: g.X0, SourceY: g.Y0));
            x += g.Advance;
        }
        return x;
    }
}

/// <summary>CPU reference renderer of a <see cref="DrawList"/>; also usable where no GPU is available.</summary>
internal static class DrawListRasterizer
{
    public static void Render(DrawList list, RgbaImage target, IReadOnlyList<RgbaImage> images, BakedFont? font)
    {
        // Plain loops over each command's clipped rectangle: a headless live loop draws every frame with this.
        var commands = list.Commands;
        for (int i = 0; i < commands.Count; i++)
        {
            var command = commands[i];
            var r = command.Rect;
            int x0 = Math.Max(0, r.X), y0 = Math.Max(0, r.Y);
            int x1 = Math.Min(target.Width, r.Right), y1 = Math.Min(target.Height, r.Bottom);
            switch (command.Kind)
            {
                case DrawCommandKind.Fill:
                    float alpha = (command.Color >> 24) / 255f;
                    for (int y = y0; y < y1; y++)
                    {
                        for (int x = x0; x < x1; x++)
                            target[x, y] = BlendOver(target[x, y], command.Color, alpha);
                    }
                    break;
                case DrawCommandKind.Image:
                    var image = images[command.Image];
                    for (int y = y0; y < y1; y++)
                    {
                        int sy = (int)((2L * (y - r.Y) + 1) * image.Height / (2L * r.Height));
                        for (int x = x0; x < x1; x++)
                        {
                            int sx = (int)((2L * (x - r.X) + 1) * image.Width / (2L * r.Width));
                            target[x, y] = image[sx, sy];
                        }
                    }
                    break;
                case DrawCommandKind.Glyph:
                    if (font is null)
                        throw new InvalidOperationException("The list draws text but no font was given.");
                    float glyphAlpha = (command.Color >> 24) / 255f;
                    for (int y = y0; y < y1; y++)
                    {
                        for (int x = x0; x < x1; x++)
                        {
                            float coverage = font.Coverage[(command.SourceY + y - r.Y) * font.AtlasWidth + command.SourceX + x - r.X] / 255f;
                            target[x, y] = BlendOver(target[x, y], command.Color, coverage * glyphAlpha);
                        }
                    }
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
}
