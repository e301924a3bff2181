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
    public const int Resizable = 0x00020003;
    public const int Cursor = 0x00033001, CursorNormal = 0x00034001, CursorHidden = 0x00034002;
    public const int Press = 1, Release = 0, Repeat = 2;
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
        public delegate* unmanaged<IntPtr, void> SwapBuffers;
        public delegate* unmanaged<void> PollEvents;
        public delegate* unmanaged<IntPtr, int> WindowShouldClose;
        public delegate* unmanaged<IntPtr, int, void> SetWindowShouldClose;
        public delegate* unmanaged<IntPtr, int*, int*, void> GetFramebufferSize;
        public delegate* unmanaged<IntPtr, int*, int*, void> GetWindowSize;
        public delegate* unmanaged<IntPtr, int*, int*, void> GetWindowPos;
        public delegate* unmanaged<int, void> SwapInterval;
        public delegate* unmanaged<IntPtr> GetPrimaryMonitor;
        public delegate* unmanaged<IntPtr, VideoMode*> GetVideoMode;
        public delegate* unmanaged<IntPtr, IntPtr, int, int, int, int, int, void> SetWindowMonitor;
        public delegate* unmanaged<IntPtr, int, int, void> SetInputMode;
        public delegate* unmanaged<IntPtr, delegate* unmanaged<IntPtr, double, double, void>, IntPtr> SetCursorPosCallback;
        public delegate* unmanaged<IntPtr, delegate* unmanaged<IntPtr, int, int, int, void>, IntPtr> SetMouseButtonCallback;
        public delegate* unmanaged<IntPtr, delegate* unmanaged<IntPtr, int, int, int, int, void>, IntPtr> SetKeyCallback;
    }

    /// <summary>GLFWvidmode.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct VideoMode
    {
        public int Width, Height, RedBits, GreenBits, BlueBits, RefreshRate;
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
                $"GLFW 3.3 was not found ({string.Join(", ", names)}). " + (OperatingSystem.IsWindows()
                    ? "Download the 64-bit Windows binaries from https://www.glfw.org/download and put lib-vc2022/glfw3.dll beside the program."
                    : OperatingSystem.IsMacOS() ? "Install it with Homebrew: brew install glfw."
                    : "On Debian run tools/setup.sh (it installs libglfw3); elsewhere install GLFW 3.3 or newer from the distribution."));
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
            SwapBuffers = (delegate* unmanaged<IntPtr, void>)F("glfwSwapBuffers"),
            PollEvents = (delegate* unmanaged<void>)F("glfwPollEvents"),
            WindowShouldClose = (delegate* unmanaged<IntPtr, int>)F("glfwWindowShouldClose"),
            SetWindowShouldClose = (delegate* unmanaged<IntPtr, int, void>)F("glfwSetWindowShouldClose"),
            GetFramebufferSize = (delegate* unmanaged<IntPtr, int*, int*, void>)F("glfwGetFramebufferSize"),
            GetWindowSize = (delegate* unmanaged<IntPtr, int*, int*, void>)F("glfwGetWindowSize"),
            GetWindowPos = (delegate* unmanaged<IntPtr, int*, int*, void>)F("glfwGetWindowPos"),
            SwapInterval = (delegate* unmanaged<int, void>)F("glfwSwapInterval"),
            GetPrimaryMonitor = (delegate* unmanaged<IntPtr>)F("glfwGetPrimaryMonitor"),
            GetVideoMode = (delegate* unmanaged<IntPtr, VideoMode*>)F("glfwGetVideoMode"),
            SetWindowMonitor = (delegate* unmanaged<IntPtr, IntPtr, int, int, int, int, int, void>)F("glfwSetWindowMonitor"),
            SetInputMode = (delegate* unmanaged<IntPtr, int, int, void>)F("glfwSetInputMode"),
            SetCursorPosCallback = (delegate* unmanaged<IntPtr, delegate* unmanaged<IntPtr, double, double, void>, IntPtr>)F("glfwSetCursorPosCallback"),
            SetMouseButtonCallback = (delegate* unmanaged<IntPtr, delegate* unmanaged<IntPtr, int, int, int, void>, IntPtr>)F("glfwSetMouseButtonCallback"),
            SetKeyCallback = (delegate* unmanaged<IntPtr, delegate* unmanaged<IntPtr, int, int, int, int, void>, IntPtr>)F("glfwSetKeyCallback"),
        };
    }
}
