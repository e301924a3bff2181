using Glassbox.Graphics;
using Glassbox.Visualisation;

namespace Glassbox.Tests;

public class GlWindowTests
{
    [Test]
    public void Fit_keeps_the_aspect_and_centres()
    {
        Assert.That(GlWindow.Fit(1280, 720, 1280, 720), Is.EqualTo((0, 0, 1280, 720)));
        Assert.That(GlWindow.Fit(1280, 720, 800, 800), Is.EqualTo((0, 175, 800, 450)));
        Assert.That(GlWindow.Fit(100, 200, 400, 200), Is.EqualTo((150, 0, 100, 200)));
    }
}

public class GlWindowOnScreenTests : GpuTest
{
    [Test]
    public void A_window_opens_presents_frames_polls_events_and_closes_on_request()
    {
        using var window = GlWindow.Create(GlWindowOptions.Default with { Width = 320, Height = 200, VSync = false, Title = "Glassbox test" });
        Watch(window.Context);
        Assert.That(window.FramebufferSize, Is.EqualTo((320, 200)));
        var font = BakedFont.Default;
        using var renderer = new SceneCanvasRenderer(window.Context, new ShaderLibrary(RepoPaths.Shaders), font, 640, 360);
        var canvas = renderer.CreateCanvas();
        for (int frame = 0; frame < 3; frame++)
        {
            canvas.Begin();
            canvas.FillRect(10 + frame * 10, 10, 100, 40, 0xFF3CB4F0u);
            canvas.DrawText($"frame {frame}", 10, 80, 0xFFFFFFFFu);
            renderer.Render(canvas);
            window.Present(renderer.Target);
            Assert.That(window.PollEvents(), Is.Empty, "no input arrives on a virtual display by itself");
        }
        Assert.That(window.ShouldClose, Is.False);
        window.Close();
        Assert.That(window.ShouldClose, Is.True);
    }
}
