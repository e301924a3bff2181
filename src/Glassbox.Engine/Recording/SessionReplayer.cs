namespace Glassbox.Engine.Recording;

/// <summary>
/// Plays a recorded session into the scene (the demo's replay, or a scene that shows a session on a
/// loop): the drawing, and the keys that switched models, methods and layers. Named "Replay" in scene files.
/// </summary>
public sealed class SessionReplayer : Component
{
    /// <summary>The canvas this draws on: set in code, or in a scene file by the entity holding it ("canvas": "Input"); unset, the scene's only one.</summary>
    public DrawingCanvasInput? Canvas { get; set; }

    private SessionPlayback? _playback;
    private TimeSpan _began;

    /// <summary>The .gbrec file; relative paths are taken from the scene's folder.</summary>
    [RequiredField]
    public string Path { get; set; } = "";

    public float Speed { get; set; } = 1f;

    /// <summary>Start again from the beginning when the recording ends.</summary>
    public bool Loop { get; set; }

    /// <summary>Seconds to wait after the end before looping.</summary>
    public float PauseSeconds { get; set; } = 3f;

    public bool Finished => _playback?.Finished == true && !Loop;

    /// <summary>How many times the recording has been played to its end.</summary>
    public int Completed { get; private set; }

    protected internal override void Awake()
    {
        if (!(PauseSeconds >= 0f))
            throw new GlassboxException($"Replay needs pauseSeconds ≥ 0 (got {PauseSeconds}).");
        _playback = new SessionPlayback(SessionRecording.Load(Scene.ResolvePath(Path)), Speed);
    }

    protected internal override void Start() => _began = Scene.Time.Elapsed;

    protected internal override void Update(FrameTime time)
    {
        if (_playback is null || Finished)
            return;
        var elapsed = time.Elapsed - _began;
        if (!_playback.Finished)
        {
            _playback.Advance(elapsed, Scene, Referenced(Canvas, "canvas"), sendKeys: true);
            if (_playback.Finished)
                Completed++;
        }
        else if (Loop && elapsed >= _playback.Duration + TimeSpan.FromSeconds(PauseSeconds))
        {
            _playback.Rewind();
            _began = time.Elapsed;
            foreach (var canvas in Scene.Active<DrawingCanvasInput>())
                canvas.Clear();
        }
    }
}
