namespace Glassbox.Media;

/// <summary>
/// Where live frames come from: a camera, a video file, a test pattern, or a host engine's own pixels
/// (a camera texture, a render target read back; see <see cref="PixelSource"/>). A feed reads it on
/// its capture thread through a <see cref="ReconnectingSource"/>, which reopens it when it fails.
/// </summary>
/// <remarks>Read from one thread at a time. Dispose releases whatever the source holds (a pipeline, a device).</remarks>
public interface IFrameSource : IDisposable
{
    /// <summary>What the source is, as a status line names it ("camera auto", "video clip.mp4").</summary>
    string Description { get; }

    /// <summary>True once a finite source has delivered its last frame; reads then return false.</summary>
    bool EndOfStream { get; }

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for a frame newer than the last one read and writes it into
    /// <paramref name="target"/> (through <see cref="FrameBuffer.Reserve"/>, so a frame of the same size
    /// allocates nothing) with its <see cref="FrameBuffer.Timestamp"/>. Returns false when none came in time
    /// or the stream ended; throws <see cref="GlassboxException"/> when the source failed (it is then reopened).
    /// </summary>
    bool TryRead(TimeSpan timeout, FrameBuffer target);
}

/// <summary>A frame from a live source: the pixels, a running number and when it arrived.</summary>
public sealed record CapturedFrame(RgbaImage Image, long Sequence, TimeSpan Timestamp);

/// <summary>
/// A frame the caller owns and reuses: reading into it allocates nothing once its image has the
/// source's size (the steady state of a capture loop).
/// </summary>
public sealed class FrameBuffer
{
    /// <summary>The last frame written; null before the first.</summary>
    public RgbaImage? Image { get; private set; }

    /// <summary>The frame's running number; a <see cref="ReconnectingSource"/> keeps it increasing across reconnections.</summary>
    public long Sequence { get; set; }

    /// <summary>When the frame arrived, on the source's clock.</summary>
    public TimeSpan Timestamp { get; set; }

    /// <summary>The image to write a frame of this size into: the buffer's own when it has the size, else a new one it keeps.</summary>
    public RgbaImage Reserve(int width, int height)
    {
        if (Image is not { } image || image.Width != width || image.Height != height)
            Image = image = new RgbaImage(width, height);
        return image;
    }

    /// <summary>This frame as a record the caller keeps (the image is copied).</summary>
    public CapturedFrame ToCaptured() => Image is { } image
        ? new CapturedFrame(new RgbaImage(image.Width, image.Height, (uint[])image.Pixels.Clone()), Sequence, Timestamp)
        : throw new InvalidOperationException("The buffer holds no frame yet.");
}
