namespace Glassbox.Graphics.Native;

/// <summary>
/// A GLFW window with an OpenGL 4.3 core, debug-enabled context, made current on the calling thread: the
/// window-system half of a <see cref="GlContext"/> that Glassbox makes itself (offscreen, or the host's
/// window). Disposing it destroys the window, hands the thread back to the context that was current before,
/// and ends GLFW with its last user (glfwTerminate destroys every window, so GLFW is shared and counted).
/// </summary>
internal sealed unsafe class GlfwSurface : IDisposable
{
    private static readonly object Gate = new();
    private static int _users;
    private readonly IntPtr _previousContext;
    private bool _disposed;

    private GlfwSurface(IntPtr window, IntPtr previousContext)
    {
        Window = window;
        _previousContext = previousContext;
    }

    public IntPtr Window { get; }

    public static GlfwSurface Create(int width, int height, string titleText, bool visible)
    {
        var glfw = Glfw.Fn;
        lock (Gate)
        {
            if (_users == 0 && glfw.Init() != Glfw.True)
            {
                string reason = Glfw.LastError() ?? "unknown reason";
                throw new GlassboxException(
                    $"Could not start GLFW: {reason}. OpenGL needs a display: set DISPLAY, or run under a virtual one (xvfb-run -a <command>).");
            }
            _users++;
        }
        glfw.DefaultWindowHints();
        glfw.WindowHint(Glfw.ContextVersionMajor, 4);
        glfw.WindowHint(Glfw.ContextVersionMinor, 3);
        glfw.WindowHint(Glfw.OpenGlProfile, Glfw.OpenGlCoreProfile);
        glfw.WindowHint(Glfw.OpenGlForwardCompat, Glfw.True);
        glfw.WindowHint(Glfw.OpenGlDebugContext, Glfw.True);
        glfw.WindowHint(Glfw.Visible, visible ? Glfw.True : Glfw.False);
        var title = GlLoader.Utf8Z(titleText);
        IntPtr window;
        fixed (byte* t = title)
            window = glfw.CreateWindow(width, height, t, IntPtr.Zero, IntPtr.Zero);
        if (window == IntPtr.Zero)
        {
            string reason = Glfw.LastError() ?? "unknown reason";
            Release();
            throw new GlassboxException($"Could not create an OpenGL 4.3 core context: {reason}. Update the GPU driver, or use Mesa (llvmpipe), which provides 4.5 core.");
        }
        IntPtr previous = glfw.GetCurrentContext();
        glfw.MakeContextCurrent(window);
        return new GlfwSurface(window, previous);
    }

    /// <summary>GL function addresses of the current GLFW context.</summary>
    public static IntPtr ProcAddress(string name)
    {
        var bytes = GlLoader.Utf8Z(name);
        fixed (byte* p = bytes)
            return Glfw.Fn.GetProcAddress(p);
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        // Hand the thread back to the context that was current before this one (a host's, or another Glassbox context).
        bool wasCurrent = Glfw.Fn.GetCurrentContext() == Window;
        Glfw.Fn.DestroyWindow(Window);
        if (wasCurrent)
            Glfw.Fn.MakeContextCurrent(_previousContext);
        Release();
    }

    private static void Release()
    {
        lock (Gate)
        {
            if (--_users == 0)
                Glfw.Fn.Terminate();
        }
    }
}
