using Microsoft.ML.OnnxRuntime;

namespace Glassbox.Inference;

/// <summary>Appends one execution provider to session options and explains why one could not be used.</summary>
internal static class ProviderChain
{
    public static void Append(SessionOptions options, ExecutionProvider provider)
    {
        switch (provider)
        {
            case ExecutionProvider.DirectML:
                // DirectML wants memory patterns off and sequential execution (its documented requirements).
                options.EnableMemoryPattern = false;
                options.AppendExecutionProvider_DML(0);
                break;
            case ExecutionProvider.WebGpu:
                options.AppendExecutionProvider("WebGPU");
                break;
            case ExecutionProvider.Cuda:
                options.AppendExecutionProvider_CUDA(0);
                break;
            case ExecutionProvider.Cpu:
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(provider), provider, null);
        }
    }

    /// <summary>
    /// Errors that mean "this provider is not available here", as opposed to a broken model:
    /// a build without the provider's entry point (EntryPointNotFoundException), a provider not in
    /// the build or missing its libraries or device (OnnxRuntimeException), a library that fails to load.
    /// </summary>
    public static bool IsProviderFailure(Exception e) =>
        e is EntryPointNotFoundException or DllNotFoundException or OnnxRuntimeException;

    public static string Explain(ExecutionProvider provider, Exception e)
    {
        string detail = FirstLine(e.Message);
        return e switch
        {
            EntryPointNotFoundException => $"this ONNX Runtime build has no {provider.DisplayName()} entry point ({detail})",
            DllNotFoundException => $"a library it needs could not be loaded ({detail})",
            _ when provider == ExecutionProvider.WebGpu && detail.Contains("adapter", StringComparison.OrdinalIgnoreCase) =>
                "no WebGPU adapter: it needs a real GPU driver (Vulkan, D3D12 or Metal); software Vulkan is refused",
            _ when provider == ExecutionProvider.Cuda && detail.Contains("Failed to load shared library", StringComparison.Ordinal) =>
                "the CUDA provider libraries (libonnxruntime_providers_cuda and _shared, with CUDA 12 and cuDNN 9) are not next to ONNX Runtime",
            _ => detail,
        };
    }

    public static string SuccessReason(ExecutionProvider provider, int failedBefore) =>
        failedBefore == 0 ? "first in the preference" :
        provider == ExecutionProvider.Cpu ? "CPU is the floor when no GPU provider is available" :
        "first provider in the preference that opened the model";

    private static string FirstLine(string message)
    {
        var line = message.Split('\n', 2)[0].Trim();
        return line.Length > 300 ? line[..300] + "…" : line;
    }
}
