using System.Collections.Immutable;
using Glassbox.Inference;

namespace Glassbox.Explain;

/// <summary>Settings of an <see cref="Explainer"/>. Validated when it is created.</summary>
public sealed record ExplainerOptions
{
    public static ExplainerOptions Default { get; } = new();

    /// <summary>The class-score output (logits); null for the model's first output.</summary>
    public string? Output { get; init; }

    /// <summary>The layer CAM methods read: a tensor name, or "auto" for the last spatial feature map.</summary>
    public string Layer { get; init; } = "auto";

    public InferenceOptions Inference { get; init; } = InferenceOptions.Default;

    /// <summary>
    /// The input tensor's value for a black pixel, one per channel (or one for all). Perturbation
    /// methods and the metrics remove evidence by moving pixels to it. Unset (default), a model package
    /// gives it from its preprocessing and a bare model uses 0.
    /// </summary>
    public ImmutableArray<float> BlackLevel { get; init; }

    /// <summary>
    /// The input tensor's value for a full-intensity pixel, one per channel (or one for all): with
    /// <see cref="BlackLevel"/>, the box LRP's z^B rule bounds the input by. Unset, a model package gives it from
    /// its preprocessing and a bare model uses 1.
    /// </summary>
    public ImmutableArray<float> WhiteLevel { get; init; }

    /// <summary>
    /// Height and width to run a model whose input leaves them free (exported with dynamic axes);
    /// null to take the model's own. A model package's preprocessing gives them when unset.
    /// </summary>
    public int? InputHeight { get; init; }

    /// <inheritdoc cref="InputHeight"/>
    public int? InputWidth { get; init; }

    /// <summary>Most perturbed inputs in one run.</summary>
    public int MaxBatch { get; init; } = 64;

    public ExplainerOptions Validate()
    {
        if (string.IsNullOrWhiteSpace(Layer))
            throw new GlassboxException("Layer is empty; name a tensor from the layer listing, or use \"auto\" for the last spatial feature map.");
        if (!BlackLevel.IsDefault && (BlackLevel.IsEmpty || BlackLevel.Any(v => !float.IsFinite(v))))
            throw new GlassboxException("BlackLevel needs one finite value per input channel (or one for all): the input tensor's value for a black pixel.");
        if (!WhiteLevel.IsDefault && (WhiteLevel.IsEmpty || WhiteLevel.Any(v => !float.IsFinite(v))))
            throw new GlassboxException("WhiteLevel needs one finite value per input channel (or one for all): the input tensor's value for a full-intensity pixel.");
        if (InputHeight is < 1 or > 16384 || InputWidth is < 1 or > 16384)
            throw new GlassboxException($"Input size {InputWidth}×{InputHeight} is out of range; give a width and height from 1 to 16384 pixels.");
        if (MaxBatch is < 1 or > 4096)
            throw new GlassboxException($"MaxBatch is {MaxBatch}; use 1 to 4096 (64 suits most models).");
        Inference.Validate();
        return this;
    }
}
