using System.Collections.Immutable;
using Glassbox.Onnx;
using Microsoft.ML.OnnxRuntime;
using OrtElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;

namespace Glassbox.Inference;

/// <summary>
/// A model opened on the first execution provider of the preference that accepts it.
/// Owns its ONNX Runtime session; dispose it to free native memory. Any number of
/// <see cref="SessionRun"/>s may be created from one session, each used by one thread at a time.
/// </summary>
public sealed class ModelSession : IDisposable
{
    private readonly InferenceSession _session;
    private bool _disposed;

    private ModelSession(OnnxModel model, InferenceSession session, ProviderReport providers, InferenceOptions options)
    {
        Model = model;
        _session = session;
        Providers = providers;
        Options = options;
        Inputs = session.InputMetadata.Select(kv => ToTensorInfo(kv.Key, kv.Value)).ToImmutableArray();
        Outputs = session.OutputMetadata.Select(kv => ToTensorInfo(kv.Key, kv.Value)).ToImmutableArray();
    }

    /// <summary>The model as loaded, without taps.</summary>
    public OnnxModel Model { get; }

    public InferenceOptions Options { get; }

    /// <summary>Which execution provider runs this session and why the others before it did not.</summary>
    public ProviderReport Providers { get; }

    /// <summary>Inputs the session needs, with element types and shapes.</summary>
    public ImmutableArray<TensorInfo> Inputs { get; }

    /// <summary>The model's outputs followed by the taps, with the shapes ONNX Runtime inferred.</summary>
    public ImmutableArray<TensorInfo> Outputs { get; }

    /// <summary>The version of the ONNX Runtime library this process runs (for manifests and recordings).</summary>
    public static string RuntimeVersion => OrtEnvironment.Get().GetVersionString();

    /// <summary>Opens the model file at <paramref name="path"/>.</summary>
    public static ModelSession Open(string path, InferenceOptions? options = null) =>
        Open(OnnxModel.Load(path), options);

    /// <summary>Opens a model held in memory.</summary>
    public static ModelSession Open(OnnxModel model, InferenceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options = (options ?? InferenceOptions.Default).Validate();
        if (model.HasExternalData)
        {
            throw new OnnxModelException($"Model '{model.Source}' keeps weights in external data that was not read; load it from its file (OnnxModel.Load or ModelPackage.Load), " +
                                         "which reads the data from the model's own folder and refuses locations outside it.");
        }
        if (options.CustomOpLibraries.Count == 0 && model.CustomOperators() is { Count: > 0 } custom)
        {
            throw new OnnxModelException(
                $"Model '{model.Source}' uses custom operators ({string.Join(", ", custom.Select(c => $"{c.OpType} from '{c.Domain}'"))}). Glassbox loads no custom-op library " +
                "unless you list it in InferenceOptions.CustomOpLibraries, since loading one runs its native code; do so only for a library you trust.");
        }
        var runModel = options.Taps.Count > 0 ? model.WithExtraOutputs(options.Taps) : model;
        byte[] bytes = runModel.ToBytes();
        _ = OrtEnvironment.Get();

        var attempts = ImmutableArray.CreateBuilder<ProviderAttempt>();
        foreach (var provider in options.Providers)
        {
            if (provider == ExecutionProvider.WebGpu && VulkanProbe.WhyWebGpuCannotRun is { } noVulkan)
            {
                attempts.Add(new ProviderAttempt(provider, false, noVulkan));
                continue;
            }
            SessionOptions? sessionOptions = null;
            try
            {
                sessionOptions = CreateSessionOptions(options);
                ProviderChain.Append(sessionOptions, provider);
                var session = new InferenceSession(bytes, sessionOptions);
                attempts.Add(new ProviderAttempt(provider, true, ProviderChain.SuccessReason(provider, attempts.Count)));
                var report = new ProviderReport(attempts.ToImmutable(), OrtEnvironment.Get().GetVersionString());
                return new ModelSession(model, session, report, options);
            }
            catch (OnnxRuntimeException e) when (provider == ExecutionProvider.Cpu)
            {
                // The CPU provider is always in the build, so a failure here is the model's fault.
                throw new OnnxModelException(ExplainLoadFailure(model, e.Message), e);
            }
            catch (Exception e) when (ProviderChain.IsProviderFailure(e))
            {
                attempts.Add(new ProviderAttempt(provider, false, ProviderChain.Explain(provider, e)));
            }
            finally
            {
                sessionOptions?.Dispose();
            }
        }

        throw new GlassboxException(
            $"No execution provider could open model '{model.Source}':\n" +
            string.Join("\n", attempts.Select(a => $"  {a.Provider.DisplayName()}: {a.Reason}")) +
            "\nAdd cpu to the provider preference (--ep auto) to always have a provider that works.");
    }

    /// <summary>
    /// Prepares a run that writes into buffers allocated once: inputs are filled through
    /// <see cref="SessionRun.Input{T}"/>, outputs read through <see cref="SessionRun.Output{T}"/>.
    /// </summary>
    /// <param name="outputs">Outputs to compute; null for all (model outputs and taps).</param>
    /// <param name="dimensions">Sizes for named dynamic dimensions, such as {"batch": 8}.</param>
    /// <param name="inputShapes">
    /// Whole shapes for inputs whose free dimensions have no name (or to fix them all at once), such
    /// as {"image": 1×3×320×160}; they must agree with every size the model fixes.
    /// </param>
    public SessionRun CreateRun(IEnumerable<string>? outputs = null, IReadOnlyDictionary<string, long>? dimensions = null,
                                IReadOnlyDictionary<string, TensorShape>? inputShapes = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var wanted = outputs?.ToList() ?? Outputs.Select(o => o.Name).ToList();
        if (wanted.Count == 0)
            throw new GlassboxException("A run needs at least one output; name one, or pass null for all.");
        var unknown = wanted.Where(w => Outputs.All(o => o.Name != w)).ToList();
        if (unknown.Count > 0)
        {
            throw new GlassboxException(
                $"The session has no output {string.Join(", ", unknown.Select(u => $"'{u}'"))}. Its outputs are " +
                $"{string.Join(", ", Outputs.Select(o => $"'{o.Name}'"))}; add intermediate tensors to InferenceOptions.Taps to read them.");
        }
        return new SessionRun(this, _session, wanted, dimensions ?? ImmutableDictionary<string, long>.Empty,
            inputShapes ?? ImmutableDictionary<string, TensorShape>.Empty);
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _session.Dispose();
    }

    private static SessionOptions CreateSessionOptions(InferenceOptions options)
    {
        var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = options.OrtOptimizationLevel,
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        if (options.Deterministic)
            OrtNative.SetDeterministicCompute(sessionOptions, true);
        foreach (var library in options.CustomOpLibraries)
            sessionOptions.RegisterCustomOpLibrary(library);
        return sessionOptions;
    }

    // ONNX Runtime's messages carry its source location and C++ signatures; the common cases get a
    // sentence that says what to do, the rest its own text.
    private static string ExplainLoadFailure(OnnxModel model, string message)
    {
        var newer = System.Text.RegularExpressions.Regex.Match(message, @"Opset (\d+) is under development.*till opset (\d+)", System.Text.RegularExpressions.RegexOptions.Singleline);
        if (newer.Success)
        {
            return $"Model '{model.Source}' uses ONNX opset {newer.Groups[1].Value}, newer than this ONNX Runtime ({OrtEnvironment.Get().GetVersionString()}) supports: up to opset {newer.Groups[2].Value}. " +
                   $"Export it again with an older opset (for PyTorch, torch.onnx.export(..., opset_version={newer.Groups[2].Value})), or use a newer ONNX Runtime.";
        }
        return $"ONNX Runtime cannot load model '{model.Source}': {message.Trim()}";
    }

    internal static TensorInfo ToTensorInfo(string name, NodeMetadata metadata)
    {
        if (!metadata.IsTensor)
            return new TensorInfo(name, TensorElementType.Unknown, new TensorShape([]));
        var dims = metadata.Dimensions.Select(d => d < 0 ? TensorShape.Dynamic : (long)d);
        var symbols = metadata.SymbolicDimensions.Select(s => string.IsNullOrEmpty(s) ? null : s);
        return new TensorInfo(name, FromOrt(metadata.ElementDataType), new TensorShape(dims, symbols));
    }

    internal static TensorElementType FromOrt(OrtElementType type) => TensorElementTypeExtensions.FromOnnxDataType((int)type);

    internal static OrtElementType ToOrt(TensorElementType type) => (OrtElementType)type.ToOnnxDataType();
}
