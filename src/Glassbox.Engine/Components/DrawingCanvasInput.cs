using System.Diagnostics;
using Glassbox.Inference;
using Glassbox.Media;
using Glassbox.Visualisation;

namespace Glassbox.Engine;

/// <summary>
/// A drawing canvas as the scene's input: a press on it starts a stroke that follows the pointer until
/// the release, C clears it and Backspace ('\b') undoes the last stroke; each change is prepared as an
/// MNIST digit and submitted to the scene's <see cref="CnnInference"/>. Draws the paper (dark ink on
/// light) at its rectangle. Named "DrawingCanvas" in scene files.
/// </summary>
public sealed class DrawingCanvasInput : Component, IPointerHandler, IKeyHandler
{
    /// <summary>The inference this reads: set in code, or in a scene file by the entity holding it ("inference": "Input"); unset, the scene's only one.</summary>
    public CnnInference? Inference { get; set; }

    private bool _stroking;

    private DrawingCanvas _canvas = null!;
    private RgbaImage? _view;
    private int _version, _submitted, _inkVersion = -1;
    private byte[] _ink = [];
    // Prepared here and copied by Submit into the inference thread's own buffer.
    private readonly float[] _tensor = new float[DigitPreprocess.Size * DigitPreprocess.Size];

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
        Apply(CanvasEdit.Begin(point));
    }

    /// <summary>Raised when a person starts a stroke, before it is drawn (an attract loop clears its drawing).</summary>
    public event Action? UserInputStarted;

    /// <summary>Raised after every change to the drawing, whoever made it (a recorder keeps them).</summary>
    public event Action<CanvasEdit>? Edited;

    /// <summary>Raised when a drawing is handed to the model, with the sequence number its result will carry.</summary>
    public event Action<long>? Submitted;

    public void ContinueStroke(StrokePoint point)
    {
        LastUserInput = Scene.Time.Elapsed;
        Apply(CanvasEdit.Continue(point));
    }

    public void EndStroke() => Apply(CanvasEdit.End);

    public void AddStroke(IEnumerable<StrokePoint> points) => Apply(CanvasEdit.Stroke(points.ToArray()));

    public void Clear() => Apply(CanvasEdit.Clear);

    public void Undo() => Apply(CanvasEdit.Undo);

    public bool OnPointerDown(float x, float y)
    {
        if (ToCanvas(x, y) is not { } start)
            return false;
        _stroking = true;
        BeginStroke(start);
        return true;
    }

    public void OnPointerMove(float x, float y)
    {
        if (_stroking && ToCanvas(x, y) is { } point)
            ContinueStroke(point);
    }

    public void OnPointerUp(float x, float y)
    {
        if (!_stroking)
            return;
        _stroking = false;
        EndStroke();
    }

    /// <summary>C clears the drawing, Backspace ('\b') undoes its last stroke.</summary>
    public bool OnKey(char key)
    {
        switch (key)
        {
            case 'c':
                Clear();
                return true;
            case '\b':
                Undo();
                return true;
            default:
                return false;
        }
    }

    /// <summary>The edits that draw the canvas as it is now, from empty (a recorder that starts late begins with them).</summary>
    public IReadOnlyList<CanvasEdit> Edits() => _canvas.Edits();

    /// <summary>Makes one change to the drawing (what the stroke methods do; a replay calls it directly).</summary>
    public void Apply(CanvasEdit edit)
    {
        _canvas.Apply(edit);
        _version++;
        Edited?.Invoke(edit);
    }

    /// <summary>
    /// The model input for an ink image of the canvas: the drawing made an MNIST digit (cropped,
    /// scaled into 20×20, centred by mass in 28×28), then normalised as the package says. The live
    /// component and a replay both prepare drawings with this.
    /// </summary>
    public static void PrepareInput(ReadOnlySpan<byte> ink, int resolution, ModelPreprocessing preprocessing, Span<float> tensor)
    {
        Span<byte> digit = stackalloc byte[DigitPreprocess.Size * DigitPreprocess.Size];
        DigitPreprocess.ToMnist(ink, resolution, resolution, digit);
        preprocessing.NormaliseGray(digit, tensor);
    }

    protected internal override void Awake()
    {
        if (Resolution is < 28 or > 4096 || Size < 1 || !(BrushWidth > 0f))
            throw new GlassboxException($"DrawingCanvas needs resolution 28 to 4096, a positive size and brush width (got {Resolution}, {Size}, {BrushWidth}).");
        _canvas = new DrawingCanvas(Resolution, Resolution, BrushWidth);
    }

    protected internal override void Update(FrameTime time)
    {
        PushFrame();
        if (_version == _submitted || _canvas.IsEmpty)
            return;
        var inference = Referenced(Inference, "inference");
        if (inference?.Package is not { } package)
            return;
        _submitted = _version;
        long start = Stopwatch.GetTimestamp();
        PrepareInput(Ink(), Resolution, package.Preprocessing, _tensor);
        LastSequence = inference.Submit(_tensor, Scene.Now, Stopwatch.GetElapsedTime(start));
        Submitted?.Invoke(LastSequence);
    }

    protected internal override void Render(IRenderer renderer) => renderer.DrawImage(Paper(), X, Y, Size, Size);

    private int _viewVersion = -1;

    // The drawing as shown: dark ink on white paper, made again once per change.
    private RgbaImage Paper()
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
        return _view;
    }

    private readonly object _framesGate = new();
    private PixelSource? _frames;
    private volatile bool _frameWanted;
    private int _framedVersion = -1;

    /// <summary>
    /// The drawing as frames, paper and ink as the canvas shows them, a new one at each change: the canvas as a frame
    /// source, for a <see cref="FrameFeed"/> that shows the drawing to another model (<c>new FrameFeed { Source =
    /// canvas.OpenFrames, Inference = second }</c>). A reader opened later gets the drawing as it is then. Any thread.
    /// </summary>
    public IFrameSource OpenFrames()
    {
        lock (_framesGate)
        {
            var frames = _frames;
            if (frames is null)
                Volatile.Write(ref _frames, frames = new PixelSource($"drawing on {Entity.Name}", Scene.Clock));
            _frameWanted = true;
            return frames.OpenReader();
        }
    }

    // On the render thread: hands the drawing to the frame readers when it changed or a new reader wants it.
    private void PushFrame()
    {
        // Every frame: a plain read (written once, under the gate, by OpenFrames), no lock on the render thread.
        var frames = Volatile.Read(ref _frames);
        // Nothing before the first stroke; after one, every change, a cleared page too (the frame shows what the canvas shows).
        if (frames is null || _version == 0 || !_frameWanted && _framedVersion == _version)
            return;
        _frameWanted = false;
        _framedVersion = _version;
        frames.Push(Paper());
    }

    protected internal override void OnDestroy()
    {
        lock (_framesGate)
            _frames?.Dispose();
    }

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
}
