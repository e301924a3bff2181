using System.Diagnostics;
using Glassbox.Media;

namespace Glassbox.Tests;

public class ReconnectingSourceTests
{
    [Test]
    public void A_pipeline_that_dies_mid_stream_is_reopened_and_frames_keep_coming()
    {
        // identity error-after=4 makes the pipeline fail for real after four frames, every time it is opened.
        using var source = new ReconnectingSource(
            () => GStreamerSource.Open("videotestsrc is-live=true ! video/x-raw,width=32,height=24,framerate=60/1 ! identity error-after=4"),
            initialBackoff: TimeSpan.FromMilliseconds(20), maxBackoff: TimeSpan.FromMilliseconds(100));
        var frame = new FrameBuffer();
        var sequences = new List<long>();
        Await.Until(() => sequences.Count >= 10 && source.Reconnections >= 2, "ten frames over two reconnections", () =>
        {
            if (source.TryRead(TimeSpan.FromMilliseconds(100), frame))
                sequences.Add(frame.Sequence);
        });

        Assert.That(source.Reconnections, Is.GreaterThanOrEqualTo(2), "the pipeline was reopened after failing");
        Assert.That(sequences, Has.Count.GreaterThanOrEqualTo(10));
        Assert.That(sequences, Is.Ordered.And.Unique, "numbering continues across reconnections");
        Assert.That(source.LastError, Does.StartWith("GStreamer source"));
        TestContext.Out.WriteLine($"{sequences.Count} frames, {source.Reconnections} reconnections; last error: {source.LastError}");
    }

    [Test]
    public void An_absent_camera_waits_with_a_readable_error_and_is_tried_again_once_the_backoff_has_passed()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        int opens = 0;
        using var source = new ReconnectingSource(() =>
        {
            opens++;
            return GStreamerSource.Open("v4l2src device=/dev/video97");
        }, initialBackoff: TimeSpan.FromSeconds(1), maxBackoff: TimeSpan.FromSeconds(4), time: clock);
        var frame = new FrameBuffer();

        Assert.That(source.TryRead(TimeSpan.Zero, frame), Is.False);
        Assert.That(source.State, Is.EqualTo(SourceState.Waiting));
        Assert.That(source.LastError, Does.Contain("/dev/video97"));
        for (int i = 0; i < 3; i++)
            Assert.That(source.TryRead(TimeSpan.Zero, frame), Is.False);
        Assert.That(opens, Is.EqualTo(1), "within the backoff, reads return at once without trying the device");

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(source.TryRead(TimeSpan.Zero, frame), Is.False);
        Assert.That(opens, Is.EqualTo(2), "tried again once the first backoff passed");
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(source.TryRead(TimeSpan.Zero, frame), Is.False);
        Assert.That(opens, Is.EqualTo(2), "the backoff doubled to 2 s");
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(source.TryRead(TimeSpan.Zero, frame), Is.False);
        Assert.That(opens, Is.EqualTo(3));
    }

    [Test]
    public void Steady_state_reads_into_a_reused_frame_allocate_nothing()
    {
        using var source = GStreamerSource.TestPattern("ball", 64, 48, framesPerSecond: 240);
        var frame = new FrameBuffer();
        for (int i = 0; i < 5; i++)
            Assert.That(source.TryRead(TimeSpan.FromSeconds(5), frame), Is.True);
        var image = frame.Image;

        long before = GC.GetAllocatedBytesForCurrentThread();
        int read = 0;
        for (int i = 0; i < 20; i++)
            read += source.TryRead(TimeSpan.FromSeconds(5), frame) ? 1 : 0;
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(read, Is.EqualTo(20));
        Assert.That(frame.Image, Is.SameAs(image), "the same pixels are reused");
        Assert.That(allocated, Is.Zero, "managed bytes allocated by 20 reads");
    }
}
