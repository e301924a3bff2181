using System.CommandLine;
using System.Globalization;
using Glassbox.Engine.Recording;

namespace Glassbox.Examples.LiveDemo;

/// <summary>
/// glassbox-demo replay FILE: plays a recorded session in the live window, or with --verify (and
/// wherever there is no display) runs every recorded result again and checks it: bit-identical on
/// the machine and provider it was recorded on, within tolerance elsewhere.
/// </summary>
internal static class ReplayCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("recording") { Description = "The .gbrec file written by --record." };
        var verify = new Option<bool>("--verify") { Description = "Run every recorded result again and check predictions and maps (exit 1 on a difference)." };
        var ep = new Option<string?>("--ep") { Description = "Provider to replay on (default: the one each result was recorded on): directml, webgpu, cuda or cpu." };
        ep.AcceptOnlyFromAmong("directml", "dml", "webgpu", "cuda", "cpu");
        var model = new Option<FileSystemInfo?>("--model") { Description = "The model package to use instead of the recorded path (its SHA-256 must match)." };
        var speed = new Option<float>("--speed") { Description = "Window playback speed (1 plays in recorded time).", DefaultValueFactory = _ => 1f };
        speed.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<float>() is not (> 0f and <= 100f))
                r.AddError("--speed must be above 0 and at most 100.");
        });
        var frames = new Option<int>("--frames") { Description = "Window playback: close after this many frames (0: when the window is closed).", DefaultValueFactory = _ => 0 };
        frames.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 0)
                r.AddError("--frames must be 0 (run until closed) or a positive number of frames.");
        });

        var outOption = new Option<DirectoryInfo>("--out")
        {
            Description = "Window playback: folder for F12 screenshots.",
            DefaultValueFactory = _ => new DirectoryInfo(Path.Combine(RepoLayout.Root, "artifacts", "demo")),
        };

        var command = new Command("replay", "Replay a recorded session in the window, or check it (--verify).") { file, verify, ep, model, speed, frames, outOption };
        command.SetAction(parse =>
        {
            try
            {
                var recordingFile = parse.GetValue(file)!;
                var recording = SessionRecording.Load(recordingFile.FullName);
                bool display = Glassbox.Graphics.GlContext.DisplayAvailable;
                if (parse.GetValue(verify) || !display)
                {
                    if (!parse.GetValue(verify))
                        Console.WriteLine("No display to play it in: checking the recording instead (as with --verify).");
                    return Verify(recordingFile, recording, new ReplayOptions { Ep = parse.GetValue(ep), Model = parse.GetValue(model)?.FullName });
                }
                if (recording.Results.FirstOrDefault() is not { } first)
                    throw new GlassboxException($"Recording '{recordingFile}' has no results, so it has no model to play with.");
                var settings = new DemoSettings(new DirectoryInfo(parse.GetValue(model)?.FullName ?? first.Model.Path), parse.GetValue(ep) ?? first.Provider,
                    first.Threads, 10, parse.GetValue(outOption)!, false, Replay: recordingFile, ReplaySpeed: parse.GetValue(speed));
                return LiveWindow.Run(settings, parse.GetValue(frames));
            }
            catch (GlassboxException e)
            {
                Console.Error.WriteLine($"glassbox-demo replay: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    private static int Verify(FileInfo file, SessionRecording recording, ReplayOptions options)
    {
        var info = recording.Info;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Recording {file.FullName}: scene {info.Scene}, recorded {info.Recorded:yyyy-MM-dd HH:mm} UTC, {recording.Inputs.Count} inputs, {recording.Results.Count} results"));
        var report = SessionReplay.Verify(recording, options, check => Console.WriteLine(Line(check)));
        Console.WriteLine($"Machine  {report.MachineNote}");
        int failed = report.Checks.Count(c => !c.Passed);
        Console.WriteLine(failed == 0
            ? $"Verified {report.Checks.Count} results: {report.Identical} bit-identical, {report.Checks.Count - report.Identical} within tolerance."
            : $"FAILED   {failed} of {report.Checks.Count} results differ ({report.Identical} bit-identical).");
        return failed == 0 ? 0 : 1;
    }

    private static string Line(ReplayCheck check)
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"Result {check.Index,3}: {Describe(check.Outcome)} on {check.Provider}, predicted {check.ReplayedClass} (recorded {check.RecordedClass})");
        if (check.Outcome != ReplayOutcome.Identical)
            line += string.Create(CultureInfo.InvariantCulture, $", |Δp| ≤ {check.ProbabilityDifference:G3}, map Δ ≤ {check.MapDifference:P3}");
        return check.Detail.Length > 0 ? $"{line}: {check.Detail}" : line;
    }

    private static string Describe(ReplayOutcome outcome) => outcome switch
    {
        ReplayOutcome.Identical => "bit-identical",
        ReplayOutcome.WithinTolerance => "within tolerance",
        _ => "DIFFERENT",
    };
}
