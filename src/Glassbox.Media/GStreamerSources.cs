namespace Glassbox.Media;

/// <summary>Cameras, video files and test patterns through GStreamer, for scenes a desktop host runs.</summary>
public sealed class GStreamerSources : IFrameSourceFactory
{
    public static GStreamerSources Instance { get; } = new();

    private GStreamerSources()
    {
    }

    public IFrameSource OpenCamera(string device, int width, int height, int framesPerSecond) => Cameras.Open(device, width, height, framesPerSecond);

    public IFrameSource OpenVideo(string path, bool loop) => GStreamerSource.OpenFile(path, loop);

    public IFrameSource OpenTestPattern(string pattern, int width, int height, int framesPerSecond) =>
        GStreamerSource.TestPattern(pattern, width, height, framesPerSecond);
}
