namespace Glassbox.Graphics;

/// <summary>A shader that failed to compile or link; the message names files and lines.</summary>
public sealed class ShaderCompileException : GlassboxException
{
    public ShaderCompileException(string message) : base(message) { }
}
