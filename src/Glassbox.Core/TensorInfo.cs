namespace Glassbox;

/// <summary>Name, element type and shape of a model input, output or intermediate tensor.</summary>
public sealed record TensorInfo(string Name, TensorElementType ElementType, TensorShape Shape)
{
    public override string ToString() => $"{Name}: {ElementType.OnnxName()}[{Shape}]";
}
