using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Glassbox.Media;

namespace Glassbox.Benchmarks;

/// <summary>
/// Decoding a 640×480 PNG and JPEG (the size of a camera frame or a user's photo) with the managed
/// decoder Glassbox uses, against the native stb_image it replaced (Debian's libstb, called here the way
/// Glassbox called it: decode, copy into an RgbaImage, free), in one run. The picture is the demo's own
/// screenshot scaled to 640×480, so it compresses as real content does.
/// </summary>
[MemoryDiagnoser]
public class ImageFileBenchmarks
{
    private byte[] _png = [];
    private byte[] _jpeg = [];

    [Params("png", "jpeg")]
    public string Format { get; set; } = "png";

    private byte[] Bytes => Format == "png" ? _png : _jpeg;

    [GlobalSetup]
    public void Setup()
    {
        var screenshot = ImageFile.Load(Path.Combine(BenchModels.RepoRoot, "docs", "live-demo.png"));
        var image = new RgbaImage(640, 480);
        for (int y = 0; y < 480; y++)
        {
            for (int x = 0; x < 640; x++)
                image[x, y] = screenshot[x * screenshot.Width / 640, y * screenshot.Height / 480];
        }
        _png = ImageFile.EncodePng(image);
        _jpeg = ImageFile.EncodeJpeg(image, 90);
        if (!NativeStb.Decode(_png).Pixels.AsSpan().SequenceEqual(ImageFile.Decode(_png).Pixels))
            throw new InvalidOperationException("The two decoders disagree on the PNG.");
    }

    [Benchmark(Baseline = true, Description = "native stb_image (libstb)")]
    public RgbaImage Native() => NativeStb.Decode(Bytes);

    [Benchmark(Description = "StbImageSharp (ImageFile.Decode)")]
    public RgbaImage Managed() => ImageFile.Decode(Bytes);

    /// <summary>The native decoder, for comparison only.</summary>
    private static unsafe class NativeStb
    {
        private const string Library = "libstb.so.0";

        [DllImport(Library)]
        private static extern byte* stbi_load_from_memory(byte* buffer, int length, int* width, int* height, int* channels, int desiredChannels);

        [DllImport(Library)]
        private static extern void stbi_image_free(void* pixels);

        public static RgbaImage Decode(byte[] data)
        {
            int width, height, channels;
            fixed (byte* p = data)
            {
                byte* pixels = stbi_load_from_memory(p, data.Length, &width, &height, &channels, 4);
                if (pixels == null)
                    throw new InvalidOperationException("libstb could not decode the image.");
                try
                {
                    var image = new RgbaImage(width, height);
                    new ReadOnlySpan<byte>(pixels, width * height * 4).CopyTo(MemoryMarshal.AsBytes(image.Pixels.AsSpan()));
                    return image;
                }
                finally
                {
                    stbi_image_free(pixels);
                }
            }
        }
    }
}
