using Glassbox;
using Glassbox.Graphics;
using Glassbox.Visualisation;

// font-bake OUT.gbfont [FONT.ttf] [PIXEL_HEIGHT]: rasterises the font with stb_truetype and writes the atlas file.
if (args.Length is < 1 or > 3)
{
    Console.Error.WriteLine("usage: font-bake OUT.gbfont [FONT.ttf] [PIXEL_HEIGHT]   (default: DejaVu Sans at 16 px)");
    return 2;
}
try
{
    string font = args.Length > 1 ? args[1] : FontBaker.DefaultFontPath;
    float pixelHeight = args.Length > 2 ? float.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 16f;
    var baked = FontBaker.Bake(font, pixelHeight);
    using (var stream = File.Create(args[0]))
        BakedFontFile.Write(stream, baked);
    Console.WriteLine($"{args[0]}: {baked.Source}, {baked.AtlasWidth}×{baked.AtlasHeight} atlas, {baked.Glyphs.Length} glyphs");
    return 0;
}
catch (Exception e) when (e is GlassboxException or ArgumentException or FormatException or IOException)
{
    Console.Error.WriteLine($"font-bake: {e.Message}");
    return 1;
}
