using System.Runtime.InteropServices;

namespace Glassbox.Media.Native;

/// <summary>The stb_image and stb_image_write calls Glassbox makes, from the system's libstb.</summary>
internal static unsafe class Stb
{
    private static readonly Lazy<Api> Functions = new(Load);

    public static Api Fn => Functions.Value;

    public sealed class Api
    {
        public delegate* unmanaged<byte*, int, int*, int*, int*, int> InfoFromMemory;
        public delegate* unmanaged<byte*, int, int*, int*, int*, int, byte*> LoadFromMemory;
        public delegate* unmanaged<void*, void> ImageFree;
        public delegate* unmanaged<byte*> FailureReason;
        public delegate* unmanaged<delegate* unmanaged<void*, void*, int, void>, void*, int, int, int, void*, int, int> WritePngToFunc;
        public delegate* unmanaged<delegate* unmanaged<void*, void*, int, void>, void*, int, int, int, void*, int, int> WriteJpgToFunc;
    }

    public static string LastFailure() => Marshal.PtrToStringUTF8((IntPtr)Fn.FailureReason()) ?? "unknown reason";

    private static Api Load()
    {
        string[] names = OperatingSystem.IsWindows() ? ["stb.dll", "libstb.dll"] : OperatingSystem.IsMacOS() ? ["libstb.dylib", "libstb.0.dylib"] : ["libstb.so.0", "libstb.so"];
        IntPtr lib = IntPtr.Zero;
        foreach (var name in names)
        {
            if (NativeLibrary.TryLoad(name, typeof(Stb).Assembly, null, out lib))
                break;
        }
        if (lib == IntPtr.Zero)
            throw new GlassboxException($"The stb image library was not found ({string.Join(", ", names)}). On Debian run tools/setup.sh (it installs libstb0).");
        IntPtr F(string name) => NativeLibrary.GetExport(lib, name);
        return new Api
        {
            InfoFromMemory = (delegate* unmanaged<byte*, int, int*, int*, int*, int>)F("stbi_info_from_memory"),
            LoadFromMemory = (delegate* unmanaged<byte*, int, int*, int*, int*, int, byte*>)F("stbi_load_from_memory"),
            ImageFree = (delegate* unmanaged<void*, void>)F("stbi_image_free"),
            FailureReason = (delegate* unmanaged<byte*>)F("stbi_failure_reason"),
            WritePngToFunc = (delegate* unmanaged<delegate* unmanaged<void*, void*, int, void>, void*, int, int, int, void*, int, int>)F("stbi_write_png_to_func"),
            WriteJpgToFunc = (delegate* unmanaged<delegate* unmanaged<void*, void*, int, void>, void*, int, int, int, void*, int, int>)F("stbi_write_jpg_to_func"),
        };
    }
}
