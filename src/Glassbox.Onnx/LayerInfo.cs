namespace Glassbox.Onnx;

/// <summary>One row of a model's layer listing: a node, what it computes, and the shape of its output.</summary>
public sealed record LayerInfo(int Index, string Name, string OpType, string Output, TensorShape? Shape)
{
    /// <summary>True for feature maps a visualisation can show: rank 4 (batch × channels × height × width) with height and width above 1.</summary>
    public bool IsSpatial => Shape is { Rank: 4 } s && s[2] is > 1 or TensorShape.Dynamic && s[3] is > 1 or TensorShape.Dynamic;

    public override string ToString() => $"{Index,4}  {Name,-32} {OpType,-20} {Shape?.ToString() ?? "?"}";
}
