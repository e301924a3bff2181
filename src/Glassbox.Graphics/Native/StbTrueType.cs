using System.Runtime.InteropServices;

namespace Glassbox.Graphics.Native;

/// <summary>stb_truetype's one-shot font baker, from the system's libstb.</summary>
internal static unsafe class StbTrueType
{
    [StructLayout(LayoutKind.Sequential)]
    public struct BakedChar
    {
        public ushort X0, Y0, X1, Y1;
        public float XOffset, YOffset, XAdvance;
    }

    private static readonly Lazy<IntPtr> Bake = new(() =>
    {
        string[] names = OperatingSystem.IsWindows() ? ["stb.dll", "libstb.dll"] : OperatingSystem.IsMacOS() ? ["libstb.dylib", "libstb.0.dylib"] : ["libstb.so.0", "libstb.so"];
        foreach (var name in names)
        {
            if (NativeLibrary.TryLoad(name, typeof(StbTrueType).Assembly, null, out var lib))
                return NativeLibrary.GetExport(lib, "stbtt_BakeFontBitmap");
        }
        throw new GlassboxException($"The stb library was not found ({string.Join(", ", names)}). On Debian run tools/setup.sh (it installs libstb0).");
    });

    /// <summary>stbtt_BakeFontBitmap: a positive result is the first unused row; negative means only −result characters fit.</summary>
    public static int BakeFontBitmap(ReadOnlySpan<byte> font, float pixelHeight, Span<byte> pixels, int width, int height, int firstChar, Span<BakedChar> chars)
    {
        // The baker reads the font only during this call, so pinning for its duration is enough.
        fixed (byte* f = font)
        fixed (byte* p = pixels)
        fixed (BakedChar* c = chars)
            return ((delegate* unmanaged<byte*, int, float, byte*, int, int, int, int, BakedChar*, int>)Bake.Value)(f, 0, pixelHeight, p, width, height, firstChar, chars.Length, c);
    }
}
