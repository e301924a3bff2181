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
            Assert.That(demo.WaitForExit(TimeSpan.FromSeconds(60)), Is.True, "the demo quits on Escape");
            TestContext.Out.WriteLine($"{stdout.Result}{stderr.Result}");
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

    private static string Demo => Path.Combine(AppContext.BaseDirectory, "glassbox-demo.dll");

    private static (int Exit, string Out, string Error) RunDemo(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, ArgumentList = { Demo } };
        foreach (var a in args)
            start.ArgumentList.Add(a);
        using var demo = Process.Start(start)!;
        var stdout = demo.StandardOutput.ReadToEndAsync();
        var stderr = demo.StandardError.ReadToEndAsync();
        Assert.That(demo.WaitForExit(TimeSpan.FromSeconds(120)), Is.True, $"glassbox-demo {string.Join(' ', args)} finished");
        TestContext.Out.WriteLine($"glassbox-demo {string.Join(' ', args)} → {demo.ExitCode}\n{stdout.Result}{stderr.Result}");
        return (demo.ExitCode, stdout.Result, stderr.Result);
    }

    [Test]
    public void A_session_drawn_in_the_window_with_a_method_switch_is_recorded_and_replays_bit_identically()
    {
        string output = Directory.CreateTempSubdirectory("glassbox-record-").FullName;
        try
        {
            string recording = Path.Combine(output, "window.gbrec");
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { Demo, "--window", "--ep", "cpu", "--threads", "1", "--out", output, "--record", recording })
                start.ArgumentList.Add(a);
            using var demo = Process.Start(start)!;
            var stdout = demo.StandardOutput.ReadToEndAsync();
            var stderr = demo.StandardError.ReadToEndAsync();
            (int X, int Y)[] one = [(140, 40), (140, 90), (140, 140), (140, 190), (140, 240)];
            string script = string.Join(" ", [
                "search --sync --name \"Glassbox live demo\"", "sleep 1",
                $"mousemove --window %1 {40 + one[0].X * 2} {80 + one[0].Y * 2}", "mousedown 1",
                .. one.Skip(1).Select(p => $"sleep 0.05 mousemove --window %1 {40 + p.X * 2} {80 + p.Y * 2}"),
                "sleep 0.05 mouseup 1", "sleep 1", "key --window %1 m", "sleep 1", "key --window %1 Escape"]);
            using var xdotool = Process.Start(new ProcessStartInfo("xdotool") { ArgumentList = { "-" }, RedirectStandardInput = true, RedirectStandardError = true })!;
            xdotool.StandardInput.WriteLine(script);
            xdotool.StandardInput.Close();
            Assert.That(xdotool.WaitForExit(TimeSpan.FromSeconds(60)), Is.True, "xdotool finished");
            Assert.That(demo.WaitForExit(TimeSpan.FromSeconds(10)), Is.True, "the demo quits on Escape");
            Assert.That(demo.ExitCode, Is.Zero, stdout.Result + stderr.Result);

            var (exit, report, error) = RunDemo("replay", recording, "--verify");
            Assert.That(exit, Is.Zero, report + error);
            Assert.That(report, Does.Contain("predicted 1 (recorded 1)"));
            Assert.That(report, Does.Match(@"Verified (\d+) results: \1 bit-identical, 0 within tolerance\."));
            var recorded = Glassbox.Engine.Recording.SessionRecording.Load(recording);
            Assert.That(recorded.Inputs.Select(i => i.Kind), Does.Contain(Glassbox.Engine.Recording.RecordedInputKind.Continue).And.Contain(Glassbox.Engine.Recording.RecordedInputKind.Key));
            Assert.That(recorded.Results.Select(r => r.Methods[0]).Distinct(), Is.EqualTo(new[] { "grad-cam", "grad-cam++" }), "M switched the method, and the results say so");
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Test]
    public void The_committed_recording_verifies_and_plays_in_the_window()
    {
        string committed = Path.Combine(RepoPaths.Root, "examples", "LiveDemo", "recordings", "digits-0-9.gbrec");
        var (exit, report, error) = RunDemo("replay", committed, "--verify", "--ep", "cpu");
        Assert.That(exit, Is.Zero, report + error);
        Assert.That(report, Does.Match(@"Verified \d+ results: \d+ bit-identical, \d+ within tolerance\."));

        string output = Directory.CreateTempSubdirectory("glassbox-replay-").FullName;
        try
        {
            (exit, report, error) = RunDemo("replay", committed, "--speed", "4", "--frames", "200", "--out", output);
            Assert.That(exit, Is.Zero, report + error);
            // 200 frames, or more while the first replayed drawing is still being explained.
            var done = System.Text.RegularExpressions.Regex.Match(report, @"Done +(\d+) frames, ([1-9]\d*) predictions");
            Assert.That(done.Success, Is.True, report);
            Assert.That(int.Parse(done.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(200));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Test]
    public void Replaying_a_file_that_is_not_a_recording_says_so_and_exits_2()
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "not a recording");
            var (exit, _, error) = RunDemo("replay", file, "--verify");
            Assert.That(exit, Is.EqualTo(2));
            Assert.That(error.Trim(), Is.EqualTo($"glassbox-demo replay: '{file}' is not a Glassbox recording (not gzip-compressed). Recordings are written by glassbox-demo --record."));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [TestCase("--threads", "-1", "--threads must be 0 (let ONNX Runtime choose) or from 1 to 1024.")]
    [TestCase("--digits", "11", "--digits must be from 1 to 10 (the stroke set has one of each digit).")]
    [TestCase("--frames", "-5", "--frames must be 0 (run until closed) or a positive number of frames.")]
    [TestCase("--ep", "tpu", "Argument 'tpu' not recognized. Must be one of:")]
    [TestCase("--threads", "many", "Cannot parse argument 'many' for option '--threads'")]
    public void A_flag_out_of_range_is_refused_with_what_is_accepted(string flag, string value, string message)
    {
        var (exit, _, error) = RunDemo("--headless", flag, value);
        Assert.That(exit, Is.Not.Zero);
        Assert.That(error, Does.Contain(message));
    }

    [Test]
    public void A_replay_speed_out_of_range_is_refused()
    {
        var (exit, _, error) = RunDemo("replay", "any.gbrec", "--speed", "0");
        Assert.That(exit, Is.Not.Zero);
        Assert.That(error, Does.Contain("--speed must be above 0 and at most 100."));
    }

    [Test]
    public void The_kiosk_runs_its_scene_fullscreen_logs_and_writes_its_health_and_needs_a_display()
    {
        string care = Path.Combine(RepoPaths.Root, "artifacts", "kiosk");
        if (Directory.Exists(care))
            Directory.Delete(care, recursive: true);
        var (exit, output, error) = RunDemo("--kiosk", "--frames", "120");
        Assert.That(exit, Is.Zero, output + error);
        Assert.That(output, Does.Contain("kiosk mode: only ctrl+alt+q quits"));
        var log = File.ReadAllLines(Path.Combine(care, "kiosk.log"));
        Assert.That(log[0], Does.EndWith("scene 'mnist-kiosk' started"));
        Assert.That(log[^1], Does.EndWith("scene 'mnist-kiosk' stopped"));
        Assert.That(log, Has.None.Contains("error:"), "every component of the kiosk scene woke");
        Assert.That(File.ReadAllText(Path.Combine(care, "health.json")), Does.Contain("\"model\": \"mnist-cnn\""));

        (exit, _, error) = RunDemo("--kiosk", "--headless");
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(error, Does.Contain("--kiosk runs the exhibit in a fullscreen window"));
        (exit, _, error) = RunDemo("--kiosk", "--exit-chord", "q", "--frames", "1");
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(error, Does.Contain("The chord 'q' is one key"));
    }
}
