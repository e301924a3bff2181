using Microsoft.ML.OnnxRuntime;

namespace Glassbox.Inference;

/// <summary>
/// The process-wide ONNX Runtime environment. Its logger is quiet by default because every
/// failure that matters reaches the caller as an exception with the same text (trying providers
/// that are absent would otherwise print errors for expected outcomes). Set GLASSBOX_ORT_LOG to
/// verbose, info, warning or error to see ONNX Runtime's own log.
/// </summary>
internal static class OrtEnvironment
{
    private static readonly Lazy<OrtEnv> Instance = new(Create);

    public static OrtEnv Get() => Instance.Value;

    private static OrtEnv Create()
    {
        var level = Environment.GetEnvironmentVariable("GLASSBOX_ORT_LOG")?.Trim().ToLowerInvariant() switch
        {
            "verbose" => OrtLoggingLevel.ORT_LOGGING_LEVEL_VERBOSE,
            "info" => OrtLoggingLevel.ORT_LOGGING_LEVEL_INFO,
            "warning" => OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING,
            "error" => OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
            _ => OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL,
        };
        var options = new EnvironmentCreationOptions { logId = "glassbox", logLevel = level };
        return OrtEnv.CreateInstanceWithOptions(ref options);
    }
}
