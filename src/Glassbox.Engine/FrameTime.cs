namespace Glassbox.Engine;

/// <summary>The clock of one frame: its number, the time since the scene started, and the step since the last frame.</summary>
public readonly record struct FrameTime(long Frame, TimeSpan Elapsed, TimeSpan Delta)
{
    public float DeltaSeconds => (float)Delta.TotalSeconds;
}
