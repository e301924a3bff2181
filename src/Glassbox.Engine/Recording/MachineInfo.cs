using System.Runtime.InteropServices;

namespace Glassbox.Engine.Recording;

/// <summary>
/// What decides whether two runs can give equal bits: the processor (its instruction set picks
/// ONNX Runtime's kernels), the operating system, the .NET and ONNX Runtime versions.
/// </summary>
public sealed record MachineInfo(string Cpu, string Os, string Architecture, string DotNet, string OnnxRuntime)
{
    public static MachineInfo Current() => new(
        CpuName(), RuntimeInformation.OSDescription, RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(),
        RuntimeInformation.FrameworkDescription, Inference.ModelSession.RuntimeVersion);

    private static string CpuName()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                {
                    if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':') is var colon and > 0)
                        return line[(colon + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
        }
        return Environment.GetEnvironmentVariable("PROCESSOR_IDENTIFIER") ?? $"{RuntimeInformation.ProcessArchitecture} ({Environment.ProcessorCount} logical processors)";
    }
}
