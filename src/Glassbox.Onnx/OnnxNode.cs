using System.Collections.Immutable;

namespace Glassbox.Onnx;

/// <summary>One operator in a graph: its name, type, and the tensors it reads and writes.</summary>
public sealed record OnnxNode(string Name, string OpType, ImmutableArray<string> Inputs, ImmutableArray<string> Outputs)
{
    public override string ToString() => $"{OpType} {Name}: ({string.Join(", ", Inputs)}) → ({string.Join(", ", Outputs)})";
}
