using Glassbox.Visualisation;

using System.Diagnostics;
using Glassbox.Media;

namespace Glassbox.Engine;

/// <summary>
/// A drawing canvas as the scene's input: the host feeds it pointer events, and each change is
/// prepared as an MNIST digit and submitted to the scene's <see cref="CnnInference"/>. Draws the
/// paper (dark ink on light) at its rectangle. Named "DrawingCanvas" in scene files.
/// </summary>
public sealed class DrawingCanvasInput : Component
{
    private DrawingCanvas _canvas = null!;
    private RgbaImage? _view;
    private int _version, _submitted, _inkVersion = -1;
    private byte[] _ink = [];

    public int X { get; set; } = 20;

    public int Y { get; set; } = 20;

    /// <summary>Side of the square the canvas is shown in, in target pixels.</summary>
    public int Size { get; set; } = 280;

    /// <summary>Side of the canvas itself, in canvas pixels.</summary>
    public int Resolution { get; set; } = 280;

    public float BrushWidth { get; set; } = 22f;

    public bool IsEmpty => _canvas.IsEmpty;

    /// <summary>Sequence number of the last drawing submitted to the model (0 before the first): the result with it shows this drawing.</summary>
    public long LastSequence { get; private set; }

    /// <summary>Maps a target pixel into canvas coordinates; null outside the canvas.</summary>
    public StrokePoint? ToCanvas(float targetX, float targetY, float pressure = 1f)
    {
        float u = (targetX - X) / Size, v = (targetY - Y) / Size;
        return u is < 0f or > 1f || v is < 0f or > 1f ? null : new StrokePoint(u * Resolution, v * Resolution, pressure);
    }

    /// <summary>When a person last drew (pointer strokes through Begin/Continue/EndStroke), on the scene's clock; null before anyone has.</summary>
    public TimeSpan? LastUserInput { get; private set; }

    public void BeginStroke(StrokePoint point)
    {
        UserInputStarted?.Invoke();
        LastUserInput = Scene.Time.Elapsed;
        Changed(() => _canvas.BeginStroke(point));
    }

    /// <summary>Raised when a person starts a stroke, before it is drawn (an attract loop clears its drawing).</summary>
    public event Action? UserInputStarted;

    public void ContinueStroke(StrokePoint point)
    {
        LastUserInput = Scene.Time.Elapsed;
        Changed(() => _canvas.ContinueStroke(point));
    }

    public void EndStroke() => Changed(_canvas.EndStroke);

    public void AddStroke(IEnumerable<StrokePoint> points) => Changed(() => _canvas.AddStroke(points));

    public void Clear() => Changed(_canvas.Clear);

    public void Undo() => Changed(() => _canvas.Undo());

    protected internal override void Awake()
    {
        if (Resolution is < 28 or > 4096 || Size < 1 || !(BrushWidth > 0f))
            throw new GlassboxException($"DrawingCanvas needs resolution 28 to 4096, a positive size and brush width (got {Resolution}, {Size}, {BrushWidth}).");
        _canvas = new DrawingCanvas(Resolution, Resolution, BrushWidth);
    }

    protected internal override void Update(FrameTime time)
    {
        if (_version == _submitted || _canvas.IsEmpty)
            return;
        var inference = Scene.Active<CnnInference>().FirstOrDefault();
        if (inference?.Package is not { } package)
            return;
        _submitted = _version;
        long start = Stopwatch.GetTimestamp();
        var digit = DigitPreprocess.ToMnist(Ink(), Resolution, Resolution);
        var tensor = new float[digit.Length];
        package.Preprocessing.NormaliseGray(digit, tensor);
        LastSequence = inference.Submit(tensor, CnnInference.Now, Stopwatch.GetElapsedTime(start));
    }

    protected internal override void Render(IRenderer renderer)
    {
        if (_view is null || _view.Width != Resolution)
            _view = new RgbaImage(Resolution, Resolution);
        if (_version != _viewVersion)
        {
            var ink = Ink();
            for (int i = 0; i < ink.Length; i++)
            {
                byte paper = (byte)(255 - ink[i]);
                _view.Pixels[i] = RgbaImage.Pack(paper, paper, paper);
            }
            _viewVersion = _version;
        }
        renderer.DrawImage(_view, X, Y, Size, Size);
    }

    private int _viewVersion = -1;

    // One raster per change of the drawing, shared by the model's input and the view.
    private byte[] Ink()
    {
        if (_inkVersion != _version)
        {
            if (_ink.Length != Resolution * Resolution)
                _ink = new byte[Resolution * Resolution];
            _canvas.Rasterise(_ink);
            _inkVersion = _version;
        }
        return _ink;
    }

    private void Changed(Action change)
    {
        change();
        _version++;
    }
}
