using System.Diagnostics;
using System.Globalization;
using Glassbox.Engine;
using Glassbox.Graphics;
using Glassbox.Host;

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
    public void A_seven_drawn_with_the_mouse_is_predicted_drawn_as_its_reference_and_the_host_closes_within_2_s()
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

            var timer = Stopwatch.StartNew();
            while (timer.Elapsed < TimeSpan.FromSeconds(30) && !(xdotool.HasExited && inference.Latest is not null))
                host.RunFrame();
            Assert.That(xdotool.ExitCode, Is.Zero, xdotool.StandardError.ReadToEnd());
            // Let the last stroke's result arrive and be drawn.
            long last = inference.Latest?.Sequence ?? 0;
            for (int i = 0; i < 200 && (inference.Worker!.Completed == 0 || inference.Latest!.Sequence != last || i < 5); i++)
            {
                host.RunFrame();
                Thread.Sleep(5);
                last = Math.Max(last, inference.Latest?.Sequence ?? 0);
            }

            Assert.That(inference.Latest, Is.Not.Null, "a prediction within 30 s");
            Assert.That(inference.Latest!.Explanation.PredictedClass, Is.EqualTo(7));
            TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{host.Frames} frames; last frame: input {host.LastFrame.Input.TotalMilliseconds:0.00} ms, update {host.LastFrame.Update.TotalMilliseconds:0.00} ms, record {host.LastFrame.Record.TotalMilliseconds:0.00} ms, draw {host.LastFrame.Draw.TotalMilliseconds:0.00} ms, present {host.LastFrame.Present.TotalMilliseconds:0.00} ms"));
            string shot = host.Screenshot(Path.Combine(RepoPaths.Root, "artifacts", "test-images", "actual", "host-seven-640x360.png"));
            ReferenceImages.AssertMatches(Glassbox.Media.ImageFile.Load(WaitForFile(host, shot)), "host-seven-640x360");
        }
        finally
        {
            var closing = Stopwatch.StartNew();
            host.Dispose();
            Assert.That(closing.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)), "shuts down within 2 s");
        }
    }

    private static string WaitForFile(LiveHost host, string path)
    {
        for (int i = 0; i < 200 && !File.Exists(path); i++)
            Thread.Sleep(10);
        Thread.Sleep(50);
        return path;
    }
}
