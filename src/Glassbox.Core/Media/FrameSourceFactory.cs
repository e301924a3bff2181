namespace Glassbox.Media;

/// <summary>
/// Opens the sources a scene file names by kind (a camera, a video file, a test pattern). A host
/// gives its scenes one: Glassbox.Media's GStreamer sources on a desktop, an engine's own elsewhere.
/// Each method throws <see cref="GlassboxException"/> saying what to do when the source cannot open.
/// </summary>
public interface IFrameSourceFactory
{
    /// <summary>A camera: "auto" for the system's default, or a device name the platform understands.</summary>
    IFrameSource OpenCamera(string device, int width, int height, int framesPerSecond);

    /// <summary>A video file, from its start again at the end when <paramref name="loop"/>.</summary>
    IFrameSource OpenVideo(string path, bool loop);

    /// <summary>A live test pattern ("ball", "smpte", …) of this size and rate.</summary>
    IFrameSource OpenTestPattern(string pattern, int width, int height, int framesPerSecond);
}
