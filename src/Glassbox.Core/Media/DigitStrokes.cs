namespace Glassbox.Media;

/// <summary>
/// One way of writing each digit on a 280×280 drawing canvas, as strokes: 1 a vertical bar; 2 a hook,
/// a diagonal and a base; 3 two bowls open to the left; 4 an open top with a crossing stem; 5 a flag, a
/// stem and a bowl; 6 a falling curve into a loop; 7 a bar and a slanted stem; 8 two stacked loops; 9 a
/// loop with a straight tail; 0 an ellipse. The shipped CNN recognises all ten; the demo's headless
/// mode and the tests draw them.
/// </summary>
public static class DigitStrokes
{
    public const int CanvasSize = 280;

    public static StrokePoint[][] For(int digit) => digit switch
    {
        0 => [Arc(140, 140, 60, 95, 0, 360)],
        1 => [[new(140, 40), new(140, 240)]],
        2 => [[.. Arc(140, 95, 55, 50, 200, 360), new(80, 235)], [new(80, 235), new(205, 235)]],
        3 => [Arc(135, 90, 55, 48, 200, 450), Arc(135, 190, 60, 52, 270, 520)],
        4 => [[new(170, 40), new(80, 170), new(200, 170)], [new(160, 110), new(160, 245)]],
        5 => [[new(195, 45), new(95, 45), new(88, 130)], [.. Arc(135, 175, 62, 55, 225, 500)]],
        6 => [[new(180, 45), new(115, 110), new(90, 180)], Arc(140, 185, 52, 50, 180, 540)],
        7 => [[new(70, 50), new(210, 50), new(120, 240)]],
        8 => [Arc(140, 92, 45, 45, 0, 360), Arc(140, 185, 55, 52, 0, 360)],
        9 => [Arc(140, 95, 52, 50, 0, 360), [new(192, 95), new(185, 245)]],
        _ => throw new ArgumentOutOfRangeException(nameof(digit), digit, "Digits are 0 to 9."),
    };

    // Points along an ellipse from one angle to another (degrees, clockwise on screen from the right).
    private static StrokePoint[] Arc(float cx, float cy, float rx, float ry, float fromDegrees, float toDegrees) =>
        Enumerable.Range(0, 41).Select(i =>
        {
            float a = (fromDegrees + (toDegrees - fromDegrees) * i / 40f) * MathF.PI / 180f;
            return new StrokePoint(cx + rx * MathF.Cos(a), cy + ry * MathF.Sin(a));
        }).ToArray();
}
