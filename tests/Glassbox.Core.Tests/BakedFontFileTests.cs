using System.Collections.Immutable;
using Glassbox.Visualisation;

namespace Glassbox.Tests;

public class BakedFontFileTests
{
    private static BakedFont Small()
    {
        // Characters 60 to 64 ('<' to '@'), so '?' (63) is among them.
        var glyphs = Enumerable.Range(0, 5).Select(i => new BakedGlyph(i * 3, 0, i * 3 + 2, 4, -0.5f, -3.25f, 2.75f + i)).ToImmutableArray();
        var coverage = Enumerable.Range(0, 16 * 8).Select(i => (byte)(i * 37)).ToArray();
        return new BakedFont(7.5f, 16, 8, coverage, 60, glyphs, "test glyphs");
    }

    private static byte[] Bytes(BakedFont font)
    {
        var stream = new MemoryStream();
        BakedFontFile.Write(stream, font);
        return stream.ToArray();
    }

    [Test]
    public void A_font_round_trips_exactly()
    {
        var font = Small();
        var back = BakedFontFile.Read(new MemoryStream(Bytes(font)), "small");
        Assert.That((back.PixelHeight, back.AtlasWidth, back.AtlasHeight, back.FirstCharacter, back.Source), Is.EqualTo((7.5f, 16, 8, 60, "test glyphs")));
        Assert.That(back.Glyphs, Is.EqualTo(font.Glyphs));
        Assert.That(back.Coverage, Is.EqualTo(font.Coverage));
    }

    [Test]
    public void The_shipped_default_loads_without_any_native_library()
    {
        var font = BakedFont.Default;
        Assert.That((font.PixelHeight, font.FirstCharacter, font.Glyphs.Length), Is.EqualTo((16f, 32, 224)));
        Assert.That(font.Source, Does.StartWith("DejaVuSans.ttf (SHA-256 "));
        Assert.That(font.Measure("Glassbox"), Is.GreaterThan(40f));
    }

    [Test]
    public void A_damaged_file_says_what_is_wrong_and_how_to_fix_it()
    {
        var bytes = Bytes(Small());
        Assert.That(() => BakedFontFile.Read(new MemoryStream(bytes[..(bytes.Length - 1)]), "cut.gbfont"),
            Throws.TypeOf<GlassboxException>().With.Message.EqualTo("Font atlas 'cut.gbfont' is damaged: it ends early. Bake it again (tools/bake-default-font.sh for the default one)."));

        var foreign = bytes.ToArray();
        foreign[0] = (byte)'X';
        Assert.That(() => BakedFontFile.Read(new MemoryStream(foreign), "x.gbfont"), Throws.TypeOf<GlassboxException>().With.Message.Contains("does not start with GBFONT1"));

        var outside = bytes.ToArray();
        // Glyph 0's X1 (after the 8-byte magic, 24 header bytes and the 11-byte source) points past the atlas.
        outside[8 + 24 + 11 + 8] = 200;
        Assert.That(() => BakedFontFile.Read(new MemoryStream(outside), "o.gbfont"), Throws.TypeOf<GlassboxException>().With.Message.Contains("glyph 0 lies outside the 16×8 atlas"));

        var huge = bytes.ToArray();
        huge[8 + 4 + 3] = 0x7F; // atlas width's top byte
        Assert.That(() => BakedFontFile.Read(new MemoryStream(huge), "h.gbfont"), Throws.TypeOf<GlassboxException>().With.Message.Contains("out of range"));
    }
}
