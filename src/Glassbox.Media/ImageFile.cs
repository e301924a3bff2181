using System.Runtime.InteropServices;
using Glassbox.Media.Native;

namespace Glassbox.Media;

/// <summary>
/// Reading (PNG, JPEG, BMP, GIF first frame) and writing (PNG, JPEG) of image files. Sizes are checked
/// from the header before any pixel is decoded, so a hostile header cannot make it allocate gigabytes.
/// Encoding is slow for large images (a 640×480 PNG takes tens of milliseconds): keep it off the render thread.
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
        if (HeaderSize(data) is var (headerWidth, headerHeight) && (long)headerWidth * headerHeight > MaxPixels)
            throw TooLarge(name, headerWidth, headerHeight);
        int width, height, channels;
        fixed (byte* p = data)
        {
            if (Stb.Fn.InfoFromMemory(p, data.Length, &width, &height, &channels) == 0)
                throw new GlassboxException($"'{name}' is not an image Glassbox can read ({Stb.LastFailure()}). Use PNG, JPEG, BMP or GIF.");
            if ((long)width * height > MaxPixels)
                throw TooLarge(name, width, height);
            byte* pixels = Stb.Fn.LoadFromMemory(p, data.Length, &width, &height, &channels, 4);
            if (pixels == null)
                throw new GlassboxException($"Image '{name}' could not be decoded: {Stb.LastFailure()}. The file may be truncated or corrupt.");
            try
            {
                var image = new RgbaImage(width, height);
                new ReadOnlySpan<byte>(pixels, width * height * 4).CopyTo(MemoryMarshal.AsBytes(image.Pixels.AsSpan()));
                return image;
            }
            finally
            {
                Stb.Fn.ImageFree(pixels);
            }
        }
    }

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
        var handle = GCHandle.Alloc(output);
        try
        {
            int ok;
            fixed (uint* pixels = image.Pixels)
            {
                ok = png
                    ? Stb.Fn.WritePngToFunc(&Append, (void*)GCHandle.ToIntPtr(handle), image.Width, image.Height, 4, pixels, image.Width * 4)
                    : Stb.Fn.WriteJpgToFunc(&Append, (void*)GCHandle.ToIntPtr(handle), image.Width, image.Height, 4, pixels, quality);
            }
            if (ok == 0)
                throw new GlassboxException($"Encoding a {image.Width}×{image.Height} {(png ? "PNG" : "JPEG")} failed.");
            return output.ToArray();
        }
        finally
        {
            handle.Free();
        }
    }

    [UnmanagedCallersOnly]
    private static void Append(void* context, void* data, int size)
    {
        if (GCHandle.FromIntPtr((IntPtr)context).Target is MemoryStream stream)
            stream.Write(new ReadOnlySpan<byte>(data, size));
    }
}
