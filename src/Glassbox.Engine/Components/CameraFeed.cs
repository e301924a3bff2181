using Glassbox.Media;

namespace Glassbox.Engine;

/// <summary>A camera ("auto" for the first one), named "CameraFeed" in scene files.</summary>
public sealed class CameraFeed : FrameFeed
{
    public string Device { get; set; } = "auto";

    public int Width { get; set; } = 640;

    public int Height { get; set; } = 480;

    public int Fps { get; set; } = 30;

    protected override IFrameSource OpenSource() => Sources.OpenCamera(Device, Width, Height, Fps);

    protected override string Describe() => $"camera {Device}";
}
