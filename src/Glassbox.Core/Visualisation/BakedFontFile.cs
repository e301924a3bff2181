using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Text;

namespace Glassbox.Visualisation;

/// <summary>
/// A <see cref="BakedFont"/> as a file, so an atlas baked once (with a native rasteriser) can ship and load
/// anywhere: "GBFONT1\0", then little-endian pixel height (float), atlas width and height, first character,
/// glyph count (int32), the source as a length-prefixed UTF-8 string, each glyph (X0, Y0, X1, Y1 as int32;
/// offset X, offset Y, advance as float), then the coverage bytes, row 0 at the top.
/// </summary>
public static class BakedFontFile
{
    private static ReadOnlySpan<byte> Magic => "GBFONT1\0"u8;

    private const int GlyphBytes = 28, MaxAtlasSide = 4096, MaxGlyphs = 65536, MaxSourceBytes = 4096;

    public static void Write(Stream stream, BakedFont font)
    {
        var source = Encoding.UTF8.GetBytes(font.Source);
        var header = new byte[Magic.Length + 24 + source.Length];
        Magic.CopyTo(header);
        var fields = header.AsSpan(Magic.Length);
        BinaryPrimitives.WriteInt32LittleEndian(fields, BitConverter.SingleToInt32Bits(font.PixelHeight));
        BinaryPrimitives.WriteInt32LittleEndian(fields[4..], font.AtlasWidth);
        BinaryPrimitives.WriteInt32LittleEndian(fields[8..], font.AtlasHeight);
        BinaryPrimitives.WriteInt32LittleEndian(fields[12..], font.FirstCharacter);
        BinaryPrimitives.WriteInt32LittleEndian(fields[16..], font.Glyphs.Length);
        BinaryPrimitives.WriteInt32LittleEndian(fields[20..], source.Length);
        source.CopyTo(fields[24..]);
        stream.Write(header, 0, header.Length);

        var glyphs = new byte[font.Glyphs.Length * GlyphBytes];
        for (int i = 0; i < font.Glyphs.Length; i++)
        {
            var g = font.Glyphs[i];
            var at = glyphs.AsSpan(i * GlyphBytes);
            BinaryPrimitives.WriteInt32LittleEndian(at, g.X0);
            BinaryPrimitives.WriteInt32LittleEndian(at[4..], g.Y0);
            BinaryPrimitives.WriteInt32LittleEndian(at[8..], g.X1);
            BinaryPrimitives.WriteInt32LittleEndian(at[12..], g.Y1);
            BinaryPrimitives.WriteInt32LittleEndian(at[16..], BitConverter.SingleToInt32Bits(g.OffsetX));
            BinaryPrimitives.WriteInt32LittleEndian(at[20..], BitConverter.SingleToInt32Bits(g.OffsetY));
            BinaryPrimitives.WriteInt32LittleEndian(at[24..], BitConverter.SingleToInt32Bits(g.Advance));
        }
        stream.Write(glyphs, 0, glyphs.Length);
        stream.Write(font.Coverage, 0, font.Coverage.Length);
    }

    /// <param name="name">Names the file in error messages.</param>
    public static BakedFont Read(Stream stream, string name)
    {
        var head = ReadExactly(stream, Magic.Length + 24, name);
        if (!head.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw Damaged(name, "it does not start with GBFONT1");
        var fields = head.AsSpan(Magic.Length);
        float pixelHeight = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadInt32LittleEndian(fields));
        int width = BinaryPrimitives.ReadInt32LittleEndian(fields[4..]);
        int height = BinaryPrimitives.ReadInt32LittleEndian(fields[8..]);
        int first = BinaryPrimitives.ReadInt32LittleEndian(fields[12..]);
        int count = BinaryPrimitives.ReadInt32LittleEndian(fields[16..]);
        int sourceLength = BinaryPrimitives.ReadInt32LittleEndian(fields[20..]);
        if (width is < 1 or > MaxAtlasSide || height is < 1 or > MaxAtlasSide || count is < 1 or > MaxGlyphs || sourceLength is < 0 or > MaxSourceBytes
            || first < 0 || !(pixelHeight > 0 && pixelHeight < 1024))
            throw Damaged(name, $"its header ({width}×{height} atlas, {count} glyphs, {pixelHeight} px) is out of range");
        string source = Encoding.UTF8.GetString(ReadExactly(stream, sourceLength, name));
        var glyphBytes = ReadExactly(stream, count * GlyphBytes, name);
        var glyphs = ImmutableArray.CreateBuilder<BakedGlyph>(count);
        for (int i = 0; i < count; i++)
        {
            var at = glyphBytes.AsSpan(i * GlyphBytes);
            var glyph = new BakedGlyph(
                BinaryPrimitives.ReadInt32LittleEndian(at), BinaryPrimitives.ReadInt32LittleEndian(at[4..]),
                BinaryPrimitives.ReadInt32LittleEndian(at[8..]), BinaryPrimitives.ReadInt32LittleEndian(at[12..]),
                BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadInt32LittleEndian(at[16..])),
                BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadInt32LittleEndian(at[20..])),
                BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadInt32LittleEndian(at[24..])));
            if (glyph.X0 < 0 || glyph.Y0 < 0 || glyph.X1 < glyph.X0 || glyph.Y1 < glyph.Y0 || glyph.X1 > width || glyph.Y1 > height)
                throw Damaged(name, $"glyph {i} lies outside the {width}×{height} atlas");
            glyphs.Add(glyph);
        }
        if ('?' < first || '?' >= first + count)
            throw Damaged(name, $"it has no '?' glyph for characters it lacks (characters {first} to {first + count - 1})");
        var coverage = ReadExactly(stream, width * height, name);
        return new BakedFont(pixelHeight, width, height, coverage, first, glyphs.MoveToImmutable(), source);
    }

    private static byte[] ReadExactly(Stream stream, int count, string name)
    {
        var bytes = new byte[count];
        int read = 0;
        while (read < count)
        {
            int n = stream.Read(bytes, read, count - read);
            if (n == 0)
                throw Damaged(name, "it ends early");
            read += n;
        }
        return bytes;
    }

    private static GlassboxException Damaged(string name, string why) =>
        new($"Font atlas '{name}' is damaged: {why}. Bake it again (tools/bake-default-font.sh for the default one).");
}
