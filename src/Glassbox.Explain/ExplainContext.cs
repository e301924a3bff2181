using System.Diagnostics;
using Glassbox.Inference;
using Glassbox.Inference.Planning;

namespace Glassbox.Explain;

/// <summary>Which score of the explained class a perturbation measures.</summary>
public enum ScoreKind
{
    /// <summary>The raw output (logit), as gradient methods differentiate.</summary>
    Logit,
    /// <summary>The softmax probability, as RISE, Score-CAM and the deletion/insertion metrics use.</summary>
    Probability,
}

/// <summary>
/// One input after its shared run: scores, the explained class, the tapped tensors and gradients,
/// and batched runs of perturbed inputs on the same session. Valid until the explainer runs again:
/// the explainer keeps one context per session and refills its arrays for the next input, so a live
/// loop explains frame after frame without allocating them again.
/// </summary>
public sealed class ExplainContext
{
    private readonly Dictionary<string, float[]> _tensors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, float[]> _gradients = new(StringComparer.Ordinal);
    // Sessions of the runs beside the shared one, by the needs instance that asked (a method keeps one): one or two.
    private readonly List<(RunNeeds Needs, PlannedSession Session)> _alongside = [];
    private float[] _input = [];
    private long _runTicks;
    private TargetReadout _readout = null!;
    private ExplanationTarget? _readoutTarget;
    // Scratch for reading one output sample: class scores and probabilities.
    private float[] _rowScores = [], _rowProbabilities = [];

    internal ExplainContext(Explainer explainer, PlannedSession session)
    {
        Explainer = explainer;
        Session = session;
        Target = ExplanationTarget.TopClass;
    }

    public Explainer Explainer { get; }

    /// <summary>The planned session every run of this context uses.</summary>
    public PlannedSession Session { get; }

    public ExplanationTarget Target { get; private set; }

    /// <summary>The input as the model takes it (channels × height × width).</summary>
    public ReadOnlySpan<float> Input => _input;

    /// <summary>The model's class scores for the input.</summary>
    public float[] Scores { get; private set; } = [];

    public float[] Probabilities { get; private set; } = [];

    /// <summary>The explained class: the target's, or the top class.</summary>
    public int TargetClass { get; private set; }

    /// <summary>The explained logit (or logit difference for a contrast) on the input.</summary>
    public float TargetScore { get; private set; }

    /// <summary>Time of the shared run.</summary>
    public TimeSpan SharedRunTime { get; private set; }

    /// <summary>Time in runs so far, the shared one included.</summary>
    public TimeSpan RunTime => TimeSpan.FromTicks(_runTicks);

    /// <summary>Class scores per sample for this target (a detection row's scores, a map's channels, a classifier's classes).</summary>
    public int Classes => _readout.Classes;

    /// <summary>Makes this the context of <paramref name="input"/>: its shared run, into the arrays of the last one.</summary>
    /// <summary>The own-run needs this context's run also serves (its session was planned for them); null for none.</summary>
    internal RunNeeds? AlsoServes { get; set; }

    internal ExplainContext Reset(ReadOnlySpan<float> input, ExplanationTarget target)
    {
        AlsoServes = null;
        if (_input.Length != input.Length)
            _input = new float[input.Length];
        input.CopyTo(_input);
        Target = target;
        if (!ReferenceEquals(_readoutTarget, target))
        {
            _readout = TargetReadout.For(target, Session.OutputSampleShape, Explainer.Width, Explainer.Height, Session.Output);
            _readoutTarget = target;
            target.Validate(_readout.Classes, Explainer.Labels);
            _rowScores = new float[_readout.Classes];
            _rowProbabilities = new float[_readout.Classes];
        }
        // A detection's box is chosen on each input anew.
        _readout.Unresolve();
        _runTicks = 0;
        RunShared();
        return this;
    }

    /// <summary>The explained score of one output sample, as a logit (sum) or a probability.</summary>
    private float ReadScore(ReadOnlySpan<float> sample, ScoreKind kind)
    {
        _readout.Read(sample, _rowScores, _rowProbabilities);
        return Target.ScoreOf(kind == ScoreKind.Logit ? _rowScores : _rowProbabilities, TargetClass);
    }

    /// <summary>The explained score of the unperturbed input, as a logit or a probability.</summary>
    public float OriginalScore(ScoreKind kind) => Target.ScoreOf(kind == ScoreKind.Logit ? Scores : Probabilities, TargetClass);

    /// <summary>
    /// The same input and target run once more on a session serving <paramref name="needs"/> (which the
    /// shared run could not: a modified backward pass); its time counts toward this context's runs. The
    /// returned context is valid until its session runs again.
    /// </summary>
    internal ExplainContext RunAlongside(RunNeeds needs)
    {
        if (ReferenceEquals(needs, AlsoServes))
            return this;
        // Found by reference, frame after frame, without building the planner's key again.
        PlannedSession? session = null;
        foreach (var (known, planned) in _alongside)
        {
            if (ReferenceEquals(known, needs))
                session = planned;
        }
        if (session is null)
        {
            // A caller that makes new needs every time is served by the planner's cache; this list stays small.
            if (_alongside.Count == 8)
                _alongside.Clear();
            _alongside.Add((needs, session = Explainer.SessionFor(needs)));
        }
        var other = Explainer.Run(_input, session, Target);
        _runTicks += other.RunTime.Ticks;
        return other;
    }

    /// <summary>An intermediate tensor of the shared run (batch row 0); it must be among the needs' taps.</summary>
    public float[] Tensor(string name) =>
        _tensors.TryGetValue(name, out var values) ? values
            : throw new GlassboxException($"Tensor '{name}' was not tapped in this run; add it to the method's RunNeeds.Taps.");

    /// <summary>The gradient of the explained score with respect to <paramref name="tensor"/>; it must be among the needs' gradient targets.</summary>
    public float[] Gradient(string tensor) =>
        _gradients.TryGetValue(tensor, out var values) ? values
            : throw new GlassboxException($"No gradient with respect to '{tensor}' in this run; add it to the method's RunNeeds.GradientTargets.");

    /// <summary>The tensor's shape without the batch dimension, as the session reports it.</summary>
    public TensorShape ShapeOf(string tensor)
    {
        var run = Session.Run(1);
        var info = run.OutputInfos.FirstOrDefault(o => o.Name == tensor)
                   ?? throw new GlassboxException($"Tensor '{tensor}' is not an output of this run.");
        return TensorShape.Of(info.Shape.ToArray()[1..]);
    }

    /// <summary>
    /// The explained score in one row of class scores from <see cref="ScoreBatch"/>; for
    /// <see cref="ScoreKind.Probability"/> of a classifier's row, after softmax (other outputs:
    /// use <see cref="TargetScores"/>, which reads probabilities from the output itself).
    /// </summary>
    public float ScoreOf(ReadOnlySpan<float> logits, ScoreKind kind)
    {
        if (kind == ScoreKind.Logit)
            return Target.ScoreOf(logits, TargetClass);
        Span<float> probabilities = logits.Length <= 1024 ? stackalloc float[logits.Length] : new float[logits.Length];
        MapMath.Softmax(logits, probabilities);
        return Target.ScoreOf(probabilities, TargetClass);
    }

    /// <summary>Class scores of <paramref name="count"/> inputs laid end to end; writes count × classes logits (the target's class scores).</summary>
    public void ScoreBatch(ReadOnlySpan<float> inputs, int count, Span<float> logits) => RunBatch(inputs, count, logits, kind: null);

    /// <summary>The explained score of each of <paramref name="count"/> inputs.</summary>
    public void TargetScores(ReadOnlySpan<float> inputs, int count, Span<float> scores, ScoreKind kind) => RunBatch(inputs, count, scores, kind);

    /// <summary>Runs the inputs in chunks; writes each one's class-score row (kind null) or its explained score.</summary>
    private void RunBatch(ReadOnlySpan<float> inputs, int count, Span<float> destination, ScoreKind? kind)
    {
        int size = Explainer.InputSize, outputSize = _readout.SampleSize, classes = Classes;
        CheckBatch(inputs.Length, count, size);
        int chunk = Math.Min(Explainer.Options.MaxBatch, Session.MaxBatch);
        for (int start = 0; start < count; start += chunk)
        {
            int n = Math.Min(chunk, count - start);
            var run = Session.Run(n, scoresOnly: true);
            inputs.Slice(start * size, n * size).CopyTo(run.Input<float>(Session.Input.Name));
            OpenGate(run, n);
            Execute(run);
            var outputs = run.Output<float>(Session.Output);
            for (int i = 0; i < n; i++)
            {
                var sample = outputs.Slice(i * outputSize, outputSize);
                if (kind is { } k)
                {
                    destination[start + i] = ReadScore(sample, k);
                }
                else
                {
                    _readout.Read(sample, _rowScores, _rowProbabilities);
                    _rowScores.CopyTo(destination.Slice((start + i) * classes, classes));
                }
            }
        }
    }

    /// <summary>
    /// The gradient of the explained logit with respect to the input, for each of
    /// <paramref name="count"/> inputs; needs the input among the gradient targets.
    /// </summary>
    public void InputGradients(ReadOnlySpan<float> inputs, int count, Span<float> gradients)
    {
        int size = Explainer.InputSize;
        CheckBatch(inputs.Length, count, size);
        string gradient = Session.GradientOf(Session.Input.Name);
        var graph = Session.Gradients!;
        int chunk = Math.Min(Explainer.Options.MaxBatch, Session.MaxBatch);
        for (int start = 0; start < count; start += chunk)
        {
            int n = Math.Min(chunk, count - start);
            var run = Session.Run(n);
            inputs.Slice(start * size, n * size).CopyTo(run.Input<float>(Session.Input.Name));
            var seed = run.Input<float>(graph.SeedInput);
            int seedSize = _readout.SampleSize;
            for (int i = 0; i < n; i++)
                _readout.FillSeed(seed.Slice(i * seedSize, seedSize), TargetClass, Target.Contrast);
            if (graph.TopClassWeightInput is { } top)
                run.Input<float>(top).Clear();
            OpenGate(run, n);
            Execute(run);
            run.Output<float>(gradient)[..(n * size)].CopyTo(gradients.Slice(start * size, n * size));
        }
    }

    /// <summary>
    /// Class scores of this input with channels of the gated layer switched off: row i of
    /// <paramref name="gates"/> (channels values, 1 keeps, 0 removes) is batch row i.
    /// </summary>
    public void GatedScoreBatch(ReadOnlySpan<float> gates, int count, Span<float> logits)
    {
        var gate = Session.Gate ?? throw new GlassboxException("This run has no channel gate; add RunNeeds.ChannelGate.");
        int size = Explainer.InputSize, classes = Classes, channels = gate.Channels;
        CheckBatch(gates.Length, count, channels);
        int chunk = Math.Min(Explainer.Options.MaxBatch, Session.MaxBatch);
        for (int start = 0; start < count; start += chunk)
        {
            int n = Math.Min(chunk, count - start);
            var run = Session.Run(n, scoresOnly: true);
            var batchInput = run.Input<float>(Session.Input.Name);
            for (int i = 0; i < n; i++)
                _input.CopyTo(batchInput.Slice(i * size, size));
            gates.Slice(start * channels, n * channels).CopyTo(run.Input<float>(gate.GateInput));
            Execute(run);
            var outputs = run.Output<float>(Session.Output);
            int outputSize = _readout.SampleSize;
            for (int i = 0; i < n; i++)
            {
                _readout.Read(outputs.Slice(i * outputSize, outputSize), _rowScores, _rowProbabilities);
                _rowScores.CopyTo(logits.Slice((start + i) * classes, classes));
            }
        }
    }

    private void RunShared()
    {
        var run = Session.Run(1);
        _input.CopyTo(run.Input<float>(Session.Input.Name));
        if (Session.Gradients is { } graph)
        {
            var seed = run.Input<float>(graph.SeedInput);
            if (graph.TopClassWeightInput is { } topWeight && Target.Label is null && Target.Kind == TargetKind.Class)
            {
                // The graph seeds its own top class: one run finds the class and explains it.
                seed.Clear();
                run.Input<float>(topWeight)[0] = 1f;
            }
            else
            {
                if (graph.TopClassWeightInput is { } unused)
                    run.Input<float>(unused).Clear();
                // A dense output's class or detection is known only from the output: one forward run first.
                int label = Target.Label is { } given && _readout.Resolved ? given : ResolveByForwardRun();
                _readout.FillSeed(seed, label, Target.Contrast);
            }
        }
        OpenGate(run, 1);
        long start = Stopwatch.GetTimestamp();
        Execute(run);
        SharedRunTime = Stopwatch.GetElapsedTime(start);

        int classes = _readout.Classes;
        if (Scores.Length != classes)
        {
            Scores = new float[classes];
            Probabilities = new float[classes];
        }
        var output = run.Output<float>(Session.Output)[.._readout.SampleSize];
        if (!_readout.Resolved)
            _readout.Resolve(output);
        _readout.Read(output, Scores, Probabilities);
        TargetClass = Target.Resolve(Scores);
        TargetScore = Target.ScoreOf(Scores, TargetClass);
        foreach (var tap in Session.Needs.Taps)
            CopyInto(_tensors, tap, run.Output<float>(tap));
        if (Session.Gradients is { } gradients)
        {
            foreach (var (tensor, gradientOutput) in gradients.GradientOutputs)
                CopyInto(_gradients, tensor, run.Output<float>(gradientOutput));
        }
    }

    /// <summary>A forward run of the input alone, to fix the detection and the class before the gradients are seeded.</summary>
    private int ResolveByForwardRun()
    {
        var probe = Session.Run(1, scoresOnly: true);
        _input.CopyTo(probe.Input<float>(Session.Input.Name));
        OpenGate(probe, 1);
        Execute(probe);
        var output = probe.Output<float>(Session.Output)[.._readout.SampleSize];
        _readout.Resolve(output);
        _readout.Read(output, _rowScores, _rowProbabilities);
        return Target.Resolve(_rowScores);
    }

    private static void CopyInto(Dictionary<string, float[]> arrays, string name, ReadOnlySpan<float> values)
    {
        if (!arrays.TryGetValue(name, out var array) || array.Length != values.Length)
            arrays[name] = array = new float[values.Length];
        values.CopyTo(array);
    }

    private void OpenGate(SessionRun run, int batch)
    {
        if (Session.Gate is { } gate)
            run.Input<float>(gate.GateInput)[..(batch * gate.Channels)].Fill(1f);
    }

    private void Execute(SessionRun run)
    {
        long start = Stopwatch.GetTimestamp();
        run.Execute();
        _runTicks += Stopwatch.GetElapsedTime(start).Ticks;
    }

    private static void CheckBatch(int length, int count, int size)
    {
        if (count < 0 || (long)count * size != length)
            throw new GlassboxException($"A batch of {count} needs {(long)count * size} values ({count} × {size}); {length} were given.");
    }
}
