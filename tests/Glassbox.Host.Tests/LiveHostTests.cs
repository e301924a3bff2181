using System.Diagnostics;
using System.Globalization;
using Glassbox.Engine;
using Glassbox.Graphics;
using Glassbox.Host;
using Glassbox.Examples.LiveDemo;

namespace Glassbox.Tests;

/// <summary>
/// The windowed host under Xvfb, driven by real X input events from xdotool: a digit drawn with the
/// mouse is predicted, the frame matches its reference, and the host shuts down in time.
/// </summary>
[Category(TestCategories.Gpu)]
public class LiveHostTests
{
    private const string Title = "Glassbox host test";

    private static string SceneJson => $$"""
        { "scene": "mnist",
          "entities": [
            { "name": "Input", "components": [
                { "type": "DrawingCanvas", "x": 20, "y": 20, "size": 280 },
                { "type": "CnnInference", "model": "{{Path.Combine(RepoPaths.Root, "models", "mnist-cnn")}}", "ep": "cpu", "threads": 2 },
                { "type": "AttributionOverlay" } ] },
            { "name": "Bars", "components": [ { "type": "ProbabilityBars" } ] } ] }
        """;

    [Test]
    public void A_seven_drawn_with_the_mouse_is_predicted_and_drawn_as_its_reference()
    {
        var host = LiveHost.Open(SceneFile.Parse(SceneJson, ComponentRegistry.Default, "mnist.json"), LiveHostOptions.Default with
        {
            Window = GlWindowOptions.Default with { Width = 640, Height = 360, Title = Title, VSync = false },
            SceneWidth = 640,
            SceneHeight = 360,
        });
        var inference = host.Scene.Find("Input")!.Get<CnnInference>()!;
        try
        {
            host.RunFrame();
            // The stroke set's 7 in canvas pixels, shifted by the canvas's position (20, 20).
            var points = new[] { (70, 50), (140, 50), (210, 50), (180, 113), (150, 177), (120, 240) }.Select(p => (p.Item1 + 20, p.Item2 + 20)).ToList();
            string script = string.Join(" ", [
                $"search --sync --name \"{Title}\"",
                $"mousemove --window %1 {points[0].Item1} {points[0].Item2}", "sleep 0.05", "mousedown 1", "sleep 0.05",
                .. points.Skip(1).Select(p => $"mousemove --window %1 {p.Item1} {p.Item2} sleep 0.03"),
                "sleep 0.05", "mouseup 1"]);
            using var xdotool = Process.Start(new ProcessStartInfo("xdotool") { ArgumentList = { "-" }, RedirectStandardInput = true, RedirectStandardError = true })!;
            xdotool.StandardInput.WriteLine(script);
            xdotool.StandardInput.Close();

            Await.Until(() => xdotool.HasExited && inference.Latest is not null, "the drawn 7 and a result", host.RunFrame);
            Assert.That(xdotool.ExitCode, Is.Zero, xdotool.StandardError.ReadToEnd());
            // The last stroke's result arrives and is drawn.
            var canvas = host.Scene.Find("Input")!.Get<DrawingCanvasInput>()!;
            Await.Until(() => inference.Latest!.Sequence == canvas.LastSequence, "the finished drawing's result", host.RunFrame);
            host.RunFrame();

            Assert.That(inference.Latest!.Explanation.PredictedClass, Is.EqualTo(7));
            TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{host.Frames} frames; last frame: input {host.LastFrame.Input.TotalMilliseconds:0.00} ms, update {host.LastFrame.Update.TotalMilliseconds:0.00} ms, record {host.LastFrame.Record.TotalMilliseconds:0.00} ms, draw {host.LastFrame.Draw.TotalMilliseconds:0.00} ms, present {host.LastFrame.Present.TotalMilliseconds:0.00} ms"));
            string shot = host.Screenshot(Path.Combine(RepoPaths.Root, "artifacts", "test-images", "actual", "host-seven-640x360.png"));
            ReferenceImages.AssertMatches(Glassbox.Media.ImageFile.Load(WaitForFile(host, shot)), "host-seven-640x360");
        }
        finally
        {
            host.Dispose();
        }
    }

    [Test]
    public void In_kiosk_mode_escape_and_closing_do_nothing_the_cursor_hides_when_idle_and_only_the_chord_quits()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        using var host = LiveHost.Open(SceneFile.Parse(SceneJson, ComponentRegistry.Default, "mnist.json"), LiveHostOptions.Default with
        {
            Window = GlWindowOptions.Default with { Width = 640, Height = 360, Title = Title + " kiosk", VSync = false },
            SceneWidth = 640,
            SceneHeight = 360,
            Kiosk = KioskOptions.Default with { ExitWhen = KeyChord.Parse("ctrl+alt+q").IsHeld, HideCursorAfterSeconds = 0.3f },
            Clock = clock,
        });
        host.RunFrame();
        string script = string.Join(" ", [
            $"search --sync --name \"{Title} kiosk\"", "mousemove --window %1 100 100", "sleep 0.1",
            "key --window %1 Escape", "key --window %1 F11", "key --window %1 q", "sleep 1.5",
            "key --window %1 ctrl+alt+q"]);
        using var xdotool = Process.Start(new ProcessStartInfo("xdotool") { ArgumentList = { "-" }, RedirectStandardInput = true, RedirectStandardError = true })!;
        xdotool.StandardInput.WriteLine(script);
        xdotool.StandardInput.Close();

        // The host's clock moves 50 ms a frame: the pointer rests long enough by that clock, whatever the machine's speed.
        bool sawHidden = false, gaveUp = false;
        long frames = 0;
        host.Run(h =>
        {
            clock.Advance(TimeSpan.FromMilliseconds(50));
            sawHidden |= h.Window.CursorHidden;
            h.Window.Close();   // the window manager's close (Alt+F4) every frame: refused
            // Only a hung test ends here: the chord ends the run.
            gaveUp = ++frames > 100_000;
            return gaveUp;
        });
        Assert.That(xdotool.WaitForExit(TimeSpan.FromSeconds(30)) && xdotool.ExitCode == 0, Is.True, xdotool.StandardError.ReadToEnd());
        Assert.That(gaveUp, Is.False, "it ran through Escape, F11 and close requests, and quit on the chord");
        Assert.That(host.Window.Fullscreen, Is.False, "F11 did nothing");
        Assert.That(sawHidden, Is.True, "the cursor hid while the pointer rested");
        Assert.That(() => KeyChord.Parse("q"), Throws.TypeOf<GlassboxException>().With.Message.EqualTo(
            "The chord 'q' is one key; a kiosk's exit needs two or more held together (such as ctrl+alt+q), so a visitor cannot press it by chance."));
        Assert.That(() => KeyChord.Parse("ctrl+hyper"), Throws.TypeOf<GlassboxException>().With.Message.StartsWith("Unknown key 'hyper' in the chord 'ctrl+hyper'."));
    }

    // Screenshots are written off the render thread, to a temporary name first: once the file exists it is whole.
    private static string WaitForFile(LiveHost host, string path)
    {
        Await.Until(() => File.Exists(path), $"the screenshot {path}");
        return path;
    }
}
