namespace Glassbox;

/// <summary>
/// An error caused by something outside the program — a model file, an image, a device, a setting —
/// whose message names the thing and says what to do about it.
/// </summary>
public class GlassboxException : Exception
{
    public GlassboxException(string message) : base(message) { }

    public GlassboxException(string message, Exception inner) : base(message, inner) { }
}
