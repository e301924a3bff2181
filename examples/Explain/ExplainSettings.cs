using Glassbox.Explain;

namespace Glassbox.Examples.Explain;

/// <summary>Everything the command line decided, validated.</summary>
internal sealed record ExplainSettings
{
    public required IReadOnlyList<string> Inputs { get; init; }
    public required int MnistCount { get; init; }
    public required string ModelPath { get; init; }
    public required string MethodSpecification { get; init; }
    public required IReadOnlyList<AttributionMethod> Methods { get; init; }
    /// <summary>Per method, its name, or its full specification when the same method appears twice.</summary>
    public required IReadOnlyList<string> MethodLabels { get; init; }
    public required string Layer { get; init; }
    public required string Target { get; init; }
    /// <summary>The output to explain; null for the model's first.</summary>
    public string? Output { get; init; }
    public required string Ep { get; init; }
    public required int Threads { get; init; }
    public required bool Metrics { get; init; }
    public required bool Sanity { get; init; }
    public required DirectoryInfo Out { get; init; }
    public required BareModelFlags Bare { get; init; }
}

/// <summary>Preprocessing for a model file without a manifest: what the manifest would have said.</summary>
internal sealed record BareModelFlags(int? Width, int? Height, float[]? Mean, float[]? Std, bool Gray, bool Invert)
{
    public bool Any => Width is not null || Mean is not null || Std is not null || Gray || Invert;
}
