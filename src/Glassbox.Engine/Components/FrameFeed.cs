using System.Globalization;
using Glassbox.Engine.Live;
using Glassbox.Explain;
using Glassbox.Media;
using Glassbox.Visualisation;

namespace Glassbox.Engine;

/// <summary>
/// A live image source on its own capture thread (see <see cref="CaptureThread"/>): each new frame is
/// shown at the component's rectangle and, prepared for the model, submitted to the scene's
/// <see cref="CnnInference"/>. A digit model (one channel, 28×28) gets the frame as a digit on paper;
/// any other model gets it resized and normalised as its package says. A source that fails shows why
/// and keeps retrying.
/// </summary>
/// <remarks>
/// The source is any <see cref="IFrameSource"/>: set <see cref="Source"/> in code (a host engine's
/// <see cref="PixelSource"/>), or use <see cref="CameraFeed"/> and <see cref="VideoFeed"/>, which open
/// theirs through the scene's <see cref="Scene.Sources"/>, and <see cref="ImageFeed"/> (a still picture).
/// </remarks>
public class FrameFeed : Component, IPointerHandler
{
    /// <summary>The inference this reads: set in code, or in a scene file by the entity holding it ("inference": "Input"); unset, the scene's only one.</summary>
    public CnnInference? Inference { get; set; }

    private CaptureThread? _capture;

    public int X { get; set; } = 20;

    public int Y { get; set; } = 20;

    public int DisplayWidth { get; set; } = 320;

    public int DisplayHeight { get; set; } = 240;

    /// <summary>The frame shown now; null before the first.</summary>
    public RgbaImage? Current { get; private set; }

    /// <summary>Frames this feed has submitted to the model.</summary>
    public long Submitted { get; private set; }

    // The capture thread: plumbing, seen by the engine and its tests; the feed says what it does.
    internal CaptureThread? Capture => _capture;

    /// <summary>Frames read from the source since the feed was enabled.</summary>
    public long Captured => _capture?.Captured ?? 0;

    /// <summary>Frames the source delivered faster than the scene took them.</summary>
    public long Dropped => _capture?.Dropped ?? 0;

    /// <summary>Where the source stands: running, waiting to reopen after a failure, or ended.</summary>
    public SourceState State => _capture?.State ?? SourceState.Waiting;

    /// <summary>The source's last failure, kept until the next one; null when it never failed.</summary>
    public string? SourceError => _capture?.LastError;

    /// <summary>How many times the source was reopened after failing.</summary>
    public int Reconnections => _capture?.Reconnections ?? 0;

    /// <summary>Seconds the capture thread may be stuck inside the source before it is replaced; 0 turns the watchdog off.</summary>
    public float WatchdogSeconds { get; set; } = 5f;

    /// <summary>Times the watchdog replaced a stuck capture thread.</summary>
    public int WatchdogRestarts { get; private set; }

    /// <summary>The box the user is dragging or has set as the explained region, in scene coordinates; null for none.</summary>
    public (float X0, float Y0, float X1, float Y1)? TargetBox { get; private set; }

    private bool _dragging;

    /// <summary>True when the point lies on the feed's picture.</summary>
    public bool Contains(float x, float y) => x >= X && x < X + DisplayWidth && y >= Y && y < Y + DisplayHeight;

    /// <summary>
    /// Starts dragging an explained region at a point of the picture, when the scene's model explains
    /// regions (a dense output); false otherwise, and nothing changes.
    /// </summary>
    public bool BeginTargetBox(float x, float y)
    {
        if (!Contains(x, y) || Referenced(Inference, "inference") is not { ExplainsRegions: true })
            return false;
        _dragging = true;
        TargetBox = (x, y, x, y);
        return true;
    }

    public void DragTargetBox(float x, float y)
    {
        if (_dragging && TargetBox is { } box)
            TargetBox = (box.X0, box.Y0, Math.Clamp(x, X, X + DisplayWidth), Math.Clamp(y, Y, Y + DisplayHeight));
    }

    /// <summary>
    /// Ends the drag: the box, in the model's input pixels, becomes the inference's target (box:…);
    /// a click without a drag goes back to the whole map. Returns the target set.
    /// </summary>
    public string? EndTargetBox()
    {
        if (!_dragging || TargetBox is not { } box)
            return null;
        _dragging = false;
        var inference = Referenced(Inference, "inference");
        if (inference?.Package is not { } package || Current is not { } image)
        {
            TargetBox = null;
            return null;
        }
        var model = ToModelBox((X, Y, DisplayWidth, DisplayHeight), (image.Width, image.Height), package.Preprocessing.ToImageOptions(), box);
        string target = model is { } pixels ? $"box:{pixels}" : "top";
        if (model is null)
            TargetBox = null;
        inference.Retarget(target);
        return target;
    }

    /// <summary>On a feed whose model explains regions, a press starts dragging the explained box.</summary>
    public bool OnPointerDown(float x, float y) => BeginTargetBox(x, y);

    public void OnPointerMove(float x, float y) => DragTargetBox(x, y);

    public void OnPointerUp(float x, float y) => EndTargetBox();

    /// <summary>
    /// A box dragged on the displayed picture, in the model's input pixels: display → frame pixels →
    /// the tensor the preprocessing makes (stretched, letterboxed or cropped), clamped to it. Null for
    /// a drag of under two pixels either way (a click).
    /// </summary>
    public static PixelBox? ToModelBox((float X, float Y, int Width, int Height) display, (int Width, int Height) frame, ImageToTensorOptions options,
                                       (float X0, float Y0, float X1, float Y1) drag)
    {
        if (Math.Abs(drag.X1 - drag.X0) < 2 || Math.Abs(drag.Y1 - drag.Y0) < 2)
            return null;
        (double X, double Y) ToTensor(float sx, float sy) => ImageToTensor.MapPoint(frame.Width, frame.Height, options,
            (sx - display.X) * frame.Width / display.Width, (sy - display.Y) * frame.Height / display.Height);
        var a = ToTensor(Math.Min(drag.X0, drag.X1), Math.Min(drag.Y0, drag.Y1));
        var b = ToTensor(Math.Max(drag.X0, drag.X1), Math.Max(drag.Y0, drag.Y1));
        int x0 = Math.Clamp((int)Math.Floor(a.X), 0, options.Width - 1), y0 = Math.Clamp((int)Math.Floor(a.Y), 0, options.Height - 1);
        int x1 = Math.Clamp((int)Math.Ceiling(b.X), x0 + 1, options.Width), y1 = Math.Clamp((int)Math.Ceiling(b.Y), y0 + 1, options.Height);
        return new PixelBox(x0, y0, x1, y1);
    }

    /// <summary>
    /// Opens the source this feed reads; called on the capture thread at the start and again after each failure.
    /// Set it before the feed is enabled (added to an active entity).
    /// </summary>
    public Func<IFrameSource>? Source { get; set; }

    /// <summary>How status lines name the source.</summary>
    public string Name { get; set; } = "frame source";

    /// <summary>For a one-channel 28×28 model, read each frame as a digit on paper (found, cropped and centred as MNIST's were); false resizes it as the package says.</summary>
    public bool Digit { get; set; } = true;

    /// <summary>Opens the source; called on the capture thread at every (re)connection.</summary>
    protected virtual IFrameSource OpenSource() =>
        Source?.Invoke() ?? throw new GlassboxException($"{Describe()}: the feed has no source; set FrameFeed.Source before enabling it, or use a CameraFeed or VideoFeed.");

    protected virtual string Describe() => Name;

    /// <summary>The scene's factory for cameras and video files, or a clear error naming what the host must supply.</summary>
    protected IFrameSourceFactory Sources => Scene.Sources ?? throw new GlassboxException(
        $"{Describe()}: this scene has no frame-source factory; the host creates the scene with one (Glassbox.Media's GStreamerSources for cameras, files and test patterns).");

    protected internal override void OnEnable()
    {
        _capture = new CaptureThread(new ReconnectingSource(OpenSource, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5), Scene.Clock), Describe(), Scene.Clock);
    }

    protected internal override void OnDisable()
    {
        _capture?.Dispose();
        _capture = null;
    }

    protected internal override void Update(FrameTime time)
    {
        if (WatchdogSeconds > 0f && _capture is { } capture && capture.SinceProgress is var stuck && stuck > TimeSpan.FromSeconds(WatchdogSeconds))
        {
            WatchdogRestarts++;
            Scene.Report(ToString(), "Watchdog", new GlassboxException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()}: the capture thread was stuck for {stuck.TotalSeconds:0.0} s (limit {WatchdogSeconds:0.#} s); a fresh one replaced it.")));
            // Letting go of the stuck one may wait for it; that happens off the render thread.
            Task.Run(capture.Dispose);
            OnEnable();
        }
        var inference = Referenced(Inference, "inference");
        if (_capture?.TakeNewest() is { Image: { } image })
            Current = image;
        else if (inference is not { WantsFrame: true } || Current is null)
            return;
        // While a frame still waits for the network (or the network is paused), this one is shown but not handed
        // over: it would replace the waiting one unexplained.
        if (inference?.Package is null || inference.Paused || inference.Worker is { InputWaiting: true })
            return;
        long sequence = inference.SubmitFrame(Current!, Scene.Now, Digit);
        KeepForItsResult(sequence, Current!);
        Submitted++;
    }

    /// <summary>
    /// Shows each result over the newest frame rather than over the frame it was computed from: the picture then
    /// runs ahead of its overlay by the network's latency. Off by default.
    /// </summary>
    public bool LiveFrame { get; set; }

    // Copies of the frames handed to the network, by sequence number, so a result is drawn over its own frame.
    // Two frames are in flight at most (one running, one waiting); four slots leave room, and are reused.
    private readonly RgbaImage?[] _submittedFrames = new RgbaImage?[4];
    private readonly long[] _submittedSequences = new long[4];
    private int _nextSlot;

    private void KeepForItsResult(long sequence, RgbaImage frame)
    {
        ref var slot = ref _submittedFrames[_nextSlot];
        if (slot is not { } copy || copy.Width != frame.Width || copy.Height != frame.Height)
            slot = copy = new RgbaImage(frame.Width, frame.Height);
        frame.Pixels.AsSpan().CopyTo(copy.Pixels);
        _submittedSequences[_nextSlot] = sequence;
        _nextSlot = (_nextSlot + 1) % _submittedFrames.Length;
    }

    /// <summary>The frame drawn now: the one the latest result explains (unless <see cref="LiveFrame"/>), else the newest.</summary>
    public RgbaImage? Shown
    {
        get
        {
            if (!LiveFrame && Referenced(Inference, "inference")?.Latest is { } result)
            {
                for (int i = 0; i < _submittedFrames.Length; i++)
                {
                    if (_submittedSequences[i] == result.Sequence && _submittedFrames[i] is { } explained)
                        return explained;
                }
            }
            return Current;
        }
    }

    protected internal override void Render(IRenderer renderer)
    {
        if (Shown is { } image)
            renderer.DrawImage(image, X, Y, DisplayWidth, DisplayHeight);
        else
            renderer.FillRect(X, Y, DisplayWidth, DisplayHeight, 0xFF000000u);
        if (TargetBox is { } box)
        {
            // The explained region: a 2-pixel outline.
            int left = (int)Math.Min(box.X0, box.X1), top = (int)Math.Min(box.Y0, box.Y1);
            int width = Math.Max(2, (int)Math.Abs(box.X1 - box.X0)), height = Math.Max(2, (int)Math.Abs(box.Y1 - box.Y0));
            const uint outline = 0xFF00E5FFu;
            renderer.FillRect(left, top, width, 2, outline);
            renderer.FillRect(left, top + height - 2, width, 2, outline);
            renderer.FillRect(left, top, 2, height, outline);
            renderer.FillRect(left + width - 2, top, 2, height, outline);
        }
        if (_capture is { State: not SourceState.Running } capture)
        {
            string status = capture.LastError is { } error ? $"{Describe()}: {capture.State.ToString().ToLowerInvariant()} ({error})" : $"{Describe()}: {capture.State.ToString().ToLowerInvariant()}";
            renderer.DrawText(status, X + 8, Y + 8, 0xFFFFFFFFu);
        }
    }
}
