using System.Diagnostics;
using Glassbox.Engine;
using Glassbox.Graphics;
using Glassbox.Media;
using Glassbox.Visualisation;

namespace Glassbox.Host;

/// <summary>Settings of a <see cref="LiveHost"/>.</summary>
public sealed record LiveHostOptions
{
    public static LiveHostOptions Default { get; } = new();

    public GlWindowOptions Window { get; init; } = GlWindowOptions.Default;

    /// <summary>Size the scene is drawn at; the window shows it scaled to fit.</summary>
    public int SceneWidth { get; init; } = 1280;

    public int SceneHeight { get; init; } = 720;

    /// <summary>The clock frames are timed on and the kiosk's idle cursor waits on; the scene keeps its own (<see cref="Engine.SceneServices"/>).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Where screenshots (F12) go.</summary>
    public string ScreenshotFolder { get; init; } = "screenshots";

    /// <summary>Kiosk mode (null for an ordinary window): see <see cref="KioskOptions"/>.</summary>
    public KioskOptions? Kiosk { get; init; }
}

/// <summary>
/// An unattended exhibit: Escape, F11 and the window manager's close do nothing, only the keys the application
/// chose quit (<see cref="ExitWhen"/>), and the cursor hides when the pointer rests.
/// </summary>
public sealed record KioskOptions
{
    public static KioskOptions Default { get; } = new();

    /// <summary>
    /// Asked with the window keys held (GLFW key codes, as <see cref="WindowKey"/>) each time one more is pressed;
    /// true quits. Null: no key quits (the exhibit is stopped by its service manager).
    /// </summary>
    public Func<IReadOnlySet<int>, bool>? ExitWhen { get; init; }

    /// <summary>Seconds without pointer movement after which the cursor is hidden; it shows again on the next move.</summary>
    public float HideCursorAfterSeconds { get; init; } = 3f;
}

/// <summary>What one frame of the host cost, for the stats panel and the benchmarks.</summary>
public readonly record struct HostFrameTimes(TimeSpan Input, TimeSpan Update, TimeSpan Record, TimeSpan Draw, TimeSpan Present);

/// <summary>
/// Runs a scene in a window on the calling thread (the render thread): each frame routes input,
/// updates the scene, records it on a <see cref="SceneCanvas"/>, draws it on the GPU and presents.
/// Inference runs on its own thread inside the scene, so a frame never waits for the network. Keys:
/// Escape quits, F11 toggles fullscreen, F12 saves a screenshot; letters and Backspace ('\b') go to the
/// scene's key handlers, and the pointer to its pointer handlers (buttons, the canvas, a feed's target
/// box): the host only dispatches. In kiosk mode only the application's exit keys quit, and the cursor hides
/// while the pointer rests.
/// Owns the window, the renderer and the scene.
/// </summary>
public sealed class LiveHost : IDisposable
{
    private readonly GlWindow _window;
    private readonly SceneCanvasRenderer _renderer;
    private readonly SceneCanvas _canvas;
    private readonly TimeProvider _time;
    private readonly long _startedAt;
    private readonly List<Task> _pendingScreenshots = [];
    private readonly KioskOptions? _kiosk;
    private readonly HashSet<int> _heldKeys = [];
    private TimeSpan _last, _lastPointerMove;
    private bool _exitRequested;
    private long _frame;

    private LiveHost(Scene scene, GlWindow window, SceneCanvasRenderer renderer, LiveHostOptions options)
    {
        Scene = scene;
        _window = window;
        _renderer = renderer;
        Options = options;
        _canvas = renderer.CreateCanvas();
        _kiosk = options.Kiosk;
        _time = options.Clock;
        _startedAt = _time.GetTimestamp();
    }

    public Scene Scene { get; }

    public LiveHostOptions Options { get; }

    public GlWindow Window => _window;

    public long Frames => _frame;

    public HostFrameTimes LastFrame { get; private set; }

    /// <summary>Screenshots saved so far (paths).</summary>
    public List<string> Screenshots { get; } = [];

    /// <summary>Opens the window for <paramref name="scene"/>; the host owns the scene from here.</summary>
    public static LiveHost Open(Scene scene, LiveHostOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(scene);
        options ??= LiveHostOptions.Default;
        if (options.Kiosk is { } kiosk)
        {
            // Settings are checked before a window opens.
            if (!(kiosk.HideCursorAfterSeconds >= 0f))
                throw new GlassboxException($"HideCursorAfterSeconds is {kiosk.HideCursorAfterSeconds}; use 0 or more seconds.");
        }
        var window = GlWindow.Create(options.Window);
        try
        {
            var font = BakedFont.Default;
            var renderer = new SceneCanvasRenderer(window.Context, ShaderLibrary.FindDefault(), font, options.SceneWidth, options.SceneHeight);
            return new LiveHost(scene, window, renderer, options);
        }
        catch
        {
            window.Dispose();
            throw;
        }
    }

    /// <summary>Runs frames until the window closes or <paramref name="until"/> says stop.</summary>
    public void Run(Func<LiveHost, bool>? until = null)
    {
        while (!_window.ShouldClose && !(until?.Invoke(this) ?? false))
            RunFrame();
    }

    /// <summary>One frame: input, update, record, draw, present.</summary>
    public void RunFrame()
    {
        long t0 = Stopwatch.GetTimestamp();
        foreach (var input in _window.PollEvents())
            Route(input);
        var now = Now;
        if (Options.Kiosk is { } kiosk)
        {
            if (_window.ShouldClose && !_exitRequested)
                _window.KeepOpen();
            bool idle = now - _lastPointerMove > TimeSpan.FromSeconds(kiosk.HideCursorAfterSeconds);
            if (_window.CursorHidden != idle)
                _window.CursorHidden = idle;
        }
        long t1 = Stopwatch.GetTimestamp();
        Scene.Update(new FrameTime(++_frame, now, now - _last));
        _last = now;
        long t2 = Stopwatch.GetTimestamp();
        _canvas.Begin();
        Scene.Render(_canvas);
        long t3 = Stopwatch.GetTimestamp();
        _renderer.Render(_canvas);
        long t4 = Stopwatch.GetTimestamp();
        _window.Present(_renderer.Target);
        long t5 = Stopwatch.GetTimestamp();
        LastFrame = new HostFrameTimes(Stopwatch.GetElapsedTime(t0, t1), Stopwatch.GetElapsedTime(t1, t2), Stopwatch.GetElapsedTime(t2, t3),
                                       Stopwatch.GetElapsedTime(t3, t4), Stopwatch.GetElapsedTime(t4, t5));
    }

    /// <summary>Saves the last drawn frame as a PNG (encoded off the render thread) and returns its path.</summary>
    public string Screenshot(string? path = null)
    {
        path ??= Path.Combine(Options.ScreenshotFolder, $"glassbox-{DateTime.Now:yyyyMMdd-HHmmss}-{_frame:D6}.png");
        var image = _renderer.Target.Read();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _pendingScreenshots.Add(Task.Run(() => ImageFile.Save(path, image)));
        Screenshots.Add(path);
        return path;
    }

    public void Dispose()
    {
        Task.WaitAll([.. _pendingScreenshots]);
        // The scene first: it stops the inference thread while the window still exists.
        Scene.Dispose();
        _renderer.Dispose();
        _window.Dispose();
    }

    private void Route(WindowInput input)
    {
        switch (input)
        {
            case PointerButton { Button: 0, Pressed: true } down:
                var (x, y) = ToScene(down.X, down.Y);
                Scene.SendPointerDown(x, y);
                break;
            case PointerMoved moved:
                _lastPointerMove = Now;
                var (mx, my) = ToScene(moved.X, moved.Y);
                Scene.SendPointerMove(mx, my);
                break;
            case PointerButton { Button: 0, Pressed: false } up:
                var (ux, uy) = ToScene(up.X, up.Y);
                Scene.SendPointerUp(ux, uy);
                break;
            case KeyInput { Pressed: false } key:
                _heldKeys.Remove(key.Code);
                break;
            case KeyInput { Pressed: true } key when _kiosk is { ExitWhen: { } exitWhen } && _heldKeys.Add(key.Code) && exitWhen(_heldKeys):
                _exitRequested = true;
                _window.Close();
                break;
            case KeyInput { Pressed: true } key when _kiosk is not null && (key.Is(WindowKey.Escape) || key.Is(WindowKey.F11)):
                break;
            case KeyInput { Pressed: true } key when key.Is(WindowKey.Escape):
                _window.Close();
                break;
            case KeyInput { Pressed: true } key when key.Is(WindowKey.F11):
                _window.Fullscreen = !_window.Fullscreen;
                break;
            case KeyInput { Pressed: true } key when key.Is(WindowKey.F12):
                Screenshot();
                break;
            case KeyInput { Pressed: true, Code: >= (int)WindowKey.A and <= (int)WindowKey.Z } key:
                Scene.SendKey((char)('a' + key.Code - (int)WindowKey.A));
                break;
            case KeyInput { Pressed: true } key when key.Is(WindowKey.Backspace):
                Scene.SendKey('\b');
                break;
        }
    }

    private TimeSpan Now => _time.GetElapsedTime(_startedAt);

    // Window pixels → scene pixels, through the same fit the present uses.
    private (float X, float Y) ToScene(float x, float y)
    {
        var (width, height) = _window.FramebufferSize;
        var fit = GlWindow.Fit(Options.SceneWidth, Options.SceneHeight, width, height);
        return ((x - fit.X) * Options.SceneWidth / fit.Width, (y - fit.Y) * Options.SceneHeight / fit.Height);
    }
}
