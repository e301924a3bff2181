using System.Collections.Immutable;
using System.Text;

namespace Glassbox.Inference;

/// <summary>What happened when one execution provider was tried.</summary>
public sealed record ProviderAttempt(ExecutionProvider Provider, bool Succeeded, string Reason);

/// <summary>Which execution provider runs a session, and why each one before it did not.</summary>
public sealed class ProviderReport
{
    internal ProviderReport(ImmutableArray<ProviderAttempt> attempts, string onnxRuntimeVersion)
    {
        Attempts = attempts;
        OnnxRuntimeVersion = onnxRuntimeVersion;
    }

    public ImmutableArray<ProviderAttempt> Attempts { get; }

    public string OnnxRuntimeVersion { get; }

    /// <summary>The provider that runs the session.</summary>
    public ExecutionProvider Selected => Attempts.Single(a => a.Succeeded).Provider;

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("ONNX Runtime ").Append(OnnxRuntimeVersion).Append(": running on ").Append(Selected.DisplayName()).AppendLine();
        foreach (var attempt in Attempts)
        {
            sb.Append("  ").Append(attempt.Provider.DisplayName().PadRight(9))
              .Append(attempt.Succeeded ? "selected: " : "not used: ").AppendLine(attempt.Reason);
        }
        return sb.ToString().TrimEnd();
    }
}
