namespace Glassbox.Inference;

/// <summary>A model package (folder with model.onnx and manifest.json) that cannot be used as it is.</summary>
public sealed class ModelPackageException : GlassboxException
{
    public ModelPackageException(string message) : base(message) { }

    public ModelPackageException(string message, Exception inner) : base(message, inner) { }
}
