using Glassbox.Media;

namespace Glassbox.Tests;

public class CamerasTests
{
    private static bool NoVideoDevices => !Directory.Exists("/dev") || !Directory.EnumerateFiles("/dev", "video*").Any();

    [Test]
    public void Listing_cameras_works_with_none_connected()
    {
        var cameras = Cameras.List();
        TestContext.Out.WriteLine(cameras.Count == 0 ? "no cameras" : string.Join("\n", cameras.Select(c => $"{c.Name}: {string.Join(", ", c.Modes)}")));
        if (NoVideoDevices)
            Assert.That(cameras, Is.Empty);
        else
            Assert.That(cameras.Select(c => c.Name), Has.All.Not.Empty);
    }

    [Test]
    public void Opening_the_default_camera_without_one_says_so()
    {
        if (!NoVideoDevices || !OperatingSystem.IsLinux())
            Assert.Ignore("This machine has a camera; the message for a missing one cannot be provoked here.");
        var error = Assert.Throws<GlassboxException>(() => Cameras.Open("auto", width: 640, height: 480, framesPerSecond: 30));
        Assert.That(error!.Message, Does.StartWith("Camera 'auto' could not be opened").And.EndWith("No camera is connected (GStreamer's device monitor sees none)."));
    }

    [Test]
    public void Device_modes_read_as_size_format_and_rate()
    {
        const string caps = "video/x-raw, format=(string)YUY2, width=(int)640, height=(int)480, framerate=(fraction)30/1; " +
                            "image/jpeg, width=(int)1280, height=(int)720, framerate=(fraction)60/1; " +
                            "video/x-raw, format=(string)YUY2, width=(int)640, height=(int)480, framerate=(fraction)30/1";
        Assert.That(Cameras.ParseModes(caps), Is.EqualTo(new[] { "640×480 YUY2 30 fps", "1280×720 MJPEG 60 fps" }));
    }
}
