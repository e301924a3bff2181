using System.Collections.Concurrent;
using Glassbox.Onnx;
using Glassbox.Onnx.Gradients;

namespace Glassbox.Inference.Planning;

/// <summary>
/// Turns the merged needs of the active visualisations into one augmented session per distinct set
/// of needs (taps, gradient graph, channel gate) and keeps it: asking again with equal needs costs
/// nothing. Thread-safe; a session is built on the calling thread, so a live host asks from a
/// worker when the set of overlays changes. Owns every session it built.
/// </summary>
public sealed class RunPlanner : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<PlannedSession>> _sessions = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <param name="model">The model as loaded.</param>
    /// <param name="output">The output gradients are taken of (the class scores).</param>
    /// <param name="sampleShape">
    /// One sample of the model's input without the batch axis, such as 3×320×160: needed when the
    /// model leaves sizes other than the batch free. Null when the model fixes them.
    /// </param>
    public RunPlanner(OnnxModel model, string output, InferenceOptions? options = null, TensorShape? sampleShape = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Outputs.All(o => o.Name != output))
        {
            throw new GlassboxException($"Model '{model.Source}' has no output '{output}'. Its outputs are {string.Join(", ", model.Outputs.Select(o => $"'{o.Name}'"))}.");
        }
        Model = model;
        Output = output;
        Options = (options ?? InferenceOptions.Default).Validate();
        if (sampleShape is not null && !sampleShape.IsFullyKnown)
            throw new GlassboxException($"The sample shape {sampleShape} has free sizes; give every size of one input sample.");
        SampleShape = sampleShape;
    }

    /// <summary>One input sample's shape when the model leaves sizes free; null when it fixes them.</summary>
    public TensorShape? SampleShape { get; }

    public OnnxModel Model { get; }

    /// <summary>The differentiated output, normally the class scores.</summary>
    public string Output { get; }

    public InferenceOptions Options { get; }

    /// <summary>How many distinct sessions have been built.</summary>
    public int SessionCount => _sessions.Count;

    /// <summary>The session serving <paramref name="needs"/>, built on first request.</summary>
    public PlannedSession For(RunNeeds needs)
    {
        ArgumentNullException.ThrowIfNull(needs);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var lazy = _sessions.GetOrAdd(needs.Key, _ => new Lazy<PlannedSession>(() => Build(needs), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // A failed build (op without a gradient rule, bad tap) is not cached, so fixing the request works.
            _sessions.TryRemove(new KeyValuePair<string, Lazy<PlannedSession>>(needs.Key, lazy));
            throw;
        }
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var lazy in _sessions.Values)
        {
            if (lazy.IsValueCreated)
                lazy.Value.Dispose();
        }
        _sessions.Clear();
    }

    private PlannedSession Build(RunNeeds needs)
    {
        var model = Model;
        ChannelGatedModel? gate = null;
        if (needs.ChannelGate is { } gated)
        {
            gate = model.WithChannelGate(gated);
            model = gate.Model;
        }
        GradientGraph? gradients = null;
        if (needs.NeedsGradients)
        {
            bool classScores = model.Outputs.First(o => o.Name == Output).Shape.Rank == 2;
            gradients = GradientGraph.Derive(model, Output, needs.GradientTargets, seedTopClass: classScores, backward: needs.Backward);
            model = gradients.Model;
        }
        var session = ModelSession.Open(model, Options with { Taps = needs.Taps.ToList() });
        return new PlannedSession(needs, Output, session, gradients, gate, SampleShape, () => For(RunNeeds.None).OutputSampleShape);
    }
}
