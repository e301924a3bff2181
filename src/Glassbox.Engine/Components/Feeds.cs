using Glassbox.Explain;
using System.Diagnostics;
using System.Globalization;
using Glassbox.Engine.Live;
using Glassbox.Inference;
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
public abstract class FrameFeed : Component
{
    private CaptureThread? _capture;
    private ModelPreprocessing? _preparedFor;
    private ImageToTensorOptions? _options;
    private float[] _tensor = [];

    public int X { get; set; } = 20;

    public int Y { get; set; } = 20;

    public int DisplayWidth { get; set; } = 320;

    public int DisplayHeight { get; set; } = 240;

    /// <summary>The frame shown now; null before the first.</summary>
    public RgbaImage? Current { get; private set; }

    /// <summary>Frames this feed has submitted to the model.</summary>
    public long Submitted { get; private set; }

    public CaptureThread? Capture => _capture;

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
        if (!Contains(x, y) || Scene.Active<CnnInference>().FirstOrDefault() is not { ExplainsRegions: true })
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
        var inference = Scene.Active<CnnInference>().FirstOrDefault();
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

    /// <summary>Opens the source; called on the capture thread at every (re)connection.</summary>
    protected abstract GStreamerSource OpenSource();

    protected abstract string Describe();

    protected internal override void OnEnable()
    {
        _capture = new CaptureThread(new ReconnectingSource(OpenSource, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5)), Describe());
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
        if (_capture?.TakeNewest() is not { Image: { } image } frame)
            return;
        Current = image;
        var inference = Scene.Active<CnnInference>().FirstOrDefault();
        // While a prepared frame still waits for the network (or the network is paused), this one is shown but not
        // prepared: it would replace the waiting one unexplained, and preparing it takes the cores the network runs on.
        if (inference?.Package is not { } package || inference.Paused || inference.Worker is { InputWaiting: true })
            return;
        long start = Stopwatch.GetTimestamp();
        var p = package.Preprocessing;
        if (!ReferenceEquals(_preparedFor, p))
        {
            // Made once per model: each frame is then prepared into the same tensor.
            _preparedFor = p;
            _options = p.ToImageOptions();
            _tensor = new float[p.Channels * p.Height * p.Width];
        }
        if (p.Channels == 1 && p.Height == 28 && p.Width == 28)
            p.NormaliseGray(PaperDigit.ToMnist(image), _tensor);
        else
            ImageToTensor.Run(image, _options!, _tensor);
        inference.Submit(_tensor, CnnInference.Now, Stopwatch.GetElapsedTime(start));
        Submitted++;
    }

    protected internal override void Render(IRenderer renderer)
    {
        if (Current is { } image)
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

/// <summary>A camera ("auto" for the first one), named "CameraFeed" in scene files.</summary>
public sealed class CameraFeed : FrameFeed
{
    public string Device { get; set; } = "auto";

    public int Width { get; set; } = 640;

    public int Height { get; set; } = 480;

    public int Fps { get; set; } = 30;

    protected override GStreamerSource OpenSource() => Cameras.Open(Device, Width, Height, Fps);

    protected override string Describe() => $"camera {Device}";
}

/// <summary>A video file (looped if asked) or, with <see cref="Pattern"/>, GStreamer's live test pattern.</summary>
public sealed class VideoFeed : FrameFeed
{
    /// <summary>A video file to play.</summary>
    public string Path { get; set; } = "";

    public bool Loop { get; set; } = true;

    /// <summary>A videotestsrc pattern ("ball", "smpte", …) instead of a file.</summary>
    public string Pattern { get; set; } = "";

    public int Width { get; set; } = 640;

    public int Height { get; set; } = 480;

    public int Fps { get; set; } = 30;

    protected internal override void Awake()
    {
        if ((Path.Length == 0) == (Pattern.Length == 0))
            throw new GlassboxException("VideoFeed needs either a path (a video file) or a pattern (a GStreamer test pattern such as \"ball\"), not both.");
    }

    protected override GStreamerSource OpenSource() =>
        Pattern.Length > 0 ? GStreamerSource.TestPattern(Pattern, Width, Height, Fps) : GStreamerSource.OpenFile(Scene.ResolvePath(Path), Loop);

    protected override string Describe() => Pattern.Length > 0 ? string.Create(CultureInfo.InvariantCulture, $"test pattern {Pattern}") : $"video {System.IO.Path.GetFileName(Path)}";
}

/// <summary>A still image file as the input: read once (PNG, JPEG, BMP, GIF), shown, and submitted to the model.</summary>
public sealed class ImageFeed : Component
{
    [RequiredField]
    public string Path { get; set; } = "";

    public int X { get; set; } = 20;

    public int Y { get; set; } = 20;

    public int DisplayWidth { get; set; } = 320;

    public int DisplayHeight { get; set; } = 240;

    /// <summary>Read the image as a digit on paper (for 28×28 one-channel models); false to resize it as the package says.</summary>
    public bool Digit { get; set; } = true;

    public RgbaImage? Image { get; private set; }

    private bool _submitted;

    protected internal override void Awake() => Image = ImageFile.Load(Scene.ResolvePath(Path));

    protected internal override void OnEnable() => _submitted = false;

    protected internal override void Update(FrameTime time)
    {
        if (_submitted || Image is null || Scene.Active<CnnInference>().FirstOrDefault() is not { Package: { } package } inference)
            return;
        var p = package.Preprocessing;
        var tensor = new float[p.Channels * p.Height * p.Width];
        if (Digit && p.Channels == 1 && p.Height == 28 && p.Width == 28)
            p.NormaliseGray(PaperDigit.ToMnist(Image), tensor);
        else
            ImageToTensor.Run(Image, p.ToImageOptions(), tensor);
        inference.Submit(tensor, CnnInference.Now, TimeSpan.Zero);
        _submitted = true;
    }

    protected internal override void Render(IRenderer renderer)
    {
        if (Image is not null)
            renderer.DrawImage(Image, X, Y, DisplayWidth, DisplayHeight);
    }
}
