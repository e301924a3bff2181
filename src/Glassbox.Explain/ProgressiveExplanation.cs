using Glassbox.Explain.Methods;
using Glassbox.Inference.Planning;

namespace Glassbox.Explain;

/// <summary>
/// RISE or occlusion spread over frames: each <see cref="Step"/> runs a few more perturbed inputs
/// while the input stays the same, and starts again when it changes. After all samples the map
/// is bit-identical to the method's single-call map. One thread at a time.
/// </summary>
public sealed class ProgressiveExplanation
{
    private readonly Explainer _explainer;
    private float[] _input = [];
    private float[] _sum = [];
    private float[] _weight = [];
    private ExplanationTarget? _target;

    public ProgressiveExplanation(Explainer explainer, SamplingMethod method)
    {
        ArgumentNullException.ThrowIfNull(explainer);
        ArgumentNullException.ThrowIfNull(method);
        _explainer = explainer;
        Method = method;
        Total = method.SampleCount(explainer);
    }

    public SamplingMethod Method { get; }

    /// <summary>Samples in the current accumulation.</summary>
    public int Done { get; private set; }

    /// <summary>Samples of the full map.</summary>
    public int Total { get; }

    public bool IsComplete => Done == Total;

    /// <summary>How many times a changed input or target restarted the accumulation.</summary>
    public int Restarts { get; private set; }

    /// <summary>
    /// Adds up to <paramref name="samples"/> samples for <paramref name="input"/> and returns the
    /// map so far (all zero until a sample has run). A different input or target restarts from zero.
    /// </summary>
    public AttributionMap Step(ReadOnlySpan<float> input, ExplanationTarget target, int samples)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (samples < 0)
            throw new GlassboxException($"Samples per step is {samples}; use 0 or more.");
        if (!input.SequenceEqual(_input) || target != _target)
        {
            if (_input.Length > 0)
                Restarts++;
            _input = input.ToArray();
            _target = target;
            int pixels = _explainer.Height * _explainer.Width;
            _sum = new float[pixels];
            _weight = new float[pixels];
            Done = 0;
        }
        var context = _explainer.Run(input, RunNeeds.None, target);
        int count = Math.Min(samples, Total - Done);
        if (count > 0)
        {
            Method.Accumulate(context, Done, count, _sum, _weight);
            Done += count;
        }
        var map = Method.Finish(context, _sum, _weight, Math.Max(1, Done));
        return map with { Details = map.Details.SetItem("progress", $"{Done}/{Total}") };
    }
}
