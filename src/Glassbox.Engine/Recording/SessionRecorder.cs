using System.Diagnostics;
using Glassbox.Media;

namespace Glassbox.Engine.Recording;

/// <summary>
/// Records the scene's session to <see cref="Path"/>: every edit of the first drawing canvas and every
/// key, with times, and every result of the first <see cref="CnnInference"/> made from the canvas, with
/// the settings it ran with, its probabilities and maps. The file is written every
/// <see cref="SaveSeconds"/> off the render thread (a long session's file takes tens of milliseconds to
/// serialise and compress) and when the scene ends, so a crash loses seconds, not the session.
/// Named "Recorder" in scene files.
/// </summary>
public sealed class SessionRecorder : Component
{
    /// <summary>The canvas this draws on: set in code, or in a scene file by the entity holding it ("canvas": "Input"); unset, the scene's only one.</summary>
    public DrawingCanvasInput? Canvas { get; set; }

    /// <summary>The inference this reads: set in code, or in a scene file by the entity holding it ("inference": "Input"); unset, the scene's only one.</summary>
    public CnnInference? Inference { get; set; }

    private readonly Stopwatch _clock = new();
    // Drawings handed to the model, oldest first, with how many inputs made each; sequences only increase.
    private readonly Queue<(long Sequence, int Inputs)> _submissions = new();
    private DrawingCanvasInput? _canvas;
    private SessionRecording? _recording;
    private Live.InferenceResult? _lastResult;
    private TimeSpan _lastSave;
    private bool _dirty;
    // A periodic save in progress, writing a copy of the lists: its error, or null, when it ends.
    private Task<string?>? _saving;

    /// <summary>The .gbrec file to write; relative paths are taken from the scene's folder.</summary>
    [RequiredField]
    public string Path { get; set; } = "";

    /// <summary>How often the recording is written while the scene runs; 0 writes only at the end.</summary>
    public float SaveSeconds { get; set; } = 10f;

    /// <summary>The recording so far; null before the component starts.</summary>
    public SessionRecording? Recording => _recording;

    /// <summary>Why the last save failed, or null.</summary>
    public string? LastError { get; private set; }

    protected internal override void Awake()
    {
        if (Path.Length == 0 || !(SaveSeconds >= 0f))
            throw new GlassboxException($"Recorder needs a path and saveSeconds ≥ 0 (got '{Path}' and {SaveSeconds}).");
        if (!System.IO.Path.GetFileName(Path).EndsWith(".gbrec", StringComparison.OrdinalIgnoreCase))
            throw new GlassboxException($"Recorder path '{Path}' should end in .gbrec, so the file says what it is.");
        _settingsValid = true;
    }

    private bool _settingsValid;

    protected internal override void Start()
    {
        if (!_settingsValid)
            return;
        _canvas = Referenced(Canvas, "canvas");
        _recording = new SessionRecording
        {
            Info = new RecordingInfo(Scene.Name, DateTimeOffset.UtcNow, MachineInfo.Current(),
                _canvas is null ? null : new CanvasInfo(_canvas.Resolution, _canvas.BrushWidth)),
        };
        _clock.Start();
        if (_canvas is not null)
        {
            // The recording starts from the drawing as it is, so a replay starts from the same ink.
            foreach (var edit in _canvas.Edits())
                OnEdited(edit);
            _canvas.Edited += OnEdited;
            _canvas.Submitted += OnSubmitted;
        }
        Scene.KeySent += OnKey;
    }

    protected internal override void Update(FrameTime time)
    {
        if (Referenced(Inference, "inference") is { Settings: { } settings, Latest: { } result } && !ReferenceEquals(result, _lastResult))
        {
            _lastResult = result;
            // The worker only ever takes the newest frame, so older submissions will have no result.
            while (_submissions.TryPeek(out var oldest) && oldest.Sequence < result.Sequence)
                _submissions.Dequeue();
            // Results of frames from a live feed are not the canvas's: only drawings can be replayed.
            if (_submissions.TryPeek(out var submitted) && submitted.Sequence == result.Sequence)
                Add(result, settings, submitted.Inputs);
        }
        if (_saving is { IsCompleted: true } saved)
        {
            _saving = null;
            LastError = saved.Result;
            _dirty |= LastError is not null;
        }
        if (_dirty && _saving is null && SaveSeconds > 0f && _clock.Elapsed - _lastSave >= TimeSpan.FromSeconds(SaveSeconds))
        {
            _lastSave = _clock.Elapsed;
            _dirty = false;
            var snapshot = _recording!.Snapshot();
            string path = Scene.ResolvePath(Path);
            _saving = Task.Run(() => Write(snapshot, path));
        }
    }

    protected internal override void OnDestroy()
    {
        if (_canvas is not null)
        {
            _canvas.Edited -= OnEdited;
            _canvas.Submitted -= OnSubmitted;
        }
        Scene.KeySent -= OnKey;
        if (_recording is not null)
            Save();
    }

    /// <summary>Writes the recording now. A failure (disk full, folder gone) is kept in <see cref="LastError"/>; recording goes on.</summary>
    public void Save()
    {
        if (_recording is null)
            return;
        // A periodic save still writing would otherwise finish after this one with older contents.
        _saving?.Wait();
        _saving = null;
        _lastSave = _clock.Elapsed;
        LastError = Write(_recording, Scene.ResolvePath(Path));
        _dirty = LastError is not null;
    }

    private string? Write(SessionRecording recording, string path)
    {
        try
        {
            recording.Save(path);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"The recording could not be written to '{Path}': {e.Message}";
        }
    }

    private double Now => _clock.Elapsed.TotalMilliseconds;

    private void OnEdited(CanvasEdit edit)
    {
        _recording!.Inputs.Add(RecordedInput.FromEdit(Now, edit, Scene.DispatchingKey));
        _dirty = true;
    }

    private void OnKey(char key)
    {
        _recording!.Inputs.Add(new RecordedInput(Now, RecordedInputKind.Key, Key: key.ToString()));
        _dirty = true;
    }

    private void OnSubmitted(long sequence) => _submissions.Enqueue((sequence, _recording!.Inputs.Count));

    private void Add(Live.InferenceResult result, Live.InferenceSettings settings, int inputs)
    {
        var explanation = result.Explanation;
        var probabilities = explanation.Probabilities.ToArray();
        _recording!.Results.Add(new RecordedResult(
            Now, result.Sequence, inputs, new RecordedModel(settings.ModelPath, settings.ModelSha256),
            [.. settings.Methods], settings.Layer, settings.Target, settings.Ep, settings.Threads, [.. settings.Taps],
            explanation.Provider.ToString().ToLowerInvariant(), explanation.PredictedClass, probabilities, Sha256Hex.Of(probabilities),
            [.. explanation.Maps.Select(m => new RecordedMap(m.Method, m.Layer, m.Width, m.Height, m.TargetClass, m.Values, Sha256Hex.Of(m.Values)))]));
        _dirty = true;
    }
}
