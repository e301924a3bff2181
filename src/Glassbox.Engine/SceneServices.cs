using Glassbox.Media;

namespace Glassbox.Engine;

/// <summary>
/// What a host gives a scene: the <paramref name="Clock"/> that everything waiting or timing out reads, and
/// the <paramref name="Sources"/> that open the cameras, video files and test patterns feeds name (a desktop
/// host passes Glassbox.Media's GStreamer sources; an engine may pass its own, or none and set each feed's
/// source in code).
/// </summary>
public sealed record SceneServices(TimeProvider Clock, IFrameSourceFactory? Sources = null)
{
    /// <summary>The system clock and no frame-source factory.</summary>
    public static SceneServices Default { get; } = new(TimeProvider.System);
}
