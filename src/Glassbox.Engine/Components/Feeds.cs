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
