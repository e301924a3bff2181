using System.Text.Json.Serialization;
using Glassbox.Media;

namespace Glassbox.Engine.Recording;

// The records a .gbrec file holds (its format); SessionRecording reads and writes them, MachineInfo probes the machine.

/// <summary>Where and on what a session was recorded.</summary>
/// <param name="Canvas">The drawing canvas the inputs edit; null when the session had none.</param>
public sealed record RecordingInfo(string Scene, DateTimeOffset Recorded, MachineInfo Machine, CanvasInfo? Canvas);

public sealed record CanvasInfo(int Resolution, float BrushWidth);

/// <summary>What a recorded input is: one of the canvas edits (with <see cref="CanvasEditKind"/>'s values, so each converts to the other) or a key.</summary>
public enum RecordedInputKind
{
    Begin = CanvasEditKind.Begin,
    Continue = CanvasEditKind.Continue,
    End = CanvasEditKind.End,
    Stroke = CanvasEditKind.Stroke,
    Clear = CanvasEditKind.Clear,
    Undo = CanvasEditKind.Undo,

    /// <summary>A letter key sent to the scene (keyboard or on-screen button).</summary>
    Key = 100,
}

/// <summary>
/// One input: a canvas edit or a key, at <paramref name="T"/> milliseconds after the recording began.
/// </summary>
/// <param name="Point">Begin and continue: [x, y, pressure] in canvas pixels.</param>
/// <param name="Points">Stroke: x, y, pressure triples.</param>
/// <param name="ByKey">A canvas edit a key made (replaying the key makes it again).</param>
public sealed record RecordedInput(double T, RecordedInputKind Kind, float[]? Point = null, float[]? Points = null, string? Key = null, bool? ByKey = null)
{
    public static RecordedInput FromEdit(double t, CanvasEdit edit, bool byKey) => new(
        t, (RecordedInputKind)edit.Kind,
        Point: edit.Kind is CanvasEditKind.Begin or CanvasEditKind.Continue ? Pack(edit.Point) : null,
        Points: edit.Points?.SelectMany(Pack).ToArray(),
        ByKey: byKey ? true : null);

    /// <summary>The canvas edit this input makes; null for a key. (Loading checked that each kind has its points.)</summary>
    public CanvasEdit? ToEdit() => Kind == RecordedInputKind.Key
        ? null
        : new CanvasEdit((CanvasEditKind)Kind,
            Point is null ? default : Unpack(Point, 0),
            Points is null ? null : Enumerable.Range(0, Points.Length / 3).Select(i => Unpack(Points, i * 3)).ToArray());

    private static float[] Pack(StrokePoint p) => [p.X, p.Y, p.Pressure];

    private static StrokePoint Unpack(float[] values, int at) => new(values[at], values[at + 1], values[at + 2]);
}

/// <summary>
/// A result the network gave during the session: made from the drawing after the first
/// <paramref name="Inputs"/> inputs, with these settings, on this provider.
/// </summary>
public sealed record RecordedResult(
    double T,
    long Sequence,
    int Inputs,
    RecordedModel Model,
    string[] Methods,
    string Layer,
    string Target,
    string Ep,
    int Threads,
    string[] Taps,
    string Provider,
    int Predicted,
    float[] Probabilities,
    string ProbabilitiesSha256,
    RecordedMap[] Maps)
{
    /// <summary>The settings the result was made with, to run them again.</summary>
    [JsonIgnore]
    public Live.InferenceSettings Settings => new(Model.Path, Model.Sha256, Methods, Layer, Target, Ep, Threads, Taps ?? []);
}

public sealed record RecordedModel(string Path, string Sha256);

public sealed record RecordedMap(string Method, string? Layer, int Width, int Height, int TargetClass, float[] Values, string Sha256);
