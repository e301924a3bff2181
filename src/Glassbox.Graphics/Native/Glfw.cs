using System.Runtime.InteropServices;

namespace Glassbox.Graphics.Native;

/// <summary>The GLFW 3.3 calls Glassbox makes, loaded from the system library. Main thread only.</summary>
internal static unsafe class Glfw
{
    public const int ContextVersionMajor = 0x00022002;
    public const int ContextVersionMinor = 0x00022003;
    public const int OpenGlForwardCompat = 0x00022006;
    public const int OpenGlDebugContext = 0x00022007;
    public const int OpenGlProfile = 0x00022008;
    public const int OpenGlCoreProfile = 0x00032001;
    public const int Visible = 0x00020004;
    public const int True = 1;
    public const int False = 0;

    private static readonly Lazy<Api> Functions = new(Load);

    public static Api Fn => Functions.Value;

    public sealed class Api
    {
        public delegate* unmanaged<int> Init;
        public delegate* unmanaged<void> Terminate;
        public delegate* unmanaged<int, int, void> WindowHint;
        public delegate* unmanaged<void> DefaultWindowHints;
        public delegate* unmanaged<int, int, byte*, IntPtr, IntPtr, IntPtr> CreateWindow;
        public delegate* unmanaged<IntPtr, void> DestroyWindow;
        public delegate* unmanaged<IntPtr, void> MakeContextCurrent;
        public delegate* unmanaged<IntPtr> GetCurrentContext;
        public delegate* unmanaged<byte*, IntPtr> GetProcAddress;
        public delegate* unmanaged<byte**, int> GetError;
    }

    /// <summary>The last GLFW error as text, or null.</summary>
    public static string? LastError()
    {
        byte* description = null;
        int code = Fn.GetError(&description);
        if (code == 0)
            return null;
        string text = description == null ? "" : Marshal.PtrToStringUTF8((IntPtr)description) ?? "";
        return $"{text} (GLFW error 0x{code:X})";
    }

    private static Api Load()
    {
        string[] names = OperatingSystem.IsWindows() ? ["glfw3.dll", "glfw.dll"]
            : OperatingSystem.IsMacOS() ? ["libglfw.3.dylib", "libglfw.dylib"]
            : ["libglfw.so.3", "libglfw.so"];
        IntPtr lib = IntPtr.Zero;
        foreach (var name in names)
        {
            if (NativeLibrary.TryLoad(name, typeof(Glfw).Assembly, null, out lib))
                break;
        }
        if (lib == IntPtr.Zero)
        {
            throw new GlassboxException(
                $"GLFW 3.3 was not found ({string.Join(", ", names)}). On Debian run tools/setup.sh (it installs libglfw3); elsewhere install GLFW 3.3 or newer.");
        }
        IntPtr F(string name) => NativeLibrary.GetExport(lib, name);
        return new Api
        {
            Init = (delegate* unmanaged<int>)F("glfwInit"),
            Terminate = (delegate* unmanaged<void>)F("glfwTerminate"),
            WindowHint = (delegate* unmanaged<int, int, void>)F("glfwWindowHint"),
            DefaultWindowHints = (delegate* unmanaged<void>)F("glfwDefaultWindowHints"),
            CreateWindow = (delegate* unmanaged<int, int, byte*, IntPtr, IntPtr, IntPtr>)F("glfwCreateWindow"),
            DestroyWindow = (delegate* unmanaged<IntPtr, void>)F("glfwDestroyWindow"),
            MakeContextCurrent = (delegate* unmanaged<IntPtr, void>)F("glfwMakeContextCurrent"),
            GetCurrentContext = (delegate* unmanaged<IntPtr>)F("glfwGetCurrentContext"),
            GetProcAddress = (delegate* unmanaged<byte*, IntPtr>)F("glfwGetProcAddress"),
            GetError = (delegate* unmanaged<byte**, int>)F("glfwGetError"),
        };
    }
}
