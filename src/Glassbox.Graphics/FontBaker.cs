using System.Collections.Immutable;
using Glassbox.Graphics.Native;
using Glassbox.Visualisation;

namespace Glassbox.Graphics;

/// <summary>Rasterises a TrueType font into a <see cref="BakedFont"/> (printable ASCII and Latin-1) with stb_truetype.</summary>
public static class FontBaker
{
    // Printable ASCII and Latin-1 (× ° µ ± and accented letters): one contiguous range, as the baker takes.
    private const int FirstCharacter = 32, CharacterCount = 224;

    /// <summary>DejaVu Sans from Debian's fonts-dejavu-core, the font the demo and tests use.</summary>
    public static string DefaultFontPath
    {
        get
        {
            string[] candidates =
            [
                "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                Path.Combine(AppContext.BaseDirectory, "fonts", "DejaVuSans.ttf"),
                @"C:\Windows\Fonts\segoeui.ttf",
                "/System/Library/Fonts/Supplemental/Arial.ttf",
            ];
            return candidates.FirstOrDefault(File.Exists)
                ?? throw new GlassboxException("No default font was found. Install fonts-dejavu-core (tools/setup.sh does), or pass the path of a .ttf file.");
        }
    }

    public static BakedFont Bake(string ttfPath, float pixelHeight)
    {
        if (!File.Exists(ttfPath))
            throw new GlassboxException($"Font '{ttfPath}' does not exist.");
        if (pixelHeight is < 6f or > 128f)
            throw new ArgumentException($"Font size {pixelHeight} px is outside 6 to 128.");
        var font = File.ReadAllBytes(ttfPath);
        var chars = new StbTrueType.BakedChar[CharacterCount];
        // Grow the atlas until every glyph fits.
        for (int size = 128; size <= 2048; size *= 2)
        {
            var pixels = new byte[size * size];
            int result = StbTrueType.BakeFontBitmap(font, pixelHeight, pixels, size, size, FirstCharacter, chars);
            if (result > 0)
            {
                var glyphs = chars.Select(c => new BakedGlyph(c.X0, c.Y0, c.X1, c.Y1, c.XOffset, c.YOffset, c.XAdvance)).ToImmutableArray();
                string source = $"{Path.GetFileName(ttfPath)} (SHA-256 {Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(font))}) at {pixelHeight} px";
                return new BakedFont(pixelHeight, size, size, pixels, FirstCharacter, glyphs, source);
            }
            if (result == 0)
                throw new GlassboxException($"'{ttfPath}' is not a TrueType font stb_truetype can read.");
        }
        throw new GlassboxException($"Font '{ttfPath}' at {pixelHeight} px does not fit a 2048×2048 atlas.");
    }

    /// <summary>The font's coverage as an R8 texture.</summary>
    public static Texture Upload(GlContext context, BakedFont font)
    {
        var texture = new Texture(context, font.AtlasWidth, font.AtlasHeight, TextureFormat.R8);
        texture.Upload(font.Coverage);
        return texture;
    }
}
