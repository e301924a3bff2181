using Glassbox.Media;

namespace Glassbox.Engine;

/// <summary>
/// A still image file as the input (PNG, JPEG, BMP, GIF): a <see cref="FrameFeed"/> whose source is the picture
/// (<see cref="StillImageSource"/>), shown and submitted to the model like a camera's frame. A file that is
/// missing or broken shows why, and is read again until it is there.
/// </summary>
public sealed class ImageFeed : FrameFeed
{
    [RequiredField]
    public string Path { get; set; } = "";

    /// <summary>The picture once read; null before.</summary>
    public RgbaImage? Image => Current;

    protected override IFrameSource OpenSource() => StillImageSource.Open(Scene.ResolvePath(Path));

    protected override string Describe() => $"image {System.IO.Path.GetFileName(Path)}";
}
