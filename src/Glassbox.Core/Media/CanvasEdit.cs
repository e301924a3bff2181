namespace Glassbox.Media;

public enum CanvasEditKind
{
    /// <summary>A stroke starts at <see cref="CanvasEdit.Point"/> (pointer down).</summary>
    Begin,

    /// <summary>The stroke being drawn goes on to <see cref="CanvasEdit.Point"/> (pointer moved).</summary>
    Continue,

    /// <summary>The stroke being drawn ends (pointer up).</summary>
    End,

    /// <summary>A whole stroke, <see cref="CanvasEdit.Points"/>, added at once.</summary>
    Stroke,

    Clear,

    /// <summary>The last stroke is removed.</summary>
    Undo,
}

/// <summary>
/// One change to a <see cref="DrawingCanvas"/>, as a value: what a session recording keeps, and what
/// <see cref="DrawingCanvas.Apply"/> plays back. The same edits in the same order give the same ink, bit for bit.
/// </summary>
public readonly record struct CanvasEdit(CanvasEditKind Kind, StrokePoint Point = default, IReadOnlyList<StrokePoint>? Points = null)
{
    public static CanvasEdit Begin(StrokePoint point) => new(CanvasEditKind.Begin, point);

    public static CanvasEdit Continue(StrokePoint point) => new(CanvasEditKind.Continue, point);

    public static CanvasEdit End { get; } = new(CanvasEditKind.End);

    public static CanvasEdit Stroke(IReadOnlyList<StrokePoint> points) => new(CanvasEditKind.Stroke, Points: points);

    public static CanvasEdit Clear { get; } = new(CanvasEditKind.Clear);

    public static CanvasEdit Undo { get; } = new(CanvasEditKind.Undo);
}
