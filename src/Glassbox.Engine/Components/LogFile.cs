using Glassbox.Engine.Live;

namespace Glassbox.Engine;

/// <summary>
/// For unattended use: what happened, a line each with its UTC time, in a log that rotates (see
/// <see cref="RotatingLog"/>): the scene starting and stopping, every error a component or system reported
/// (watchdog restarts among them), and each change of the model's status, the inference thread's last error
/// and the live feed's state. Named "Log" in scene files.
/// </summary>
public sealed class LogFile : Component
{
    /// <summary>The feed this reports on: set in code, or in a scene file by the entity holding it ("feed": "Input"); unset, the scene's only one.</summary>
    public FrameFeed? Feed { get; set; }

    /// <summary>The inference this reads: set in code, or in a scene file by the entity holding it ("inference": "Input"); unset, the scene's only one.</summary>
    public CnnInference? Inference { get; set; }

    private RotatingLog? _log;
    private string? _status, _workerError, _feedState, _feedError;

    [RequiredField]
    public string Path { get; set; } = "";

    /// <summary>Size at which the file rotates.</summary>
    public int MaxKilobytes { get; set; } = 1024;

    /// <summary>Old files kept (.1 the newest).</summary>
    public int Keep { get; set; } = 5;

    /// <summary>The log, once the component is awake.</summary>
    internal RotatingLog? Log => _log;

    protected internal override void Awake()
    {
        if (MaxKilobytes < 1 || Keep < 1)
            throw new GlassboxException($"Log needs maxKilobytes ≥ 1 and keep ≥ 1 (got {MaxKilobytes} and {Keep}).");
        _log = new RotatingLog(Scene.ResolvePath(Path), MaxKilobytes * 1024L, Keep);
        Scene.Error += OnError;
        _log.Write($"scene '{Scene.Name}' started");
    }

    protected internal override void LateUpdate(FrameTime time)
    {
        if (_log is null)
            return;
        var inference = Referenced(Inference, "inference");
        Changed(ref _status, inference?.Status, "model", "running");
        Changed(ref _workerError, inference?.Worker?.LastError, "inference", "running again");
        var capture = Referenced(Feed, "feed")?.Capture;
        Changed(ref _feedState, capture?.State.ToString().ToLowerInvariant(), "feed", "stopped");
        Changed(ref _feedError, capture?.LastError, "feed error", "cleared");
    }

    protected internal override void OnDestroy()
    {
        Scene.Error -= OnError;
        _log?.Write($"scene '{Scene.Name}' stopped");
    }

    private void OnError(SceneError error) => _log?.Write($"error: {error}");

    private void Changed(ref string? last, string? now, string what, string whenNull)
    {
        if (now == last)
            return;
        last = now;
        _log!.Write($"{what}: {now ?? whenNull}");
    }
}
