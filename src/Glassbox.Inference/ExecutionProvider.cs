namespace Glassbox.Inference;

/// <summary>Where ONNX Runtime runs a model.</summary>
public enum ExecutionProvider
{
    /// <summary>DirectX 12 on Windows.</summary>
    DirectML,
    /// <summary>WebGPU (Dawn over Vulkan, D3D12 or Metal); needs a real GPU driver.</summary>
    WebGpu,
    /// <summary>NVIDIA CUDA; needs the CUDA provider libraries next to ONNX Runtime.</summary>
    Cuda,
    /// <summary>ONNX Runtime's own CPU kernels; always available.</summary>
    Cpu,
}

public static class ExecutionProviders
{
    /// <summary>The default preference: GPU providers first, the CPU as the floor.</summary>
    public static IReadOnlyList<ExecutionProvider> DefaultPreference { get; } =
        [ExecutionProvider.DirectML, ExecutionProvider.WebGpu, ExecutionProvider.Cuda, ExecutionProvider.Cpu];

    public static string DisplayName(this ExecutionProvider provider) => provider switch
    {
        ExecutionProvider.DirectML => "DirectML",
        ExecutionProvider.WebGpu => "WebGPU",
        ExecutionProvider.Cuda => "CUDA",
        ExecutionProvider.Cpu => "CPU",
        _ => provider.ToString(),
    };

    /// <summary>
    /// Parses a command-line choice: "auto" (the default preference), or one provider by name
    /// ("directml"/"dml", "webgpu", "cuda", "cpu"), which forces that provider alone.
    /// </summary>
    public static IReadOnlyList<ExecutionProvider> ParsePreference(string text)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "auto": return DefaultPreference;
            case "directml" or "dml": return [ExecutionProvider.DirectML];
            case "webgpu": return [ExecutionProvider.WebGpu];
            case "cuda": return [ExecutionProvider.Cuda];
            case "cpu": return [ExecutionProvider.Cpu];
            default:
                throw new GlassboxException($"Unknown execution provider '{text}'. Use one of: auto, directml, webgpu, cuda, cpu.");
        }
    }
}
