using System.Diagnostics;
using Glassbox.Media;
using Glassbox.Visualisation;

namespace Glassbox.Tests;

/// <summary>The demo executable under Xvfb, driven by xdotool as a user would drive it.</summary>
[Category(TestCategories.Gpu)]
public class LiveDemoTests
{
    [Test]
    public void The_demo_window_predicts_a_digit_drawn_with_the_mouse_saves_its_screenshot_and_quits_on_escape_within_2_s()
    {
        string output = Directory.CreateTempSubdirectory("glassbox-demo-").FullName;
        try
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "glassbox-demo.dll"), "--window", "--frames", "100000", "--ep", "cpu", "--threads", "1", "--out", output })
                start.ArgumentList.Add(a);
            using var demo = Process.Start(start)!;
            var stdout = demo.StandardOutput.ReadToEndAsync();
            var stderr = demo.StandardError.ReadToEndAsync();

            // The stroke set's 7, scaled from the 280-pixel canvas to the demo's 560-pixel one at (40, 80).
            (int X, int Y)[] seven = [(70, 50), (140, 50), (210, 50), (180, 113), (150, 177), (120, 240)];
            var points = seven.Select(p => (40 + p.X * 2, 80 + p.Y * 2)).ToList();
            string script = string.Join(" ", [
                "search --sync --name \"Glassbox live demo\"", "sleep 1",
                $"mousemove --window %1 {points[0].Item1} {points[0].Item2}", "mousedown 1",
                .. points.Skip(1).Select(p => $"sleep 0.05 mousemove --window %1 {p.Item1} {p.Item2}"),
                "sleep 0.05 mouseup 1", "sleep 1.5", "key --window %1 F12", "sleep 0.5", "key --window %1 Escape"]);
            using var xdotool = Process.Start(new ProcessStartInfo("xdotool") { ArgumentList = { "-" }, RedirectStandardInput = true, RedirectStandardError = true })!;
            xdotool.StandardInput.WriteLine(script);
            xdotool.StandardInput.Close();
            Assert.That(xdotool.WaitForExit(TimeSpan.FromSeconds(60)), Is.True, "xdotool finished");
            var escaped = Stopwatch.StartNew();
            Assert.That(demo.WaitForExit(TimeSpan.FromSeconds(10)), Is.True, "the demo quits on Escape");
            TestContext.Out.WriteLine($"quit {escaped.Elapsed.TotalMilliseconds:0} ms after Escape\n{stdout.Result}{stderr.Result}");
            Assert.That(escaped.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)), "and within 2 s");
            Assert.That(demo.ExitCode, Is.Zero, stderr.Result);
            Assert.That(stdout.Result, Does.Contain("1 screenshot(s)"));

            var shot = ImageFile.Load(Directory.GetFiles(output, "*.png").Single());
            Assert.That((shot.Width, shot.Height), Is.EqualTo((1280, 720)));
            // The 7's bar is the highlighted one: row 7 of bars 28 pixels apart from y = 80.
            Assert.That(shot[700, 80 + 7 * 28 + 12], Is.EqualTo(0xFF3CB4F0u), "the prediction shown is 7");
            // Above the stats panel, whose timings change from run to run, the frame is the reference.
            var top = new RgbaImage(1280, 600, shot.Pixels.AsSpan(0, 1280 * 600).ToArray());
            ReferenceImages.AssertMatches(top, "demo-window-seven", new ImageComparer { PixelThreshold = 8, MaxDifferentFraction = 0.01, MaxMeanDifference = 1.0 });
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
