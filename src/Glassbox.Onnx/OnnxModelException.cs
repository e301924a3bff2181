namespace Glassbox.Onnx;

/// <summary>A model file that cannot be read, or a request that does not fit the model.</summary>
public sealed class OnnxModelException : GlassboxException
{
    public OnnxModelException(string message) : base(message) { }

    public OnnxModelException(string message, Exception inner) : base(message, inner) { }
}
