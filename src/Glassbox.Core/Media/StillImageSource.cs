namespace Glassbox.Media;

/// <summary>
/// One image as a frame source: the first read delivers it, later reads wait and find nothing newer (the picture
/// stays on show; a feed explains it again when its network asks, after a restart or a change of method).
/// </summary>
public sealed class StillImageSource : IFrameSource
{
    private readonly RgbaImage _image;
    private readonly ManualResetEventSlim _disposed = new();
    private bool _delivered;

    /// <param name="image">The picture; the source keeps it (reads copy it into the caller's buffer).</param>
    /// <param name="description">How status lines name it ("image digit.png").</param>
    public StillImageSource(RgbaImage image, string description)
    {
        _image = image ?? throw new ArgumentNullException(nameof(image));
        Description = description;
    }

    /// <summary>An image file (PNG, JPEG, BMP, GIF) as a source; a missing or broken file is a <see cref="GlassboxException"/> that says so.</summary>
    public static StillImageSource Open(string path) => new(ImageFile.Load(path), $"image {Path.GetFileName(path)}");

    public string Description { get; }

    /// <summary>Never: a still picture does not end, it stays.</summary>
    public bool EndOfStream => false;

    public bool TryRead(TimeSpan timeout, FrameBuffer target)
    {
        if (_disposed.IsSet)
            throw new ObjectDisposedException(Description);
        if (!_delivered)
        {
            _image.Pixels.AsSpan().CopyTo(target.Reserve(_image.Width, _image.Height).Pixels);
            target.Timestamp = TimeSpan.Zero;
            _delivered = true;
            return true;
        }
        // Nothing newer will come: wait out the timeout (a capture loop must not spin), or until disposed.
        _disposed.Wait(timeout);
        return false;
    }

    public void Dispose() => _disposed.Set();
}
