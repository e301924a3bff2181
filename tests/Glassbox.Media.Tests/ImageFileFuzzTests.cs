using System.Diagnostics;
using Glassbox.Media;
using StbImageSharp;

namespace Glassbox.Tests;

/// <summary>
/// Mutation fuzzing of the image reader within a fixed time: real PNG, JPEG, BMP and GIF files with bits
/// flipped, bytes overwritten, cut short or spliced. Each input must decode to an image within the size
/// limit or fail with a GlassboxException whose message is printable text, never another exception, without
/// hanging, allocating no more than the largest image allowed asks for (the decoder's RGBA bytes and the image
/// made from them), and must give back every buffer the decoder took. Every case comes from (seed,
/// iteration), printed on failure, so a finding replays exactly.
/// </summary>
public class ImageFileFuzzTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(double.TryParse(Environment.GetEnvironmentVariable("GLASSBOX_FUZZ_SECONDS"), out double s) ? s : 10);

    private static IEnumerable<(string Name, byte[] Bytes)> Seeds()
    {
        var pattern = new RgbaImage(48, 40);
        for (int y = 0; y < pattern.Height; y++)
        {
            for (int x = 0; x < pattern.Width; x++)
                pattern[x, y] = RgbaImage.Pack((byte)(x * 5), (byte)(y * 6), (byte)((x ^ y) * 8), (byte)(255 - x));
        }
        var bmp = new MemoryStream();
        new StbImageWriteSharp.ImageWriter().WriteBmp(MemoryMarshalBytes(pattern), pattern.Width, pattern.Height, StbImageWriteSharp.ColorComponents.RedGreenBlueAlpha, bmp);
        return
        [
            ("png", ImageFile.EncodePng(pattern)),
            ("jpeg", ImageFile.EncodeJpeg(pattern, 85)),
            ("bmp", bmp.ToArray()),
            ("gif", TwoByTwoGif),
        ];
    }

    private static byte[] MemoryMarshalBytes(RgbaImage image) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(image.Pixels.AsSpan()).ToArray();

    /// <summary>A 2×2 GIF89a with a four-colour table, written out by hand (no GIF encoder is served).</summary>
    private static readonly byte[] TwoByTwoGif =
    [
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x02, 0x00, 0x02, 0x00, 0x81, 0x00, 0x00, // header, 2×2, 4-entry global table
        0xFF, 0x00, 0x00, 0x00, 0xFF, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, // red, green, blue, white
        0x2C, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x02, 0x00, 0x00, // image descriptor
        0x02, 0x03, 0x44, 0x34, 0x05, 0x00, // LZW min code size 2; codes clear,0,1,2,3,end
        0x3B,
    ];

    // A hang, not a slow case: a few bytes may legally announce the largest image allowed (8192² for a GIF's
    // canvas), which takes seconds to allocate and fill on a loaded 2-core machine.
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(30);

    private const long LargestImageAllocation = 2 * 4 * ImageFile.MaxPixels + (16L << 20);

    [Test]
    public void The_seeds_are_images_the_reader_decodes()
    {
        foreach (var (name, bytes) in Seeds())
        {
            var image = ImageFile.Decode(bytes, name);
            Assert.That(image.Width * image.Height, Is.GreaterThan(0), name);
        }
        var gif = ImageFile.Decode(TwoByTwoGif, "2x2.gif");
        Assert.That(gif.Pixels, Is.EqualTo(new[] { RgbaImage.Pack(255, 0, 0), RgbaImage.Pack(0, 255, 0), RgbaImage.Pack(0, 0, 255), RgbaImage.Pack(255, 255, 255) }));
    }

    [Test]
    public void Mutated_images_decode_or_fail_with_an_image_error_and_leak_nothing()
    {
        var seeds = Seeds().ToList();
        var clock = Stopwatch.StartNew();
        int cases = 0, decoded = 0;
        const int seed = 20261203;
        for (int iteration = 0; clock.Elapsed < Budget; iteration++)
        {
            var random = new Random(unchecked(seed * 1_000_003 + iteration));
            var (name, original) = seeds[iteration % seeds.Count];
            var bytes = ByteMutations.Mutate(original, random);
            string where = $"seed {seed}, iteration {iteration} ({name}, {bytes.Length} bytes)";
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            int nativeBefore = StbImage.NativeAllocations;
            var started = Stopwatch.StartNew();
            cases++;
            try
            {
                var image = ImageFile.Decode(bytes, "fuzz");
                Assert.That((long)image.Width * image.Height, Is.InRange(1, ImageFile.MaxPixels), where);
                decoded++;
            }
            catch (GlassboxException e)
            {
                Assert.That(e.Message.All(c => c >= ' '), Is.True, $"{where}: the message carries control characters: {e.Message}");
            }
            catch (Exception e)
            {
                Assert.Fail($"{where}: the reader threw {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
            Assert.That(StbImage.NativeAllocations, Is.EqualTo(nativeBefore), $"{where}: every decoder buffer given back");
            Assert.That(started.Elapsed, Is.LessThan(HangLimit), $"{where}: no hang");
            Assert.That(GC.GetAllocatedBytesForCurrentThread() - allocatedBefore, Is.LessThan(LargestImageAllocation), $"{where}: bounded allocation");
        }
        TestContext.Out.WriteLine($"{cases} mutated images in {clock.Elapsed.TotalSeconds:0} s: {decoded} still decoded");
        Assert.That(cases, Is.GreaterThan(100));
    }
}
