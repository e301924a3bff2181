using Glassbox.Media;

namespace Glassbox.Engine.Recording;

/// <summary>
/// Plays a recording's inputs into a running scene at their recorded times: canvas edits onto a canvas
/// (scaled when its resolution differs from the recorded one) and, when asked, keys to the scene's key
/// handlers. An edit a key made is not applied by itself, since sending the key makes it again.
/// </summary>
public sealed class SessionPlayback
{
    private readonly SessionRecording _recording;
    private int _next;

    public SessionPlayback(SessionRecording recording, float speed = 1f)
    {
        ArgumentNullException.ThrowIfNull(recording);
        if (!(speed > 0f) || float.IsInfinity(speed))
            throw new GlassboxException($"Playback speed {speed} must be a positive number (1 plays in recorded time).");
        _recording = recording;
        Speed = speed;
    }

    public float Speed { get; }

    /// <summary>How long the recording lasts at this speed.</summary>
    public TimeSpan Duration => _recording.Inputs.Count == 0
        ? TimeSpan.Zero
        : TimeSpan.FromTicks((long)Math.Ceiling(_recording.Inputs[^1].T / Speed * TimeSpan.TicksPerMillisecond)); // up, so advancing by it plays the last input

    public bool Finished => _next >= _recording.Inputs.Count;

    /// <summary>Inputs played so far.</summary>
    public int Played => _next;

    /// <summary>Starts again from the first input.</summary>
    public void Rewind() => _next = 0;

    /// <summary>Plays every input due at <paramref name="elapsed"/> (time since playback began).</summary>
    /// <param name="sendKeys">Replay keys too (model, method, layer switches); an attract loop leaves them out.</param>
    public void Advance(TimeSpan elapsed, Scene scene, DrawingCanvasInput? canvas, bool sendKeys)
    {
        double now = elapsed.TotalMilliseconds * Speed;
        float scale = canvas is null || _recording.Info.Canvas is not { } recorded ? 1f : (float)canvas.Resolution / recorded.Resolution;
        for (; _next < _recording.Inputs.Count && _recording.Inputs[_next].T <= now; _next++)
        {
            var input = _recording.Inputs[_next];
            if (input.Kind == RecordedInputKind.Key)
            {
                if (sendKeys)
                    scene.SendKey(input.Key![0]);
            }
            else if (canvas is not null && !(sendKeys && input.ByKey == true) && input.ToEdit() is { } edit)
            {
                canvas.Apply(scale == 1f ? edit : Scale(edit, scale));
            }
        }
    }

    private static CanvasEdit Scale(CanvasEdit edit, float scale)
    {
        StrokePoint At(StrokePoint p) => p with { X = p.X * scale, Y = p.Y * scale };
        return edit with { Point = At(edit.Point), Points = edit.Points?.Select(At).ToArray() };
    }
}
