namespace Glassbox.Media;

/// <summary>One point of a stroke in canvas pixels, with pen pressure (1 for a mouse).</summary>
public readonly record struct StrokePoint(float X, float Y, float Pressure = 1f);

/// <summary>
/// A drawing surface fed by mouse, touch or pen: strokes of round-capped segments, rasterised with
/// anti-aliasing into an 8-bit ink image (0 = paper, 255 = full ink), row 0 at the top. Pressure
/// scales the brush width. Undo removes the last stroke. Not thread-safe: feed it from the input thread.
/// </summary>
public sealed class DrawingCanvas
{
    private readonly List<List<StrokePoint>> _strokes = [];
    private List<StrokePoint>? _current;

    public DrawingCanvas(int width, int height, float brushWidth)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentException($"Canvas size {width}×{height} is empty.");
        if (!(brushWidth > 0f))
            throw new ArgumentException($"Brush width {brushWidth} must be positive.");
        Width = width;
        Height = height;
        BrushWidth = brushWidth;
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>Brush diameter in canvas pixels at full pressure.</summary>
    public float BrushWidth { get; set; }

    public int StrokeCount => _strokes.Count + (_current is null ? 0 : 1);

    public bool IsEmpty => StrokeCount == 0;

    public void BeginStroke(StrokePoint point)
    {
        EndStroke();
        _current = [point];
    }

    public void ContinueStroke(StrokePoint point)
    {
        if (_current is null)
            BeginStroke(point);
        else
            _current.Add(point);
    }

    public void EndStroke()
    {
        if (_current is { Count: > 0 })
            _strokes.Add(_current);
        _current = null;
    }

    /// <summary>Adds a whole stroke at once (replaying a recorded drawing).</summary>
    public void AddStroke(IEnumerable<StrokePoint> points)
    {
        EndStroke();
        foreach (var point in points)
            ContinueStroke(point);
        EndStroke();
    }

    /// <summary>Removes the last stroke (the one being drawn, if any).</summary>
    public bool Undo()
    {
        if (_current is not null)
        {
            _current = null;
            return true;
        }
        if (_strokes.Count == 0)
            return false;
        _strokes.RemoveAt(_strokes.Count - 1);
        return true;
    }

    public void Clear()
    {
        _strokes.Clear();
        _current = null;
    }

    /// <summary>The edits that draw the canvas as it is now, starting from an empty one.</summary>
    public IReadOnlyList<CanvasEdit> Edits()
    {
        var edits = _strokes.Select(s => CanvasEdit.Stroke(s.ToArray())).ToList();
        if (_current is { Count: > 0 } current)
        {
            edits.Add(CanvasEdit.Begin(current[0]));
            edits.AddRange(current.Skip(1).Select(CanvasEdit.Continue));
        }
        return edits;
    }

    /// <summary>Makes one recorded change.</summary>
    public void Apply(CanvasEdit edit)
    {
        switch (edit.Kind)
        {
            case CanvasEditKind.Begin: BeginStroke(edit.Point); break;
            case CanvasEditKind.Continue: ContinueStroke(edit.Point); break;
            case CanvasEditKind.End: EndStroke(); break;
            case CanvasEditKind.Stroke: AddStroke(edit.Points ?? []); break;
            case CanvasEditKind.Clear: Clear(); break;
            case CanvasEditKind.Undo: Undo(); break;
            default: throw new ArgumentOutOfRangeException(nameof(edit), edit.Kind, "Unknown canvas edit.");
        }
    }

    /// <summary>The ink image: Width × Height bytes.</summary>
    public byte[] Rasterise()
    {
        var ink = new byte[Width * Height];
        Rasterise(ink);
        return ink;
    }

    /// <summary>Rasterises into a buffer the caller reuses (width × height bytes): nothing is allocated.</summary>
    public void Rasterise(byte[] ink)
    {
        if (ink.Length != Width * Height)
            throw new ArgumentException($"The buffer holds {ink.Length} bytes; a {Width}×{Height} canvas needs {Width * Height}.");
        Array.Clear(ink);
        foreach (var stroke in _strokes)
            Draw(ink, stroke);
        if (_current is not null)
            Draw(ink, _current);
    }

    private void Draw(byte[] ink, List<StrokePoint> stroke)
    {
        if (stroke.Count == 1)
            Segment(ink, stroke[0], stroke[0]);
        for (int i = 1; i < stroke.Count; i++)
            Segment(ink, stroke[i - 1], stroke[i]);
    }

    // A round-capped segment: coverage falls from 1 to 0 over one pixel at the edge (distance-based anti-aliasing).
    private void Segment(byte[] ink, StrokePoint a, StrokePoint b)
    {
        float ra = BrushWidth * Math.Clamp(a.Pressure, 0.05f, 1f) / 2f, rb = BrushWidth * Math.Clamp(b.Pressure, 0.05f, 1f) / 2f;
        float reach = MathF.Max(ra, rb) + 1f;
        int x0 = Math.Max(0, (int)MathF.Floor(MathF.Min(a.X, b.X) - reach)), x1 = Math.Min(Width - 1, (int)MathF.Ceiling(MathF.Max(a.X, b.X) + reach));
        int y0 = Math.Max(0, (int)MathF.Floor(MathF.Min(a.Y, b.Y) - reach)), y1 = Math.Min(Height - 1, (int)MathF.Ceiling(MathF.Max(a.Y, b.Y) + reach));
        float dx = b.X - a.X, dy = b.Y - a.Y;
        float length2 = dx * dx + dy * dy;
        for (int y = y0; y <= y1; y++)
        {
            for (int x = x0; x <= x1; x++)
            {
                // Pixel centres at +0.5; distance to the segment and the radius there.
                float px = x + 0.5f - a.X, py = y + 0.5f - a.Y;
                float t = length2 > 0f ? Math.Clamp((px * dx + py * dy) / length2, 0f, 1f) : 0f;
                float ex = px - t * dx, ey = py - t * dy;
                float radius = ra + (rb - ra) * t;
                float squared = ex * ex + ey * ey;
                if (squared >= (radius + 0.5f) * (radius + 0.5f))
                    continue; // outside the brush: no coverage, no square root
                float distance = MathF.Sqrt(squared);
                // Rounding is monotonic, so the maximum of rounded coverages equals the rounded maximum.
                byte coverage = (byte)MathF.Round(Math.Clamp(radius + 0.5f - distance, 0f, 1f) * 255f);
                ref byte cell = ref ink[y * Width + x];
                if (coverage > cell)
                    cell = coverage;
            }
        }
    }
}
