using Glassbox.Engine.Live;
using Glassbox.Explain;
using Glassbox.Inference;
using Glassbox.Media;

namespace Glassbox.Engine.Recording;

/// <summary>How a replay runs and what it accepts.</summary>
public sealed record ReplayOptions
{
    public static ReplayOptions Default { get; } = new();

    /// <summary>Provider to run on; null runs each result on the provider that made it.</summary>
    public string? Ep { get; init; }

    /// <summary>Model package or file to use instead of the recorded path; its SHA-256 must still match.</summary>
    public string? Model { get; init; }

    /// <summary>Largest difference of a probability accepted where equal bits cannot be expected.</summary>
    public float ProbabilityTolerance { get; init; } = 1e-3f;

    /// <summary>Largest difference of a map value accepted there, as a fraction of the recorded map's largest magnitude.</summary>
    public float MapTolerance { get; init; } = 0.02f;
}

public enum ReplayOutcome
{
    /// <summary>Probabilities and every map equal the recorded ones bit for bit.</summary>
    Identical,

    /// <summary>Not equal bits, but the same prediction and differences within the tolerances; accepted only across machines or providers.</summary>
    WithinTolerance,

    /// <summary>A different prediction, or differences the replay does not accept.</summary>
    Different,
}

/// <summary>One recorded result run again.</summary>
/// <param name="ExactExpected">Same machine and provider as the recording: only equal bits pass.</param>
/// <param name="ProbabilityDifference">Largest absolute difference of a probability.</param>
/// <param name="MapDifference">Largest difference of a map value over the recorded map's largest magnitude, worst map.</param>
public sealed record ReplayCheck(
    int Index, long Sequence, int RecordedClass, int ReplayedClass, string Provider, bool ExactExpected, ReplayOutcome Outcome,
    float ProbabilityDifference, float MapDifference, string Detail)
{
    public bool Passed => Outcome == ReplayOutcome.Identical || Outcome == ReplayOutcome.WithinTolerance && !ExactExpected;
}

public sealed record ReplayReport(IReadOnlyList<ReplayCheck> Checks, bool SameMachine, string MachineNote)
{
    public bool Passed => Checks.All(c => c.Passed);

    public int Identical => Checks.Count(c => c.Outcome == ReplayOutcome.Identical);
}

/// <summary>
/// Runs a recorded session again: the canvas edits are applied in order to a canvas of the recorded size,
/// and at each recorded result the drawing is prepared exactly as the live canvas prepares it and explained
/// with the settings that result was made with. On the same machine and provider every prediction and map
/// must be bit-identical (ONNX Runtime runs with deterministic kernels; the methods' seeds are fixed); on another
/// machine or provider, the same prediction with probabilities and maps within <see cref="ReplayOptions"/>' tolerances.
/// </summary>
public static class SessionReplay
{
    public static ReplayReport Verify(SessionRecording recording, ReplayOptions? options = null, Action<ReplayCheck>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(recording);
        options ??= ReplayOptions.Default;
        if (recording.Results.Count == 0)
            throw new GlassboxException("The recording has no results to check: nothing was drawn, or the model never answered.");
        var canvasInfo = recording.Info.Canvas
                         ?? throw new GlassboxException("The recording has no drawing canvas; only canvas sessions can be replayed (feed frames are not recorded).");
        var here = MachineInfo.Current();
        var recorded = recording.Info.Machine;
        bool sameMachine = recorded.Cpu == here.Cpu && recorded.Architecture == here.Architecture && recorded.DotNet == here.DotNet && recorded.OnnxRuntime == here.OnnxRuntime;
        string note = sameMachine
            ? $"same machine class as the recording ({here.Cpu}, ONNX Runtime {here.OnnxRuntime})"
            : $"recorded on {recorded.Cpu}, {recorded.DotNet}, ONNX Runtime {recorded.OnnxRuntime}; replayed on {here.Cpu}, {here.DotNet}, ONNX Runtime {here.OnnxRuntime}: results are compared within tolerance";

        var canvas = new DrawingCanvas(canvasInfo.Resolution, canvasInfo.Resolution, canvasInfo.BrushWidth);
        var ink = new byte[canvasInfo.Resolution * canvasInfo.Resolution];
        int applied = 0;
        var checks = new List<ReplayCheck>();
        using var runners = new RunnerCache(options);
        for (int i = 0; i < recording.Results.Count; i++)
        {
            var result = recording.Results[i];
            if (result.Inputs < applied)
            {
                canvas = new DrawingCanvas(canvasInfo.Resolution, canvasInfo.Resolution, canvasInfo.BrushWidth);
                applied = 0;
            }
            for (; applied < result.Inputs; applied++)
            {
                if (recording.Inputs[applied].ToEdit() is { } edit)
                    canvas.Apply(edit);
            }
            canvas.Rasterise(ink);
            var runner = runners.For(result, i);
            var tensor = new float[runner.Explainer.InputSize];
            DrawingCanvasInput.PrepareInput(ink, canvasInfo.Resolution, runner.Package.Preprocessing, tensor);
            var replayed = runner.Explainer.Explain(tensor, runner.Methods, runner.Target, runner.Taps);
            string provider = replayed.Provider.ToString().ToLowerInvariant();
            var check = Compare(i, result, replayed, provider, sameMachine && provider == result.Provider, options);
            checks.Add(check);
            progress?.Invoke(check);
        }
        return new ReplayReport(checks, sameMachine, note);
    }

    private static ReplayCheck Compare(int index, RecordedResult recorded, ExplainResult replayed, string provider, bool exact, ReplayOptions options)
    {
        var probabilities = replayed.Probabilities.AsSpan();
        bool sameBits = Sha256Hex.Of(probabilities) == recorded.ProbabilitiesSha256;
        float probabilityDifference = recorded.Probabilities.Length == probabilities.Length ? MaxDifference(recorded.Probabilities, probabilities) : float.PositiveInfinity;
        float mapDifference = 0f;
        var problems = new List<string>();
        foreach (var map in recorded.Maps)
        {
            var now = replayed.Maps.FirstOrDefault(m => m.Method == map.Method);
            if (now is null || now.Width != map.Width || now.Height != map.Height)
            {
                problems.Add(now is null ? $"no {map.Method} map" : $"{map.Method} map is {now.Width}×{now.Height}, recorded {map.Width}×{map.Height}");
                mapDifference = float.PositiveInfinity;
                sameBits = false;
                continue;
            }
            sameBits &= Sha256Hex.Of(now.Values) == map.Sha256;
            float scale = map.Values.Length == 0 ? 0f : map.Values.Max(MathF.Abs);
            float difference = MaxDifference(map.Values, now.Values) / (scale > 0f ? scale : 1f);
            if (difference > mapDifference)
                mapDifference = difference;
        }
        int predicted = replayed.PredictedClass;
        ReplayOutcome outcome;
        if (sameBits && problems.Count == 0)
        {
            outcome = ReplayOutcome.Identical;
        }
        else
        {
            if (predicted != recorded.Predicted)
                problems.Add($"predicted {predicted}, recorded {recorded.Predicted}");
            if (probabilityDifference > options.ProbabilityTolerance)
                problems.Add($"probabilities differ by up to {probabilityDifference:G3} (tolerance {options.ProbabilityTolerance:G3})");
            if (mapDifference > options.MapTolerance)
                problems.Add($"maps differ by up to {mapDifference:P2} of their range (tolerance {options.MapTolerance:P0})");
            outcome = problems.Count == 0 ? ReplayOutcome.WithinTolerance : ReplayOutcome.Different;
            if (exact)
                problems.Insert(0, "not bit-identical on the machine and provider it was recorded on");
        }
        return new ReplayCheck(index, recorded.Sequence, recorded.Predicted, predicted, provider, exact, outcome, probabilityDifference, mapDifference, string.Join("; ", problems));
    }

    private static float MaxDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float max = 0f;
        for (int i = 0; i < a.Length; i++)
        {
            float d = MathF.Abs(a[i] - b[i]);
            if (!(d <= max))
                max = float.IsNaN(d) ? float.PositiveInfinity : d;
        }
        return max;
    }

    private sealed record Runner(ModelPackage Package, Explainer Explainer, IReadOnlyList<AttributionMethod> Methods, ExplanationTarget Target, IReadOnlyList<string> Taps);

    /// <summary>One explainer per distinct settings: a session switches models and methods a few times, not per result.</summary>
    private sealed class RunnerCache(ReplayOptions options) : IDisposable
    {
        private readonly Dictionary<string, Runner> _runners = [];
        private readonly Dictionary<string, ModelPackage> _packages = [];

        public Runner For(RecordedResult result, int index)
        {
            var settings = result.Settings;
            string ep = options.Ep ?? result.Provider;
            string key = string.Join('\n', [settings.ModelPath, settings.ModelSha256, .. settings.Methods, settings.Layer, settings.Target, ep, settings.Threads.ToString(), .. settings.Taps]);
            if (_runners.TryGetValue(key, out var runner))
                return runner;
            var package = Package(options.Model ?? settings.ModelPath, settings.ModelSha256, index);
            var methods = settings.Methods.Select(AttributionMethods.Parse).ToList();
            var explainer = Explainer.Create(package, settings.ToExplainerOptions(ep));
            runner = new Runner(package, explainer, methods, ExplanationTarget.Parse(settings.Target, package.Labels), settings.Taps);
            _runners[key] = runner;
            return runner;
        }

        private ModelPackage Package(string path, string sha256, int index)
        {
            if (!_packages.TryGetValue(path, out var package))
            {
                if (!File.Exists(path) && !Directory.Exists(path))
                    throw new GlassboxException($"Result {index} was made with the model at '{path}', which does not exist here. Pass --model with that model's package.");
                _packages[path] = package = ModelPackage.Load(path);
            }
            if (package.Sha256 != sha256)
                throw new GlassboxException($"Result {index} was made with a model whose SHA-256 is {sha256}, but '{path}' has {package.Sha256}: a different model. Pass --model with the one it was recorded with.");
            return package;
        }

        public void Dispose()
        {
            foreach (var runner in _runners.Values)
                runner.Explainer.Dispose();
        }
    }
}
