using System.Buffers.Binary;
using Glassbox.Media;

namespace Glassbox.Tests;

public class ImageFileTests
{
    private string _dir = null!;

    [SetUp]
    public void MakeFolder() => _dir = Directory.CreateTempSubdirectory("glassbox-images").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    private static RgbaImage Pattern(int width, int height)
    {
        var image = new RgbaImage(width, height);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
                image[x, y] = RgbaImage.Pack((byte)(x * 255 / Math.Max(1, width - 1)), (byte)(y * 255 / Math.Max(1, height - 1)), (byte)((x ^ y) & 0xFF), (byte)(255 - x % 7));
        }
        return image;
    }

    [Test]
    public void Png_round_trips_exactly_with_row_0_at_the_top()
    {
        var image = Pattern(37, 21);
        string path = Path.Combine(_dir, "pattern.png");
        ImageFile.Save(path, image);
        var back = ImageFile.Load(path);
        Assert.That((back.Width, back.Height), Is.EqualTo((37, 21)));
        Assert.That(back.Pixels, Is.EqualTo(image.Pixels));
        Assert.That(File.ReadAllBytes(path)[..8], Is.EqualTo(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }));
        Assert.That(File.Exists(path + ".tmp"), Is.False);
    }

    [Test]
    public void Jpeg_round_trips_closely()
    {
        var image = new RgbaImage(32, 32);
        Array.Fill(image.Pixels, RgbaImage.Pack(200, 40, 90));
        var back = ImageFile.Decode(ImageFile.EncodeJpeg(image, 95), "flat.jpg");
        Assert.That(back.Pixels.Select(p => (int)(p & 0xFF)), Is.All.InRange(195, 205));
        Assert.That(back.Pixels.Select(p => p >> 24), Is.All.EqualTo(255u), "JPEG has no alpha");
    }

    [Test]
    public void Missing_empty_truncated_and_foreign_files_get_clear_errors()
    {
        Assert.That(Assert.Throws<GlassboxException>(() => ImageFile.Load(Path.Combine(_dir, "nope.png")))!.Message, Does.EndWith("does not exist. Check the path."));

        string empty = Path.Combine(_dir, "empty.png");
        File.WriteAllBytes(empty, []);
        Assert.That(Assert.Throws<GlassboxException>(() => ImageFile.Load(empty))!.Message, Does.Contain("is empty (0 bytes)"));

        var png = ImageFile.EncodePng(Pattern(64, 64));
        Assert.That(Assert.Throws<GlassboxException>(() => ImageFile.Decode(png[..(png.Length / 2)], "half.png"))!.Message,
            Does.StartWith("Image 'half.png' could not be decoded").And.Contain("truncated or corrupt"));

        Assert.That(Assert.Throws<GlassboxException>(() => ImageFile.Decode("just some text"u8, "notes.png"))!.Message,
            Does.StartWith("'notes.png' is not an image Glassbox can read").And.Contain("Use PNG, JPEG, BMP or GIF"));
    }

    [Test]
    public void A_jpeg_cut_inside_a_segment_fails_instead_of_searching_past_its_end()
    {
        // The JFIF segment claims 16 bytes and the file ends after 14: the decoder's skip lands past the end.
        byte[] cut = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01];
        var decoding = Task.Run(() => Assert.Throws<GlassboxException>(() => ImageFile.Decode(cut, "cut.jpg")));
        Assert.That(decoding.Wait(TimeSpan.FromSeconds(30)), Is.True, "the decoder returned");
        Assert.That(decoding.Result!.Message, Does.Contain("'cut.jpg'"));
    }

    [Test]
    public void A_header_announcing_a_huge_image_is_refused_before_decoding()
    {
        var png = ImageFile.EncodePng(Pattern(4, 4));
        // IHDR width and height sit at bytes 16..23.
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), 30000);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), 30000);
        var error = Assert.Throws<GlassboxException>(() => ImageFile.Decode(png, "huge.png"));
        Assert.That(error!.Message, Is.EqualTo("Image 'huge.png' is 30000×30000 (900 megapixels); the limit is 67 megapixels. Scale it down first."));
    }

    [Test]
    public void A_small_png_claiming_more_pixels_than_deflate_can_hold_is_refused_before_decoding()
    {
        var png = ImageFile.EncodePng(Pattern(4, 4));
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), 8000);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), 8000);
        var error = Assert.Throws<GlassboxException>(() => ImageFile.Decode(png, "bomb.png"));
        Assert.That(error!.Message, Is.EqualTo($"Image 'bomb.png' could not be decoded: {png.Length} bytes of PNG cannot hold the 8000×8000 pixels its header claims. The file may be truncated or corrupt."));
    }

    [Test]
    public void Saving_with_an_unknown_extension_says_which_to_use()
    {
        var error = Assert.Throws<GlassboxException>(() => ImageFile.Save(Path.Combine(_dir, "x.tiff"), Pattern(2, 2)));
        Assert.That(error!.Message, Does.Contain("use a .png, .jpg or .jpeg file name"));
    }
}
