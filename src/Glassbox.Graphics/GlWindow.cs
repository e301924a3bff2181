using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Glassbox.Graphics.Native;
using Microsoft.Extensions.Logging;
using Silk.NET.OpenGL;

namespace Glassbox.Graphics;

/// <summary>Keys the host reacts to (GLFW key codes).</summary>
public enum WindowKey
{
    Space = 32, D0 = 48, D1, D2, D3, D4, D5, D6, D7, D8, D9,
    A = 65, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R, S, T, U, V, W, X, Y, Z,
    Escape = 256, Enter = 257, Tab = 258, Backspace = 259, Delete = 261,
    F1 = 290, F2, F3, F4, F5, F6, F7, F8, F9, F10, F11, F12,
    LeftShift = 340, LeftControl = 341, LeftAlt = 342, RightShift = 344, RightControl = 345, RightAlt = 346,
}

/// <summary>One input event, in window pixels with the origin at the top left.</summary>
public abstract record WindowInput;

public sealed record PointerMoved(float X, float Y) : WindowInput;

/// <summary>Button 0 is the left (touch arrives as it).</summary>
public sealed record PointerButton(int Button, bool Pressed, float X, float Y) : WindowInput;

/// <summary>A key press or release; <see cref="Code"/> is the GLFW key code (see <see cref="WindowKey"/>).</summary>
public sealed record KeyInput(int Code, bool Pressed) : WindowInput
{
    public bool Is(WindowKey key) => Code == (int)key;
}

/// <summary>Settings of a window. Validated when it opens.</summary>
public sealed record GlWindowOptions
{
    public static GlWindowOptions Default { get; } = new();

    public int Width { get; init; } = 1280;

    public int Height { get; init; } = 720;

    public string Title { get; init; } = "Glassbox";

    /// <summary>Wait for the display's refresh at each present (no tearing; caps the frame rate).</summary>
    public bool VSync { get; init; } = true;

    public bool Fullscreen { get; init; }

    public GlWindowOptions Validate()
    {
        if (Width is < 64 or > 16384 || Height is < 64 or > 16384)
            throw new GlassboxException($"A window of {Width}×{Height} cannot open; use 64 to 16384 pixels a side.");
        return this;
    }
}

/// <summary>
/// A window with its OpenGL 4.3 context: input events, presenting an offscreen framebuffer
/// (scaled to fit, aspect kept), vsync, fullscreen and cursor hiding. Everything on the thread that
/// opened it (GLFW's rule). Dispose to close it.
/// </summary>
public sealed unsafe class GlWindow : IDisposable
{
    private static readonly ConcurrentDictionary<IntPtr, GlWindow> Open = new();
    private readonly IntPtr _handle;
    private readonly Queue<WindowInput> _events = new();
    private (int X, int Y, int Width, int Height) _windowed;
    private float _cursorX, _cursorY;
    private bool _disposed;

    private GlWindow(GlContext context, GlWindowOptions options)
    {
        Context = context;
        _handle = context.Window;
        Open[_handle] = this;
        var glfw = Glfw.Fn;
        glfw.SetCursorPosCallback(_handle, &OnCursor);
        glfw.SetMouseButtonCallback(_handle, &OnButton);
        glfw.SetKeyCallback(_handle, &OnKey);
        VSync = options.VSync;
        if (options.Fullscreen)
            Fullscreen = true;
    }

    public GlContext Context { get; }

    /// <summary>The drawable size in pixels (may differ from the window size on high-DPI screens).</summary>
    public (int Width, int Height) FramebufferSize
    {
        get
        {
            int w, h;
            Glfw.Fn.GetFramebufferSize(_handle, &w, &h);
            return (w, h);
        }
    }

    /// <summary>True once the user asked to close the window (or <see cref="Close"/> was called).</summary>
    public bool ShouldClose => Glfw.Fn.WindowShouldClose(_handle) != 0;

    public bool VSync
    {
        get;
        set
        {
            field = value;
            Glfw.Fn.SwapInterval(value ? 1 : 0);
        }
    }

    public bool Fullscreen
    {
        get;
        set
        {
            if (field == value)
                return;
            var glfw = Glfw.Fn;
            if (value)
            {
                int x, y, w, h;
                glfw.GetWindowPos(_handle, &x, &y);
                glfw.GetWindowSize(_handle, &w, &h);
                _windowed = (x, y, w, h);
                IntPtr monitor = glfw.GetPrimaryMonitor();
                var mode = monitor == IntPtr.Zero ? null : glfw.GetVideoMode(monitor);
                if (mode == null)
                    return;
                glfw.SetWindowMonitor(_handle, monitor, 0, 0, mode->Width, mode->Height, mode->RefreshRate);
            }
            else
            {
                glfw.SetWindowMonitor(_handle, IntPtr.Zero, _windowed.X, _windowed.Y, _windowed.Width, _windowed.Height, 0);
            }
            field = value;
        }
    }

    public bool CursorHidden
    {
        get;
        set
        {
            field = value;
            Glfw.Fn.SetInputMode(_handle, Glfw.Cursor, value ? Glfw.CursorHidden : Glfw.CursorNormal);
        }
    }

    /// <summary>Opens a window and makes its context current on the calling thread. Needs a display.</summary>
    public static GlWindow Create(GlWindowOptions? options = null, ILogger? logger = null)
    {
        options = (options ?? GlWindowOptions.Default).Validate();
        var context = GlContext.CreateWithWindow(options.Width, options.Height, options.Title, visible: true, logger);
        try
        {
            return new GlWindow(context, options);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>Processes the window system's events and returns the input since the last call, oldest first.</summary>
    public IReadOnlyList<WindowInput> PollEvents()
    {
        Context.CheckThread();
        Glfw.Fn.PollEvents();
        var events = _events.ToList();
        _events.Clear();
        return events;
    }

    /// <summary>Draws <paramref name="source"/> into the window, scaled to fit with its aspect kept, and shows it.</summary>
    public void Present(Framebuffer source)
    {
        Context.CheckThread();
        var gl = Context.Gl;
        var (width, height) = FramebufferSize;
        gl.BindFramebuffer(GLEnum.DrawFramebuffer, 0);
        gl.Viewport(0, 0, (uint)width, (uint)height);
        gl.ClearColor(0f, 0f, 0f, 1f);
        gl.Clear(ClearBufferMask.ColorBufferBit);
        var fit = Fit(source.Width, source.Height, width, height);
        gl.BindFramebuffer(GLEnum.ReadFramebuffer, source.Id);
        gl.BlitFramebuffer(0, 0, source.Width, source.Height, fit.X, height - fit.Y - fit.Height, fit.X + fit.Width, height - fit.Y,
                           ClearBufferMask.ColorBufferBit, source.Width == fit.Width && source.Height == fit.Height ? GLEnum.Nearest : GLEnum.Linear);
        gl.BindFramebuffer(GLEnum.ReadFramebuffer, 0);
        Glfw.Fn.SwapBuffers(_handle);
    }

    /// <summary>Where a source of the given size lands in the window (top-left origin): the inverse maps pointer input onto the frame.</summary>
    public static (int X, int Y, int Width, int Height) Fit(int sourceWidth, int sourceHeight, int windowWidth, int windowHeight)
    {
        double scale = Math.Min((double)windowWidth / sourceWidth, (double)windowHeight / sourceHeight);
        int w = Math.Max(1, (int)Math.Round(sourceWidth * scale)), h = Math.Max(1, (int)Math.Round(sourceHeight * scale));
        return ((windowWidth - w) / 2, (windowHeight - h) / 2, w, h);
    }

    /// <summary>Asks the loop to end: <see cref="ShouldClose"/> becomes true.</summary>
    public void Close() => Glfw.Fn.SetWindowShouldClose(_handle, Glfw.True);

    /// <summary>Withdraws a close request (the window manager's close button, Alt+F4) that the app refuses.</summary>
    public void KeepOpen() => Glfw.Fn.SetWindowShouldClose(_handle, Glfw.False);

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        Open.TryRemove(_handle, out _);
        Context.Dispose();
    }

    [UnmanagedCallersOnly]
    private static void OnCursor(IntPtr window, double x, double y)
    {
        if (!Open.TryGetValue(window, out var self))
            return;
        self._cursorX = (float)x;
        self._cursorY = (float)y;
        self._events.Enqueue(new PointerMoved((float)x, (float)y));
    }

    [UnmanagedCallersOnly]
    private static void OnButton(IntPtr window, int button, int action, int mods)
    {
        if (Open.TryGetValue(window, out var self) && action is Glfw.Press or Glfw.Release)
            self._events.Enqueue(new PointerButton(button, action == Glfw.Press, self._cursorX, self._cursorY));
    }

    [UnmanagedCallersOnly]
    private static void OnKey(IntPtr window, int key, int scancode, int action, int mods)
    {
        if (Open.TryGetValue(window, out var self) && action is Glfw.Press or Glfw.Release)
            self._events.Enqueue(new KeyInput(key, action == Glfw.Press));
    }
}
