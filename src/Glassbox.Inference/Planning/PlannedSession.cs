using System.Collections.Concurrent;
using Glassbox.Onnx;
using Glassbox.Onnx.Gradients;

namespace Glassbox.Inference.Planning;

/// <summary>
/// One augmented session of a <see cref="RunPlanner"/> and its prepared runs, one per batch size.
/// Owned by the planner; runs are owned by this and must be used by one thread at a time.
/// </summary>
public sealed class PlannedSession : IDisposable
{
    private readonly ConcurrentDictionary<(int Batch, bool ScoresOnly), SessionRun> _runs = new();
    private readonly string? _fixedBatchReason;

    private readonly TensorShape? _sampleShape;
    // The output's shape without the batch axis, learnt from a run of the plain model when it leaves it
    // free (a dense output of a free-size input). Not from this session: its seed needs that shape to run at all.
    private readonly Func<TensorShape>? _plainOutputSample;
    private TensorShape? _outputSample;

    internal PlannedSession(RunNeeds needs, string output, ModelSession session, GradientGraph? gradients, ChannelGatedModel? gate, TensorShape? sampleShape,
                            Func<TensorShape>? plainOutputSample)
    {
        _sampleShape = sampleShape;
        _plainOutputSample = plainOutputSample;
        Needs = needs;
        Output = output;
        Session = session;
        Gradients = gradients;
        Gate = gate;
        Input = session.Inputs.FirstOrDefault(i => i.Name != gradients?.SeedInput && i.Name != gradients?.TopClassWeightInput && i.Name != gate?.GateInput)
                ?? throw new GlassboxException($"Model '{session.Model.Source}' has no input to feed.");
        long fixedBatch = Input.Shape.Rank > 0 ? Input.Shape[0] : 1;
        if (fixedBatch != TensorShape.Dynamic)
        {
            MaxBatch = (int)Math.Max(1, fixedBatch);
            _fixedBatchReason = $"input '{Input.Name}' has a fixed batch size of {fixedBatch}";
        }
        else
        {
            MaxBatch = int.MaxValue;
        }
    }

    public RunNeeds Needs { get; }

    public ModelSession Session { get; }

    /// <summary>The gradient graph when gradients were needed, else null.</summary>
    public GradientGraph? Gradients { get; }

    /// <summary>The channel gate when one was needed, else null.</summary>
    public ChannelGatedModel? Gate { get; }

    /// <summary>The model's own input (the image tensor).</summary>
    public TensorInfo Input { get; }

    /// <summary>The output the planner was made for.</summary>
    public string Output { get; }

    /// <summary>Largest batch a run can take: the model's fixed batch size, or unlimited for a dynamic one.</summary>
    public int MaxBatch { get; }

    /// <summary>The graph output that holds the gradient of <see cref="Output"/> with respect to <paramref name="tensor"/>.</summary>
    public string GradientOf(string tensor)
    {
        if (Gradients is null || !Gradients.GradientOutputs.TryGetValue(tensor, out var name))
            throw new GlassboxException($"This session has no gradient with respect to '{tensor}'; add it to RunNeeds.GradientTargets.");
        return name;
    }

    /// <summary>A prepared run for <paramref name="batch"/> samples, made on first use and kept.</summary>
    /// <param name="scoresOnly">Compute only <see cref="Output"/>: ONNX Runtime then skips the taps and the backward nodes.</param>
    public SessionRun Run(int batch, bool scoresOnly = false)
    {
        if (batch < 1 || batch > MaxBatch)
            throw new GlassboxException($"A batch of {batch} cannot run: {_fixedBatchReason ?? "batches start at 1"}. Ask for at most {MaxBatch}.");
        return _runs.GetOrAdd((batch, scoresOnly), key => CreateRun(key.Batch, key.ScoresOnly));
    }

    /// <summary>The output's shape for one sample (without the batch axis), for this session's input size.</summary>
    public TensorShape OutputSampleShape => _outputSample ??= LearnOutputSample();

    private SessionRun CreateRun(int batch, bool scoresOnly)
    {
        var dimensions = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var input in Session.Inputs)
        {
            if (input.Shape.Rank > 0 && input.Shape[0] == TensorShape.Dynamic && input.Shape.SymbolAt(0) is { } symbol)
                dimensions[symbol] = batch;
        }
        var shapes = new Dictionary<string, TensorShape>(StringComparer.Ordinal);
        if (_sampleShape is not null)
            shapes[Input.Name] = new TensorShape([batch, .. _sampleShape.Dimensions]);
        if (Gradients is { } graph)
        {
            // The seed has the output's shape, which a free-size input decides. ONNX Runtime checks
            // shapes along the backward nodes even when a run asks only for the scores, so it is given exactly.
            var seed = Session.Inputs.First(i => i.Name == graph.SeedInput);
            if (!seed.Shape.WithDynamicDimensions(dimensions).IsFullyKnown)
                shapes[seed.Name] = new TensorShape([batch, .. OutputSampleShape.Dimensions]);
        }
        return Session.CreateRun(scoresOnly ? [Output] : null, dimensions, shapes);
    }

    private TensorShape LearnOutputSample()
    {
        var declared = Session.Outputs.First(o => o.Name == Output).Shape;
        if (declared.Rank > 0 && Enumerable.Range(1, declared.Rank - 1).All(i => declared[i] != TensorShape.Dynamic))
            return TensorShape.Of(declared.ToArray()[1..]);
        if (Gradients is not null && _plainOutputSample is not null)
            return _plainOutputSample();
        var info = Run(1, scoresOnly: true).OutputInfos.First(o => o.Name == Output);
        return TensorShape.Of(info.Shape.ToArray()[1..]);
    }

    public void Dispose()
    {
        foreach (var run in _runs.Values)
            run.Dispose();
        _runs.Clear();
        Session.Dispose();
    }
}
