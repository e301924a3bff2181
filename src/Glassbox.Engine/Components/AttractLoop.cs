using Glassbox.Engine.Recording;
using Glassbox.Media;
using Glassbox.Visualisation;

namespace Glassbox.Engine;

/// <summary>
/// The kiosk's attract mode: when nobody has drawn for <see cref="IdleSeconds"/>, the scene's canvas
/// replays drawings with a line of text for visitors: a recorded session (<see cref="Recording"/>, drawn
/// stroke by stroke at its recorded pace, then again after <see cref="StepSeconds"/>), or else the
/// stroke set's digits, one every <see cref="StepSeconds"/>. The moment someone starts a stroke, the
/// replayed drawing is cleared and the visitor's own takes over.
/// </summary>
public sealed class AttractLoop : Component
{
    /// <summary>The canvas this draws on: set in code, or in a scene file by the entity holding it ("canvas": "Input"); unset, the scene's only one.</summary>
    public DrawingCanvasInput? Canvas { get; set; }

    private DrawingCanvasInput? _canvas;
    private SessionPlayback? _playback;
    private TimeSpan _nextStep;
    private TimeSpan? _playbackBegan;
    private int _digit;

    /// <summary>A session recording (.gbrec) to replay; empty replays the stroke set's digits.</summary>
    public string Recording { get; set; } = "";

    public float IdleSeconds { get; set; } = 60f;

    public float StepSeconds { get; set; } = 4f;

    /// <summary>What the loop says to a passer-by while it plays; a scene names what its model expects (the demo's kiosk: "Draw a digit…").</summary>
    public string Text { get; set; } = "Nobody here? This is what it does. Touch the screen to try it yourself.";

    public int X { get; set; } = 40;

    public int Y { get; set; } = 700;

    /// <summary>True while drawings are being replayed.</summary>
    public bool Attracting { get; private set; }

    /// <summary>Drawings replayed so far.</summary>
    public int Replayed { get; private set; }

    protected internal override void Awake()
    {
        if (!(IdleSeconds >= 0f) || !(StepSeconds > 0f))
            throw new GlassboxException($"AttractLoop needs idleSeconds ≥ 0 and stepSeconds > 0 (got {IdleSeconds} and {StepSeconds}).");
        if (Recording.Length > 0)
            _playback = new SessionPlayback(SessionRecording.Load(Scene.ResolvePath(Recording)));
    }

    protected internal override void Start()
    {
        _canvas = Referenced(Canvas, "canvas");
        if (_canvas is not null)
            _canvas.UserInputStarted += Interrupt;
    }

    protected internal override void OnDestroy()
    {
        if (_canvas is not null)
            _canvas.UserInputStarted -= Interrupt;
    }

    protected internal override void Update(FrameTime time)
    {
        if (_canvas is null)
            return;
        var idleSince = _canvas.LastUserInput ?? TimeSpan.Zero;
        if (!Attracting && time.Elapsed - idleSince >= TimeSpan.FromSeconds(IdleSeconds))
        {
            Attracting = true;
            _nextStep = time.Elapsed;
        }
        if (!Attracting || time.Elapsed < _nextStep)
            return;
        if (_playback is not null)
        {
            PlayRecording(time);
            return;
        }
        _canvas.Clear();
        float scale = (float)_canvas.Resolution / DigitStrokes.CanvasSize;
        foreach (var stroke in DigitStrokes.For(_digit))
            _canvas.AddStroke(stroke.Select(p => p with { X = p.X * scale, Y = p.Y * scale }));
        _digit = (_digit + 1) % 10;
        Replayed++;
        _nextStep = time.Elapsed + TimeSpan.FromSeconds(StepSeconds);
    }

    private void PlayRecording(FrameTime time)
    {
        if (_playbackBegan is null)
        {
            _canvas!.Clear();
            _playbackBegan = time.Elapsed;
        }
        _playback!.Advance(time.Elapsed - _playbackBegan.Value, Scene, _canvas, sendKeys: false);
        if (!_playback.Finished)
            return;
        // Played to the end: the last drawing stays for a step, then the session starts over.
        Replayed++;
        _playback.Rewind();
        _playbackBegan = null;
        _nextStep = time.Elapsed + TimeSpan.FromSeconds(StepSeconds);
    }

    protected internal override void Render(IRenderer renderer)
    {
        if (Attracting && Text.Length > 0)
            renderer.DrawText(Text, X, Y, 0xFFFFFFFFu);
    }

    private void Interrupt()
    {
        if (!Attracting)
            return;
        Attracting = false;
        _playback?.Rewind();
        _playbackBegan = null;
        _canvas!.Clear();
    }
}
