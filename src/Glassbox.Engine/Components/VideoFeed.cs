using System.Globalization;
using Glassbox.Media;

namespace Glassbox.Engine;

/// <summary>A video file (looped if asked) or, with <see cref="Pattern"/>, GStreamer's live test pattern.</summary>
public sealed class VideoFeed : FrameFeed
{
    /// <summary>A video file to play.</summary>
    public string Path { get; set; } = "";

    public bool Loop { get; set; } = true;

    /// <summary>A videotestsrc pattern ("ball", "smpte", …) instead of a file.</summary>
    public string Pattern { get; set; } = "";

    public int Width { get; set; } = 640;

    public int Height { get; set; } = 480;

    public int Fps { get; set; } = 30;

    protected internal override void Awake()
    {
        if ((Path.Length == 0) == (Pattern.Length == 0))
            throw new GlassboxException("VideoFeed needs either a path (a video file) or a pattern (a GStreamer test pattern such as \"ball\"), not both.");
    }

    protected override IFrameSource OpenSource() =>
        Pattern.Length > 0 ? Sources.OpenTestPattern(Pattern, Width, Height, Fps) : Sources.OpenVideo(Scene.ResolvePath(Path), Loop);

    protected override string Describe() => Pattern.Length > 0 ? string.Create(CultureInfo.InvariantCulture, $"test pattern {Pattern}") : $"video {System.IO.Path.GetFileName(Path)}";
}
