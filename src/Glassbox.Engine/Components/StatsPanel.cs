using Glassbox.Engine.Live;
using Glassbox.Inference;
using Glassbox.Visualisation;

namespace Glassbox.Engine;

/// <summary>Frames per second, the stage times of the latest result, the execution provider and any error.</summary>
public sealed class StatsPanel : Component
{
    /// <summary>The inference this reads: set in code, or in a scene file by the entity holding it ("inference": "Input"); unset, the scene's only one.</summary>
    public CnnInference? Inference { get; set; }

    private readonly List<string> _lines = [];
    private TimeSpan _refreshed = TimeSpan.MinValue;
    private InferenceResult? _shownResult;
    private object? _shownProblem;
    private double _fps;

    public int X { get; set; } = 20;

    public int Y { get; set; } = 320;

    /// <summary>
    /// Seconds between refreshes of the figures: numbers that change every frame cannot be read, and
    /// formatting them every frame would make garbage every frame. A first result or a new problem shows at once.
    /// </summary>
    public float RefreshSeconds { get; set; } = 0.25f;

    /// <summary>Frames per second, averaged over about half a second.</summary>
    public double Fps => _fps;

    protected internal override void Update(FrameTime time)
    {
        double seconds = time.Delta.TotalSeconds;
        if (seconds > 0)
            _fps = _fps == 0 ? 1 / seconds : _fps + (1 / seconds - _fps) * Math.Min(1, seconds / 0.5);
    }

    protected internal override void Render(IRenderer renderer)
    {
        var inference = Referenced(Inference, "inference");
        var result = inference?.Latest;
        // The problem's source is compared, not its text: a scene error's text is made anew on every ToString.
        object? problem = (object?)inference?.Status ?? (object?)inference?.Worker?.LastError ?? Scene.LastError;
        var now = Scene.Time.Elapsed;
        bool due = _refreshed == TimeSpan.MinValue || now - _refreshed >= TimeSpan.FromSeconds(RefreshSeconds);
        if (due || (result is null) != (_shownResult is null) || !ReferenceEquals(problem, _shownProblem))
        {
            Refresh(inference, result, problem);
            _refreshed = now;
        }
        for (int i = 0; i < _lines.Count; i++)
            renderer.DrawText(_lines[i], X, Y + i * 20, 0xFFFFFFFF);
    }

    private void Refresh(CnnInference? inference, InferenceResult? r, object? problem)
    {
        _lines.Clear();
        _lines.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"FPS {_fps:0}"));
        if (r is not null)
        {
            _lines.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"preprocess {r.PreprocessTime.TotalMilliseconds:0.00} ms, run {r.Explanation.SharedRunTime.TotalMilliseconds:0.00} ms, explain {r.ExplainTime.TotalMilliseconds:0.00} ms, latency {r.Latency.TotalMilliseconds:0} ms"));
            _lines.Add($"{r.Explanation.Provider.DisplayName()}, frame {r.Sequence}, dropped {inference!.Worker?.DroppedFrames ?? 0}");
        }
        if (problem?.ToString() is { } text)
            _lines.Add(text);
        _shownResult = r;
        _shownProblem = problem;
    }
}
