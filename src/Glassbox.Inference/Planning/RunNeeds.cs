using System.Collections.Immutable;
using Glassbox.Onnx.Gradients;

namespace Glassbox.Inference.Planning;

/// <summary>
/// What one visualisation needs from a run of the model: intermediate tensors to read, tensors to
/// take the gradient of the planner's output with respect to, and a tensor whose channels it
/// switches off per batch row. Needs merge, so every active visualisation shares one session.
/// </summary>
public sealed record RunNeeds
{
    public static RunNeeds None { get; } = new();

    /// <summary>Intermediate tensors to expose as outputs.</summary>
    public ImmutableSortedSet<string> Taps { get; init; } = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    /// <summary>Tensors (intermediate or the model input) to differentiate the output with respect to.</summary>
    public ImmutableSortedSet<string> GradientTargets { get; init; } = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    /// <summary>The rules the gradients follow: the true gradient, or a modified backward pass (Guided Backprop, DeconvNet).</summary>
    public BackwardPass Backward { get; init; } = BackwardPass.Gradient;

    /// <summary>A rank-4 tensor whose channels are multiplied by a gate input (Ablation-CAM); null for none.</summary>
    public string? ChannelGate { get; init; }

    public static RunNeeds ForTaps(params string[] taps) => None with { Taps = ImmutableSortedSet.Create(StringComparer.Ordinal, taps) };

    public static RunNeeds ForGradients(params string[] targets) => None with { GradientTargets = ImmutableSortedSet.Create(StringComparer.Ordinal, targets) };

    public bool NeedsGradients => GradientTargets.Count > 0;

    /// <summary>True when one session can serve both: they do not gate different tensors or take gradients by different rules.</summary>
    public bool CanMerge(RunNeeds other) =>
        (ChannelGate is null || other.ChannelGate is null || ChannelGate == other.ChannelGate)
        && (Backward == other.Backward || !NeedsGradients || !other.NeedsGradients);

    public RunNeeds Merge(RunNeeds other)
    {
        if (!CanMerge(other))
            throw new GlassboxException(ChannelGate != other.ChannelGate && ChannelGate is not null && other.ChannelGate is not null
                ? $"One session cannot gate both '{ChannelGate}' and '{other.ChannelGate}'; plan them as separate sessions."
                : $"One session cannot take gradients by both the {Backward} and the {other.Backward} rules; plan them as separate sessions.");
        return new RunNeeds
        {
            Taps = Taps.Union(other.Taps),
            GradientTargets = GradientTargets.Union(other.GradientTargets),
            ChannelGate = ChannelGate ?? other.ChannelGate,
            Backward = NeedsGradients ? Backward : other.Backward,
        };
    }

    /// <summary>A canonical text form: equal needs give equal keys.</summary>
    public string Key => $"taps={string.Join(",", Taps)};grad={string.Join(",", GradientTargets)};gate={ChannelGate};backward={(NeedsGradients ? Backward.Key : "")}";

    public override string ToString() => Key;
}
