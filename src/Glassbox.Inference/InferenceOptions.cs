using Microsoft.ML.OnnxRuntime;

namespace Glassbox.Inference;

/// <summary>How much ONNX Runtime may rewrite the graph before running it.</summary>
public enum GraphOptimization
{
    None,
    Basic,
    Extended,
    All,
}

/// <summary>Settings for a <see cref="ModelSession"/>. Validated when the session is opened.</summary>
public sealed record InferenceOptions
{
    public static InferenceOptions Default { get; } = new();

    /// <summary>Providers to try, in order; the first that opens the model runs it.</summary>
    public IReadOnlyList<ExecutionProvider> Providers { get; init; } = ExecutionProviders.DefaultPreference;

    /// <summary>Threads for one operator; 0 lets ONNX Runtime choose (one per physical core).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Ask every provider for deterministic kernels, so equal inputs give equal bits run after run.</summary>
    public bool Deterministic { get; init; } = true;

    public GraphOptimization Optimization { get; init; } = GraphOptimization.All;

    /// <summary>Intermediate tensors to expose as extra outputs (the model file is not changed).</summary>
    public IReadOnlyList<string> Taps { get; init; } = [];

    /// <summary>
    /// Native custom-operator libraries to load into the session. Loading one runs its code in this
    /// process, so none is loaded unless listed here: a model file alone can never pull one in.
    /// </summary>
    public IReadOnlyList<string> CustomOpLibraries { get; init; } = [];

    /// <summary>Throws with a message that says how to fix the options.</summary>
    public InferenceOptions Validate()
    {
        if (Providers is null || Providers.Count == 0)
            throw new GlassboxException("No execution provider was given. Name at least one (cpu is always available), or use the default preference.");
        if (Providers.Distinct().Count() != Providers.Count)
            throw new GlassboxException($"The provider preference lists a provider twice ({string.Join(", ", Providers.Select(p => p.DisplayName()))}); name each once.");
        if (IntraOpThreads is < 0 or > 1024)
            throw new GlassboxException($"IntraOpThreads is {IntraOpThreads}; use 0 (let ONNX Runtime choose) or a thread count from 1 to 1024.");
        if (CustomOpLibraries.FirstOrDefault(l => !File.Exists(l)) is { } missing)
            throw new GlassboxException($"Custom-op library '{missing}' does not exist. Give the path of the shared library built for this ONNX Runtime version.");
        if (Taps.Any(string.IsNullOrWhiteSpace))
            throw new GlassboxException("A tap has an empty name; give the name of an intermediate tensor of the model.");
        return this;
    }

    internal GraphOptimizationLevel OrtOptimizationLevel => Optimization switch
    {
        GraphOptimization.None => GraphOptimizationLevel.ORT_DISABLE_ALL,
        GraphOptimization.Basic => GraphOptimizationLevel.ORT_ENABLE_BASIC,
        GraphOptimization.Extended => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
    };
}
