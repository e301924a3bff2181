using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Glassbox.Graphics.Native;
using Microsoft.Extensions.Logging;
using Silk.NET.OpenGL;

namespace Glassbox.Graphics;

/// <summary>A message from the driver's GL debug output.</summary>
public sealed record GlDebugMessage(bool IsError, string Severity, string Text);

/// <summary>
/// An OpenGL 4.3 core context and the thread that owns it. Every GL resource belongs to one
/// context and may only be touched on its thread (a GL call from another thread silently does
/// nothing), so resources check the thread, and other threads hand work over with <see cref="Post"/>.
/// </summary>
public sealed unsafe class GlContext : IDisposable
{
    // The GLFW window of a context Glassbox made; null for a host's context, which Glassbox never destroys.
    private readonly GlfwSurface? _surface;

    /// <summary>The GLFW window this context was made with; zero for a host's context.</summary>
    internal IntPtr Window => _surface?.Window ?? IntPtr.Zero;
    private readonly ConcurrentQueue<Action> _posted = new();
    private readonly List<GlDebugMessage> _debugMessages = [];
    private GCHandle _self;
    private bool _disposed;

    private readonly ILogger? _logger;

    private GlContext(GL gl, GlfwSurface? surface, ILogger? logger)
    {
        _logger = logger;
        Gl = gl;
        _surface = surface;
        OwnerThreadId = Environment.CurrentManagedThreadId;
        Renderer = gl.GetStringS(GLEnum.Renderer);
        Version = gl.GetStringS(GLEnum.Version);
        Vendor = gl.GetStringS(GLEnum.Vendor);
        GlLoader.RequireVersion(gl, Renderer);
        IsCoreProfile = (gl.GetInteger(GLEnum.ContextProfileMask) & (int)GLEnum.ContextCoreProfileBit) != 0;

        // A host engine's context keeps its own debug callback; Glassbox listens only on contexts it made.
        if (surface is null)
            return;
        _self = GCHandle.Alloc(this);
        gl.Enable(GLEnum.DebugOutput);
        gl.Enable(GLEnum.DebugOutputSynchronous);
        gl.DebugMessageCallback(DebugCallback, (void*)GCHandle.ToIntPtr(_self));
    }

    internal GL Gl { get; }

    public string Renderer { get; }

    public string Version { get; }

    public string Vendor { get; }

    public bool IsCoreProfile { get; }

    public int OwnerThreadId { get; }

    /// <summary>Raised on the owner thread for each driver debug message.</summary>
    public event Action<GlDebugMessage>? DebugMessageReceived;

    /// <summary>Debug messages received so far (the latest 256).</summary>
    public IReadOnlyList<GlDebugMessage> DebugMessages
    {
        get
        {
            lock (_debugMessages)
                return _debugMessages.ToArray();
        }
    }

    public int DebugErrorCount { get; private set; }

    /// <summary>
    /// Whether a window system is there to open a context on (Windows, or DISPLAY / WAYLAND_DISPLAY set):
    /// the cheap check before choosing between a window or GPU rendering and the CPU path.
    /// </summary>
    public static bool DisplayAvailable =>
        OperatingSystem.IsWindows() || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY")) || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("WAYLAND_DISPLAY"));

    /// <summary>
    /// Creates a hidden window with a 4.3 core, debug-enabled context and makes it current on the
    /// calling thread, which becomes its owner. Needs a display (under CI: xvfb-run).
    /// </summary>
    /// <param name="logger">Receives the driver's debug output (errors as errors, performance notes as warnings).</param>
    public static GlContext CreateOffscreen(ILogger? logger = null) => CreateWithWindow(64, 64, "Glassbox offscreen", visible: false, logger);

    /// <summary>A context with its own GLFW window (hidden or shown), current on the calling thread.</summary>
    internal static GlContext CreateWithWindow(int width, int height, string titleText, bool visible, ILogger? logger)
    {
        var surface = GlfwSurface.Create(width, height, titleText, visible);
        try
        {
            return new GlContext(GlLoader.Load(GlfwSurface.ProcAddress), surface, logger);
        }
        catch
        {
            surface.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Wraps a context a host engine already made current on this thread; Glassbox loads GL
    /// functions through the engine's <paramref name="getProcAddress"/>, never destroys the context
    /// and leaves its debug output to the engine (<see cref="DebugMessages"/> stays empty).
    /// </summary>
    public static GlContext FromCurrent(Func<string, IntPtr> getProcAddress, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(getProcAddress);
        return new GlContext(GlLoader.Load(getProcAddress), surface: null, logger);
    }

    /// <summary>Queues work for the owner thread; any thread may call it.</summary>
    public void Post(Action work) => _posted.Enqueue(work);

    /// <summary>Runs queued work; call on the owner thread once a frame.</summary>
    public int RunPosted()
    {
        CheckThread();
        int count = 0;
        while (_posted.TryDequeue(out var work))
        {
            work();
            count++;
        }
        return count;
    }

    /// <summary>Blocks until the GPU has finished all submitted work.</summary>
    public void Finish()
    {
        CheckThread();
        Gl.Finish();
    }

    /// <summary>Throws when called from a thread other than the owner.</summary>
    public void CheckThread([CallerMemberName] string caller = "")
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Environment.CurrentManagedThreadId != OwnerThreadId)
        {
            throw new InvalidOperationException(
                $"{caller} was called on thread {Environment.CurrentManagedThreadId}, but the GL context belongs to thread {OwnerThreadId}. " +
                "GL calls from another thread do nothing; hand the work over with GlContext.Post.");
        }
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        CheckThread();
        _disposed = true;
        if (_self.IsAllocated)
        {
            Gl.DebugMessageCallback(null, (void*)null);
            _self.Free();
        }
        _surface?.Dispose();
    }

    /// <summary>GL function addresses of the GLFW context current on this thread (for tests that play a host engine).</summary>
    internal static IntPtr GlfwProcAddress(string name) => GlfwSurface.ProcAddress(name);

    // One delegate for every context (the context comes in as userParam); a static field keeps it alive
    // for as long as a driver may call it.
    private static readonly DebugProc DebugCallback = OnDebugMessage;

    private static void OnDebugMessage(GLEnum source, GLEnum type, int id, GLEnum severity, int length, nint message, nint userParam)
    {
        if (GCHandle.FromIntPtr(userParam).Target is not GlContext context)
            return;
        if (severity == GLEnum.DebugSeverityNotification)
            return;
        string text = length > 0 ? System.Text.Encoding.UTF8.GetString((byte*)message, length) : Marshal.PtrToStringUTF8(message) ?? "";
        bool isError = type == GLEnum.DebugTypeError;
        string level = severity == GLEnum.DebugSeverityHigh ? "high" : severity == GLEnum.DebugSeverityMedium ? "medium" : "low";
        var entry = new GlDebugMessage(isError, level, text.TrimEnd());
        lock (context._debugMessages)
        {
            if (context._debugMessages.Count == 256)
                context._debugMessages.RemoveAt(0);
            context._debugMessages.Add(entry);
        }
        if (isError)
            context.DebugErrorCount++;
        try
        {
            context._logger?.Log(isError ? LogLevel.Error : severity == GLEnum.DebugSeverityHigh ? LogLevel.Warning : LogLevel.Debug,
                "OpenGL {Severity}: {Message}", level, entry.Text);
            context.DebugMessageReceived?.Invoke(entry);
        }
        catch (Exception e)
        {
            // An exception must not unwind into the driver; keep it as a message instead.
            lock (context._debugMessages)
                context._debugMessages.Add(new GlDebugMessage(true, "high", $"debug handler threw: {e.Message}"));
        }
    }
}
