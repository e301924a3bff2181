using System.Globalization;
using System.Text.Json;

namespace Glassbox.Engine;

/// <summary>
/// For unattended use (a museum kiosk): every few seconds writes a small JSON file saying the app is
/// alive — uptime, frame rate, frames, the model and execution provider, inference results and drops,
/// the live feed's state and the last error — so a watchdog or a person can check it without a screen.
/// Written to a temporary file and renamed, so a reader never sees half a file.
/// </summary>
public sealed class HealthFile : Component
{
    /// <summary>The feed this reports on: set in code, or in a scene file by the entity holding it ("feed": "Input"); unset, the scene's only one.</summary>
    public FrameFeed? Feed { get; set; }

    /// <summary>The inference this reads: set in code, or in a scene file by the entity holding it ("inference": "Input"); unset, the scene's only one.</summary>
    public CnnInference? Inference { get; set; }

    // One instance: options cache what they learn of a type, and a new one learns it again on every write.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private TimeSpan _lastWrite = TimeSpan.MinValue;
    private TimeSpan _started;
    private long _frames, _framesAtLastWrite;

    [RequiredField]
    public string Path { get; set; } = "";

    /// <summary>Seconds between writes.</summary>
    public float IntervalSeconds { get; set; } = 5f;

    /// <summary>How many times the file was written.</summary>
    public int Writes { get; private set; }

    protected internal override void Awake()
    {
        if (!(IntervalSeconds > 0f))
            throw new GlassboxException($"HealthFile intervalSeconds is {IntervalSeconds}; use a positive number of seconds.");
    }

    protected internal override void Start() => _started = Scene.Time.Elapsed;

    protected internal override void LateUpdate(FrameTime time)
    {
        _frames++;
        if (_lastWrite != TimeSpan.MinValue && time.Elapsed - _lastWrite < TimeSpan.FromSeconds(IntervalSeconds))
            return;
        double seconds = _lastWrite == TimeSpan.MinValue ? 0 : (time.Elapsed - _lastWrite).TotalSeconds;
        double fps = seconds > 0 ? (_frames - _framesAtLastWrite) / seconds : 0;
        _lastWrite = time.Elapsed;
        _framesAtLastWrite = _frames;
        var inference = Referenced(Inference, "inference");
        var feed = Referenced(Feed, "feed");
        var health = new
        {
            scene = Scene.Name,
            written_utc = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),
            uptime_seconds = Math.Round((time.Elapsed - _started).TotalSeconds, 1),
            frames = _frames,
            fps = Math.Round(fps, 1),
            model = inference?.Package?.Name,
            model_sha256 = inference?.Package?.Sha256,
            execution_provider = inference?.Latest?.Explanation.Provider.ToString(),
            results = inference?.Worker?.Completed ?? 0,
            dropped_frames = inference?.Worker?.DroppedFrames ?? 0,
            watchdog_restarts = (inference?.WatchdogRestarts ?? 0) + (feed?.WatchdogRestarts ?? 0),
            feed = feed?.Capture is { } capture ? new { state = capture.State.ToString(), capture.Reconnections, last_error = capture.LastError } : null,
            last_error = inference?.Status ?? inference?.Worker?.LastError ?? Scene.LastError?.ToString(),
        };
        string target = Scene.ResolvePath(Path);
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(target))!);
            string temporary = target + ".tmp";
            File.WriteAllText(temporary, JsonSerializer.Serialize(health, Indented));
            File.Move(temporary, target, overwrite: true);
            Writes++;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A full disk or a read-only folder must not stop the exhibit; the error shows on the stats panel.
            throw new GlassboxException($"The health file '{target}' could not be written: {e.Message}");
        }
    }
}
