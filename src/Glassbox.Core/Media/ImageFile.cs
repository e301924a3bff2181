using System.Runtime.InteropServices;
using StbImageSharp;
using StbImageWriteSharp;

namespace Glassbox.Media;

/// <summary>
/// Reading (PNG, JPEG, BMP, GIF first frame) and writing (PNG, JPEG) of image files. Sizes are checked
/// from the header before any pixel is decoded, so a hostile header cannot make it allocate gigabytes.
/// Encoding is slow for large images (a 640×480 PNG takes tens of milliseconds): keep it off the render thread.
/// Decoding and encoding are StbImageSharp and StbImageWriteSharp: managed, so an untrusted file cannot reach
/// native memory, and the same on every platform.
/// </summary>
public static unsafe class ImageFile
{
    /// <summary>Largest image decoded, in pixels (8192 × 8192).</summary>
    public const long MaxPixels = 8192L * 8192L;

    /// <summary>Largest file read.</summary>
    public const long MaxFileBytes = 256L * 1024 * 1024;

    public static RgbaImage Load(string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
            throw new GlassboxException($"Image '{path}' does not exist. Check the path.");
        if (file.Length == 0)
            throw new GlassboxException($"Image '{path}' is empty (0 bytes); the file was not fully written or copied.");
        if (file.Length > MaxFileBytes)
            throw new GlassboxException($"Image '{path}' is {file.Length / (1024 * 1024)} MiB; files over {MaxFileBytes / (1024 * 1024)} MiB are not read.");
        return Decode(File.ReadAllBytes(path), path);
    }

    public static RgbaImage Decode(ReadOnlySpan<byte> data, string name = "(bytes)")
    {
        if (data.IsEmpty)
            throw new GlassboxException($"Image '{name}' is empty (0 bytes).");
        if (HeaderSize(data) is var (headerWidth, headerHeight))
        {
            if (headerWidth * headerHeight > MaxPixels)
                throw TooLarge(name, headerWidth, headerHeight);
            if (PngCannotHoldItsPixels(data, headerWidth, headerHeight))
                throw new GlassboxException($"Image '{name}' could not be decoded: {data.Length} bytes of PNG cannot hold the {headerWidth}×{headerHeight} pixels its header claims. The file may be truncated or corrupt.");
        }
        fixed (byte* p = data)
        {
            using var stream = new EndClampedStream(p, data.Length);
            if (ImageInfo.FromStream(stream) is not { } info)
                throw new GlassboxException($"'{name}' is not an image Glassbox can read ({DecodeFailure(null)}). Use PNG, JPEG, BMP or GIF.");
            if ((long)info.Width * info.Height > MaxPixels)
                throw TooLarge(name, info.Width, info.Height);
            stream.Position = 0;
            ImageResult decoded;
            try
            {
                decoded = ImageResult.FromStream(stream, StbImageSharp.ColorComponents.RedGreenBlueAlpha);
            }
            catch (Exception e) when (e is InvalidOperationException or IndexOutOfRangeException or ArgumentException or EndOfStreamException)
            {
                throw new GlassboxException($"Image '{name}' could not be decoded: {DecodeFailure(e.Message)}. The file may be truncated or corrupt.");
            }
            if (decoded.Width <= 0 || decoded.Height <= 0 || (long)decoded.Width * decoded.Height > MaxPixels || decoded.Data.Length < decoded.Width * decoded.Height * 4)
                throw new GlassboxException($"Image '{name}' could not be decoded: it claims {decoded.Width}×{decoded.Height} pixels. The file may be truncated or corrupt.");
            var image = new RgbaImage(decoded.Width, decoded.Height);
            decoded.Data.AsSpan(0, decoded.Width * decoded.Height * 4).CopyTo(MemoryMarshal.AsBytes(image.Pixels.AsSpan()));
            return image;
        }
    }

    /// <summary>
    /// The decoder's reason, when it is one: on some damaged files the port's failure text is not text,
    /// and a message must not carry control characters into a log or a terminal.
    /// </summary>
    private static string DecodeFailure(string? reason) =>
        !string.IsNullOrWhiteSpace(reason) && reason.All(c => c >= ' ' && c < 0x7F) ? reason : "the data ends early or does not follow the format";

    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static GlassboxException TooLarge(string name, long width, long height) =>
        new($"Image '{name}' is {width}×{height} ({width * height / 1_000_000} megapixels); the limit is {MaxPixels / 1_000_000} megapixels. Scale it down first.");

    /// <summary>Width and height from a PNG, GIF, BMP or JPEG header, without decoding; null when not found.</summary>
    internal static (long Width, long Height)? HeaderSize(ReadOnlySpan<byte> data)
    {
        if (data.Length >= 24 && data[..8].SequenceEqual(PngSignature))
            return (System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(data[16..]), System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(data[20..]));
        if (data.Length >= 10 && data[..3].SequenceEqual("GIF"u8))
            return (System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(data[6..]), System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(data[8..]));
        if (data.Length >= 26 && data[0] == 'B' && data[1] == 'M')
            return (Math.Abs((long)System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(data[18..])), Math.Abs((long)System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(data[22..])));
        if (data.Length >= 4 && data[0] == 0xFF && data[1] == 0xD8)
        {
            // Walk the JPEG segments to the first start-of-frame marker (C0–CF except C4, C8, CC).
            int at = 2;
            while (at + 9 < data.Length && data[at] == 0xFF)
            {
                byte marker = data[at + 1];
                int length = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(data[(at + 2)..]);
                if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
                    return (System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(data[(at + 7)..]), System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(data[(at + 5)..]));
                at += 2 + length;
            }
        }
        return null;
    }

    /// <summary>
    /// A PNG's rows are deflate-compressed, and deflate expands at most 1032 times, so a header claiming more
    /// raw bytes than that of the whole file is damaged: refused before the decoder allocates for it (a
    /// 76-byte file could otherwise ask for half a gigabyte). False for a plausible PNG or another format.
    /// </summary>
    private static bool PngCannotHoldItsPixels(ReadOnlySpan<byte> data, long width, long height)
    {
        if (data.Length < 26 || !data[..8].SequenceEqual(PngSignature))
            return false;
        int bitDepth = data[24];
        int samples = data[25] switch { 2 => 3, 4 => 2, 6 => 4, _ => 1 }; // RGB, grey+alpha, RGBA; grey and palette
        long rawBytes = height * (1 + (width * samples * bitDepth + 7) / 8); // each row starts with its filter byte
        const long DeflateMaxExpansion = 1032;
        return rawBytes > data.Length * DeflateMaxExpansion;
    }

    public static byte[] EncodePng(RgbaImage image) => Encode(image, png: true, quality: 0);

    /// <param name="quality">1 (smallest) to 100 (best).</param>
    public static byte[] EncodeJpeg(RgbaImage image, int quality = 90)
    {
        if (quality is < 1 or > 100)
            throw new ArgumentException($"JPEG quality is {quality}; use 1 to 100.");
        return Encode(image, png: false, quality);
    }

    /// <summary>Writes a PNG (or JPEG, by the .jpg/.jpeg extension) through a temporary file, so a reader never sees half a file.</summary>
    public static void Save(string path, RgbaImage image)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        byte[] bytes = extension switch
        {
            ".png" => EncodePng(image),
            ".jpg" or ".jpeg" => EncodeJpeg(image),
            _ => throw new GlassboxException($"Cannot save '{path}': use a .png, .jpg or .jpeg file name."),
        };
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
            Directory.CreateDirectory(folder);
        string temporary = path + ".tmp";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, path, overwrite: true);
    }

    private static byte[] Encode(RgbaImage image, bool png, int quality)
    {
        var output = new MemoryStream();
        var writer = new ImageWriter();
        fixed (uint* pixels = image.Pixels)
        {
            if (png)
                writer.WritePng(pixels, image.Width, image.Height, StbImageWriteSharp.ColorComponents.RedGreenBlueAlpha, output);
            else
                writer.WriteJpg(pixels, image.Width, image.Height, StbImageWriteSharp.ColorComponents.RedGreenBlueAlpha, output, quality);
        }
        if (output.Length == 0)
            throw new GlassboxException($"Encoding a {image.Width}×{image.Height} {(png ? "PNG" : "JPEG")} failed.");
        return output.ToArray();
    }

    /// <summary>
    /// The bytes of an image file as the decoder reads them. A seek stops at the end: the decoder skips
    /// segments by the length a file claims and tests for the end with Position == Length, so on a memory
    /// stream (which lets a seek pass the end) a truncated JPEG made it look for the next marker forever.
    /// </summary>
    private sealed class EndClampedStream(byte* data, long length) : UnmanagedMemoryStream(data, length)
    {
        public override long Seek(long offset, SeekOrigin origin)
        {
            long target = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => Position + offset,
                _ => Length + offset,
            };
            return base.Seek(Math.Clamp(target, 0, Length), SeekOrigin.Begin);
        }
    }
}
