namespace Glassbox;

/// <summary>
/// An image of RGBA8 pixels packed little-endian in uints (R in the low byte), rows contiguous,
/// row 0 at the top. The pixel array is owned by the image.
/// </summary>
public sealed class RgbaImage
{
    public RgbaImage(int width, int height, uint[]? pixels = null)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentException($"Image size {width}×{height} is empty; both sides must be at least 1 pixel.");
        pixels ??= new uint[checked(width * height)];
        if (pixels.Length != width * height)
            throw new ArgumentException($"{pixels.Length} pixels for a {width}×{height} image; it needs {width * height}.");
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }

    public int Height { get; }

    public uint[] Pixels { get; }

    public uint this[int x, int y]
    {
        get => Pixels[y * Width + x];
        set => Pixels[y * Width + x] = value;
    }

    public static uint Pack(byte r, byte g, byte b, byte a = 255) => r | (uint)g << 8 | (uint)b << 16 | (uint)a << 24;
}
