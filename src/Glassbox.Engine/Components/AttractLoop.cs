using Glassbox.Media;
using Glassbox.Visualisation;

namespace Glassbox.Engine;

/// <summary>
/// The kiosk's attract mode: when nobody has drawn for <see cref="IdleSeconds"/>, the scene's canvas
/// replays the recorded drawings of the digits, one every <see cref="StepSeconds"/>, with a line of text
/// for visitors; the moment someone starts a stroke, the replayed drawing is cleared and the visitor's
/// own takes over.
/// </summary>
public sealed class AttractLoop : Component
{
    private DrawingCanvasInput? _canvas;
    private TimeSpan _nextStep;
    private int _digit;

    public float IdleSeconds { get; set; } = 60f;

    public float StepSeconds { get; set; } = 4f;

    public string Text { get; set; } = "Draw a digit with your finger: the network will guess it and show where it looked.";

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
    }

    protected internal override void Start()
    {
        _canvas = Scene.Active<DrawingCanvasInput>().FirstOrDefault();
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
        _canvas.Clear();
        float scale = (float)_canvas.Resolution / DigitStrokes.CanvasSize;
        foreach (var stroke in DigitStrokes.For(_digit))
            _canvas.AddStroke(stroke.Select(p => p with { X = p.X * scale, Y = p.Y * scale }));
        _digit = (_digit + 1) % 10;
        Replayed++;
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
        _canvas!.Clear();
    }
}
