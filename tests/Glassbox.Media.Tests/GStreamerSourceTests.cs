using System.Diagnostics;
using Glassbox.Media;

namespace Glassbox.Tests;

/// <summary>Real GStreamer pipelines: videotestsrc is a live source; files are encoded by GStreamer in the test.</summary>
public class GStreamerSourceTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    [TestCase("red", 255u, 0u, 0u)]
    [TestCase("white", 255u, 255u, 255u)]
    [TestCase("black", 0u, 0u, 0u)]
    public void Solid_test_patterns_arrive_as_exact_rgba(string pattern, uint r, uint g, uint b)
    {
        using var source = GStreamerSource.TestPattern(pattern, 64, 48, frames: 3);
        Assert.That(source.TryRead(Wait, out var frame), Is.True, "a frame within 5 s");
        Assert.That((frame!.Image.Width, frame.Image.Height), Is.EqualTo((64, 48)));
        Assert.That(frame.Image.Pixels.Distinct(), Is.EqualTo(new[] { r | g << 8 | b << 16 | 0xFF000000u }));
    }

    [Test]
    public void A_finite_source_delivers_every_frame_in_order_then_ends()
    {
        using var source = GStreamerSource.TestPattern("ball", 32, 24, framesPerSecond: 60, frames: 5);
        var frames = new List<CapturedFrame>();
        Await.Until(() => source.EndOfStream, "the end of the stream", () =>
        {
            if (source.TryRead(TimeSpan.FromMilliseconds(200), out var frame))
                frames.Add(frame!);
        });
        Assert.That(frames.Select(f => f.Sequence), Is.EqualTo(Enumerable.Range(1, frames.Count).Select(i => (long)i)));
        Assert.That(frames, Has.Count.InRange(1, 5), "latest-frame-wins may drop frames, never invent them");
        Assert.That(frames.Select(f => f.Timestamp), Is.Ordered);
        Assert.That(source.TryRead(TimeSpan.FromMilliseconds(10), out _), Is.False, "nothing after the end");
    }

    [Test]
    public void A_video_file_written_by_gstreamer_plays_back_frame_by_frame()
    {
        string dir = Directory.CreateTempSubdirectory("glassbox-video").FullName;
        try
        {
            string file = Path.Combine(dir, "clip.avi");
            var encode = Process.Start(new ProcessStartInfo("gst-launch-1.0",
                ["-q", "videotestsrc", "pattern=white", "num-buffers=8", "!", "video/x-raw,width=48,height=32,framerate=10/1", "!", "jpegenc", "!", "avimux", "!", "filesink", $"location={file}"])
                { RedirectStandardError = true })!;
            Assert.That(encode.WaitForExit(20000), Is.True, "encoding finished");
            Assert.That(encode.ExitCode, Is.Zero, encode.StandardError.ReadToEnd());

            using var source = GStreamerSource.Open($"filesrc location=\"{file}\" ! decodebin");
            var frames = new List<CapturedFrame>();
            // A file is not live: reading as fast as frames come keeps the one-frame sink from dropping any.
            Await.Until(() => source.EndOfStream, "the end of the file", () =>
            {
                if (source.TryRead(TimeSpan.FromMilliseconds(500), out var frame))
                    frames.Add(frame!);
            });
            Assert.That(frames, Has.Count.InRange(1, 8));
            // JPEG carries limited-range YUV (white at Y = 235) and the decoder hands it on as full range,
            // so white comes back as a uniform light grey near 235, not 255.
            var pixels = frames[0].Image.Pixels;
            Assert.That(pixels.Distinct().Count(), Is.LessThanOrEqualTo(2), "a flat frame stays flat");
            uint p0 = pixels[0];
            Assert.That(new[] { p0 & 0xFF, (p0 >> 8) & 0xFF, (p0 >> 16) & 0xFF }, Is.All.InRange(230u, 255u).And.All.EqualTo(p0 & 0xFF), "neutral near-white");
            Assert.That((frames[0].Image.Width, frames[0].Image.Height), Is.EqualTo((48, 32)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void A_looping_file_starts_again_at_its_end()
    {
        string dir = Directory.CreateTempSubdirectory("glassbox-loop").FullName;
        try
        {
            string file = Path.Combine(dir, "loop.avi");
            var encode = Process.Start(new ProcessStartInfo("gst-launch-1.0",
                ["-q", "videotestsrc", "pattern=ball", "num-buffers=8", "!", "video/x-raw,width=32,height=24,framerate=30/1", "!", "jpegenc", "!", "avimux", "!", "filesink", $"location={file}"])
                { RedirectStandardError = true })!;
            Assert.That(encode.WaitForExit(20000) && encode.ExitCode == 0, Is.True, encode.StandardError.ReadToEnd());

            using var source = GStreamerSource.OpenFile(file, loop: true);
            int frames = 0;
            Await.Until(() => frames >= 20 && source.Loops >= 2, "twenty frames over two loops", () =>
            {
                if (source.TryRead(TimeSpan.FromMilliseconds(200), out _))
                    frames++;
            });
            Assert.That(source.Loops, Is.GreaterThanOrEqualTo(2));
            Assert.That(frames, Is.GreaterThan(8), "more frames than the file holds");
            Assert.That(source.EndOfStream, Is.False);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void A_missing_video_file_is_named() =>
        Assert.That(Assert.Throws<GlassboxException>(() => GStreamerSource.OpenFile("/nonexistent/clip.mp4"))!.Message,
            Is.EqualTo("Video file '/nonexistent/clip.mp4' does not exist. Check the path."));

    [Test]
    public void An_unknown_element_is_named()
    {
        var error = Assert.Throws<GlassboxException>(() => GStreamerSource.Open("nosuchcamerasrc"));
        Assert.That(error!.Message, Does.StartWith("GStreamer cannot build the pipeline 'nosuchcamerasrc'").And.Contain("nosuchcamerasrc").And.Contain("gst-inspect-1.0"));
    }

    [Test]
    public void A_camera_that_does_not_exist_gives_a_readable_error()
    {
        var error = Assert.Throws<GlassboxException>(() =>
        {
            using var source = GStreamerSource.Open("v4l2src device=/dev/video97");
            source.TryRead(Wait, out _);
        });
        Assert.That(error!.Message, Does.Contain("/dev/video97"));
        TestContext.Out.WriteLine(error.Message);
    }
}
