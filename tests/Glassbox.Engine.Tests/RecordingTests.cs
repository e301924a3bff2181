using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using Glassbox.Engine;
using Glassbox.Engine.Recording;
using Glassbox.Media;

namespace Glassbox.Tests;

/// <summary>Record and replay: a live session on the shipped CNN is recorded and run again, bit for bit.</summary>
public class RecordingTests
{
    private static string Model => Path.Combine(RepoPaths.Root, "models", "mnist-cnn");

    private static string Committed => Path.Combine(RepoPaths.Root, "examples", "LiveDemo", "recordings", "digits-0-9.gbrec");

    private string _folder = "";

    [SetUp]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("glassbox-recording-").FullName;

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private static FrameTime Frame(long n) => new(n, TimeSpan.FromSeconds(n / 60.0), TimeSpan.FromSeconds(1 / 60.0));

    /// <summary>An application's own key handler, as a demo has: M explains with the next method.</summary>
    private sealed class MethodKey : Component, IKeyHandler
    {
        private int _method;

        public string[] Methods { get; init; } = [];

        public bool OnKey(char key)
        {
            if (key != 'm' || Scene.Active<CnnInference>().FirstOrDefault() is not { } inference)
                return false;
            _method = (_method + 1) % Methods.Length;
            inference.Reconfigure(methods: [Methods[_method]]);
            return true;
        }
    }

    private sealed class Driver(Scene scene)
    {
        private long _frame;

        public void Step() => scene.Update(Frame(++_frame));

        /// <summary>Steps frames until <paramref name="done"/> holds (the inference thread answers in milliseconds).</summary>
        public void Until(Func<bool> done, string what)
        {
            Step(); // the canvas hands a changed drawing to the model in its update
            Await.Until(done, what, Step);
            Step();
        }
    }

    [Test]
    public void A_session_drawn_with_strokes_keys_undo_and_clear_replays_bit_identically()
    {
        string file = Path.Combine(_folder, "session.gbrec");
        using (var scene = new Scene("recorded"))
        {
            var input = scene.CreateEntity("Input");
            var canvas = input.Add(new DrawingCanvasInput());
            var inference = input.Add(new CnnInference { Model = Model, Ep = "cpu", Threads = 1, Methods = ["grad-cam"] });
            scene.CreateEntity("Controls").Add(new MethodKey { Methods = ["grad-cam", "gradient-x-input", "rise:masks=64"] });
            var recorder = scene.CreateEntity("Recorder").Add(new SessionRecorder { Path = file });
            var run = new Driver(scene);
            run.Step();

            // A 7 drawn point by point, as the pointer sends it, a frame after each point.
            canvas.BeginStroke(new StrokePoint(70, 50));
            foreach (var point in new StrokePoint[] { new(140, 50), new(210, 50), new(165, 145, 0.8f), new(120, 240, 0.6f) })
            {
                canvas.ContinueStroke(point);
                run.Step();
            }
            canvas.EndStroke();
            run.Until(() => inference.Latest?.Sequence == canvas.LastSequence, "the 7's result");
            Assert.That(scene.SendKey('m'), Is.True);
            run.Until(() => inference.Latest?.Explanation.Maps[0].Method == "gradient-x-input", "the switched method");
            canvas.AddStroke([new StrokePoint(60, 150), new StrokePoint(220, 150)]);
            run.Until(() => inference.Latest?.Sequence == canvas.LastSequence, "the crossed 7");
            canvas.Undo();
            scene.SendKey('m');
            run.Until(() => inference.Latest?.Sequence == canvas.LastSequence && inference.Latest.Explanation.Maps[0].Method == "rise", "the undone stroke under RISE");
            scene.SendKey('c');
            canvas.AddStroke([new StrokePoint(140, 40), new StrokePoint(140, 240)]);
            run.Until(() => inference.Latest?.Sequence == canvas.LastSequence, "the 1");
            Assert.That(recorder.Recording!.Results, Has.Count.GreaterThanOrEqualTo(4));
        }

        var recording = SessionRecording.Load(file);
        Assert.That(recording.Inputs.Select(i => i.Kind), Is.SupersetOf(new[] { RecordedInputKind.Begin, RecordedInputKind.Continue, RecordedInputKind.End, RecordedInputKind.Stroke, RecordedInputKind.Undo, RecordedInputKind.Key }));
        Assert.That(recording.Inputs.Single(i => i.Kind == RecordedInputKind.Clear).ByKey, Is.True, "the clear came from the C key");
        Assert.That(recording.Results.Select(r => r.Methods[0]).Distinct(), Is.EqualTo(new[] { "grad-cam", "gradient-x-input", "rise:masks=64" }));
        Assert.That(recording.Results[^1].Predicted, Is.EqualTo(1));
        Assert.That(recording.Info.Machine, Is.EqualTo(MachineInfo.Current()));

        var report = SessionReplay.Verify(recording);
        Assert.That(report.SameMachine, Is.True);
        Assert.That(report.Checks.Select(c => (c.Outcome, c.Detail)), Is.All.EqualTo((ReplayOutcome.Identical, "")), "every result, bit for bit");
        Assert.That(report.Checks.All(c => c.ExactExpected), Is.True);
    }

    [Test]
    public void The_committed_recording_of_the_digits_replays()
    {
        var recording = SessionRecording.Load(Committed);
        var report = SessionReplay.Verify(recording, ReplayOptions.Default with { Ep = "cpu" });
        TestContext.Out.WriteLine($"{report.MachineNote}: {report.Identical} of {report.Checks.Count} bit-identical");
        Assert.That(report.Checks, Has.Count.EqualTo(recording.Results.Count).And.Count.GreaterThan(100));
        Assert.That(report.Passed, Is.True, string.Join("\n", report.Checks.Where(c => !c.Passed).Select(c => $"{c.Index}: {c.Detail}")));
        if (report.SameMachine)
            Assert.That(report.Identical, Is.EqualTo(report.Checks.Count), "recorded on this kind of machine, so every result bit for bit");
        // Each digit's finished drawing is its last result before the next digit's clear.
        var clears = recording.Inputs.Select((input, index) => (input, index)).Where(x => x.input.Kind == RecordedInputKind.Clear && x.index > 0).Select(x => x.index).Append(recording.Inputs.Count);
        var finished = clears.Select(clear => recording.Results.Last(r => r.Inputs <= clear).Predicted);
        Assert.That(finished, Is.EqualTo(Enumerable.Range(0, 10)));
    }

    [Test]
    public void A_changed_result_is_caught_and_a_tiny_change_is_only_accepted_across_machines()
    {
        var recording = SessionRecording.Load(Committed);
        int last = recording.Results.Count - 1;
        var original = recording.Results[last];
        var probabilities = original.Probabilities.ToArray();
        (probabilities[0], probabilities[9]) = (probabilities[9], probabilities[0]);
        var slight = original.Maps[0].Values.ToArray();
        slight[3] = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(slight[3]) + 1);
        var tampered = new SessionRecording
        {
            Info = recording.Info,
            Inputs = recording.Inputs,
            Results =
            [
                original with { Predicted = 0, Probabilities = probabilities, ProbabilitiesSha256 = Sha256Hex.Of(probabilities) },
                original with { Maps = [original.Maps[0] with { Values = slight, Sha256 = Sha256Hex.Of(slight) }] },
            ],
        };
        var report = SessionReplay.Verify(tampered, ReplayOptions.Default with { Ep = "cpu" });

        Assert.That(report.Checks[0].Outcome, Is.EqualTo(ReplayOutcome.Different));
        Assert.That(report.Checks[0].Detail, Does.Contain("predicted 9, recorded 0").And.Contain("probabilities differ by up to"));
        Assert.That(report.Checks[0].Passed, Is.False);
        Assert.That(report.Checks[1].Outcome, Is.EqualTo(ReplayOutcome.WithinTolerance), "one ulp in one map value");
        Assert.That(report.Checks[1].Passed, Is.EqualTo(!report.SameMachine), "on the recording's machine only equal bits pass");
        Assert.That(report.Passed, Is.False);
    }

    [Test]
    public void A_recording_made_with_another_model_says_which()
    {
        var recording = SessionRecording.Load(Committed);
        var other = new SessionRecording
        {
            Info = recording.Info,
            Inputs = recording.Inputs,
            Results = [recording.Results[0] with { Model = recording.Results[0].Model with { Sha256 = new string('0', 64) } }],
        };
        Assert.That(() => SessionReplay.Verify(other), Throws.TypeOf<GlassboxException>().With.Message.EqualTo(
            $"Result 0 was made with a model whose SHA-256 is {new string('0', 64)}, but '{recording.Results[0].Model.Path}' has {recording.Results[0].Model.Sha256}: a different model. Pass --model with the one it was recorded with."));
        var moved = new SessionRecording { Info = recording.Info, Inputs = recording.Inputs, Results = [recording.Results[0] with { Model = recording.Results[0].Model with { Path = "/nowhere/mnist-cnn" } }] };
        Assert.That(() => SessionReplay.Verify(moved), Throws.TypeOf<GlassboxException>().With.Message.EqualTo(
            "Result 0 was made with the model at '/nowhere/mnist-cnn', which does not exist here. Pass --model with that model's package."));
        Assert.That(SessionReplay.Verify(moved, ReplayOptions.Default with { Model = Model, Ep = "cpu" }).Passed, Is.True, "--model points it at the package");
    }

    [Test]
    public void Saving_and_loading_keeps_every_input_and_value_exactly()
    {
        var recording = SessionRecording.Load(Committed);
        string copy = Path.Combine(_folder, "sub", "copy.gbrec");
        recording.Save(copy);
        var again = SessionRecording.Load(copy);
        Assert.That(again.Inputs, Has.Count.EqualTo(recording.Inputs.Count));
        Assert.That(again.Inputs.Select(i => i.ToEdit()), Is.EqualTo(recording.Inputs.Select(i => i.ToEdit())).Using<CanvasEdit?>(SameEdit));
        Assert.That(again.Results.Select(r => r.Model.Path).Distinct(), Is.EqualTo(new[] { Path.GetFullPath(Model) }), "relative model paths follow the file");
        Assert.That(again.Results.SelectMany(r => r.Maps).Select(m => Sha256Hex.Of(m.Values)), Is.EqualTo(recording.Results.SelectMany(r => r.Maps).Select(m => m.Sha256)));
        Assert.That(new FileInfo(copy).Length, Is.LessThan(200_000), "a 5-second session with 380 results stays small");
    }

    private static bool SameEdit(CanvasEdit? a, CanvasEdit? b) =>
        a?.Kind == b?.Kind && a?.Point == b?.Point && (a?.Points ?? []).SequenceEqual(b?.Points ?? []);

    [Test]
    public void Playback_draws_the_recorded_ink_at_the_recorded_pace()
    {
        var recording = SessionRecording.Load(Committed);
        using var scene = new Scene("playback");
        var canvas = scene.CreateEntity("Input").Add(new DrawingCanvasInput());
        var playback = new SessionPlayback(recording, speed: 2f);
        Assert.That(playback.Duration.TotalMilliseconds, Is.EqualTo(recording.Inputs[^1].T / 2).Within(1e-3));

        var half = TimeSpan.FromMilliseconds(recording.Inputs[^1].T / 4);
        playback.Advance(half, scene, canvas, sendKeys: true);
        Assert.That(playback.Played, Is.EqualTo(recording.Inputs.Count(i => i.T <= recording.Inputs[^1].T / 2)), "at half the duration, the first half of the inputs");
        playback.Advance(playback.Duration, scene, canvas, sendKeys: true);
        Assert.That(playback.Finished, Is.True);

        var reference = new DrawingCanvas(280, 280, recording.Info.Canvas!.BrushWidth);
        foreach (var input in recording.Inputs)
            reference.Apply(input.ToEdit()!.Value);
        Assert.That(Ink(canvas), Is.EqualTo(reference.Rasterise()), "the 9, as recorded");
    }

    private static byte[] Ink(DrawingCanvasInput input)
    {
        var canvas = new DrawingCanvas(input.Resolution, input.Resolution, input.BrushWidth);
        foreach (var edit in input.Edits())
            canvas.Apply(edit);
        return canvas.Rasterise();
    }

    [Test]
    public void The_attract_loop_replays_a_recording_stroke_by_stroke_and_starts_over()
    {
        var recording = SessionRecording.Load(Committed);
        using var scene = new Scene("kiosk") { BaseDirectory = Path.GetDirectoryName(Committed)! };
        var canvas = scene.CreateEntity("Input").Add(new DrawingCanvasInput());
        var attract = scene.CreateEntity("Attract").Add(new AttractLoop { Recording = Path.GetFileName(Committed), IdleSeconds = 1, StepSeconds = 2 });
        long frame = 0;
        void RunUntil(double seconds)
        {
            while (frame / 60.0 < seconds)
                scene.Update(Frame(++frame));
        }

        RunUntil(0.9);
        Assert.That(attract.Attracting, Is.False);
        RunUntil(2.0);
        Assert.That(attract.Attracting, Is.True);
        Assert.That(canvas.IsEmpty, Is.False, "the recorded 0 is being drawn");
        double end = 1.0 + recording.Inputs[^1].T / 1000;
        RunUntil(end + 0.1);
        Assert.That(attract.Replayed, Is.EqualTo(1), "played to its end once");
        var reference = new DrawingCanvas(280, 280, recording.Info.Canvas!.BrushWidth);
        foreach (var input in recording.Inputs)
            reference.Apply(input.ToEdit()!.Value);
        Assert.That(Ink(canvas), Is.EqualTo(reference.Rasterise()), "the recorded session's last drawing, the 9");
        RunUntil(end + 2.2);
        Assert.That(canvas.Edits().Select(e => e.Kind), Is.Not.Empty.And.All.AnyOf(CanvasEditKind.Begin, CanvasEditKind.Continue),
            "after a step it starts over on a cleared canvas: the 0's one stroke in progress, the 9 gone");

        canvas.BeginStroke(new StrokePoint(10, 10));
        scene.Update(Frame(++frame));
        Assert.That(attract.Attracting, Is.False, "a visitor's stroke ends the attract loop");
        Assert.That(canvas.Edits(), Has.Count.EqualTo(1), "and only the visitor's stroke is left");
    }

    [TestCase("", "is not a Glassbox recording (not gzip-compressed). Recordings are written by glassbox-demo --record.")]
    [TestCase("{ \"format\": \"glassbox-session\" }", "is not a Glassbox recording (not gzip-compressed). Recordings are written by glassbox-demo --record.")]
    public void A_file_that_is_not_a_recording_says_so(string content, string message)
    {
        string file = Path.Combine(_folder, "plain.gbrec");
        File.WriteAllText(file, content);
        Assert.That(() => SessionRecording.Load(file), Throws.TypeOf<GlassboxException>().With.Message.EqualTo($"'{file}' {message}"));
    }

    [TestCase("{}", "is not a Glassbox session recording (format '', expected 'glassbox-session').")]
    [TestCase("[1, 2]", "is damaged: The JSON value could not be converted to")]
    [TestCase("{\"format\":\"glassbox-session\",\"version\":2}", "has format version 2; this Glassbox reads version 1. Record it again with this version.")]
    [TestCase("{\"format\":\"glassbox-session\",\"version\":1}", "is damaged: it has no info. Record it again.")]
    [TestCase("{\"format\":\"glassbox-session\",\"version\":1,\"info\":{\"scene\":\"s\",\"recorded\":\"2026-01-01T00:00:00Z\",\"machine\":null,\"canvas\":{\"resolution\":280,\"brushWidth\":22}},\"inputs\":[{\"t\":1,\"kind\":\"scribble\"}]}",
              "is damaged: The JSON value could not be converted to")]
    [TestCase("{\"format\":\"glassbox-session\",\"version\":1,\"info\":{\"scene\":\"s\",\"recorded\":\"2026-01-01T00:00:00Z\",\"machine\":null,\"canvas\":{\"resolution\":280,\"brushWidth\":22}},\"inputs\":[{\"t\":1,\"kind\":\"stroke\",\"points\":[1,2]}]}",
              "is damaged: input 0: a stroke needs points as x, y, pressure triples. Record it again.")]
    [TestCase("{\"format\":\"glassbox-session\",\"version\":1,\"info\":{\"scene\":\"s\",\"recorded\":\"2026-01-01T00:00:00Z\",\"machine\":null,\"canvas\":{\"resolution\":5,\"brushWidth\":22}}}",
              "is damaged: its canvas (5 px, brush 22) is out of range. Record it again.")]
    public void A_damaged_recording_names_the_problem(string json, string message)
    {
        string file = Path.Combine(_folder, "damaged.gbrec");
        using (var gzip = new GZipStream(File.Create(file), CompressionLevel.Fastest))
            gzip.Write(Encoding.UTF8.GetBytes(json));
        Assert.That(() => SessionRecording.Load(file), Throws.TypeOf<GlassboxException>().With.Message.StartsWith($"Recording '{file}' {message}").Or.Message.StartsWith($"'{file}' {message}"));
    }

    [Test]
    public void A_result_pointing_past_the_inputs_and_a_truncated_file_are_damaged()
    {
        var recording = SessionRecording.Load(Committed);
        string file = Path.Combine(_folder, "short.gbrec");
        new SessionRecording { Info = recording.Info, Inputs = recording.Inputs.Take(3).ToList(), Results = [recording.Results[^1]] }.Save(file);
        Assert.That(() => SessionRecording.Load(file), Throws.TypeOf<GlassboxException>().With.Message.EqualTo(
            $"Recording '{file}' is damaged: result 0 refers to 416 inputs of 3. Record it again."));

        string truncated = Path.Combine(_folder, "truncated.gbrec");
        var bytes = File.ReadAllBytes(Committed);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        Assert.That(() => SessionRecording.Load(truncated), Throws.TypeOf<GlassboxException>().With.Message.StartsWith($"Recording '{truncated}' is damaged:"));
        Assert.That(() => SessionRecording.Load(Path.Combine(_folder, "absent.gbrec")), Throws.TypeOf<GlassboxException>().With.Message.EqualTo(
            $"Recording '{Path.Combine(_folder, "absent.gbrec")}' does not exist. Record one with glassbox-demo --record FILE."));
    }

    [Test]
    public void A_small_file_that_inflates_without_bound_is_refused()
    {
        string file = Path.Combine(_folder, "bomb.gbrec");
        using (var gzip = new GZipStream(File.Create(file), CompressionLevel.Fastest))
        {
            gzip.Write("{\"format\":\""u8);
            var chunk = new byte[1 << 20];
            chunk.AsSpan().Fill((byte)'a');
            for (int i = 0; i < 260; i++)
                gzip.Write(chunk);
            gzip.Write("\"}"u8);
        }
        Assert.That(new FileInfo(file).Length, Is.LessThan(4_000_000), "a few megabytes that inflate to 260");
        Assert.That(() => SessionRecording.Load(file), Throws.TypeOf<GlassboxException>().With.Message.EqualTo(
            $"Recording '{file}' inflates to more than 256 MiB; it is not one this tool wrote."));
    }

    [Test]
    public void A_recorder_with_a_bad_path_says_so_and_a_failed_save_keeps_recording()
    {
        using var scene = new Scene("recorder");
        var misnamed = scene.CreateEntity("A").Add(new SessionRecorder { Path = "session.json" });
        Assert.That(scene.LastError!.Exception.Message, Is.EqualTo("Recorder path 'session.json' should end in .gbrec, so the file says what it is."));
        string blocked = Path.Combine(_folder, "file-not-folder");
        File.WriteAllText(blocked, "");
        var recorder = scene.CreateEntity("B").Add(new SessionRecorder { Path = Path.Combine(blocked, "session.gbrec") });
        var canvas = scene.CreateEntity("Input").Add(new DrawingCanvasInput());
        scene.Update(Frame(1));
        canvas.AddStroke([new StrokePoint(1, 1), new StrokePoint(9, 9)]);
        recorder.Save();
        Assert.That(recorder.LastError, Does.StartWith($"The recording could not be written to '{Path.Combine(blocked, "session.gbrec")}':"));
        Assert.That(recorder.Recording!.Inputs, Has.Count.EqualTo(1), "the session is still being recorded");
        Assert.That(misnamed.Recording, Is.Null, "a recorder whose settings were refused records nothing");
    }

    [Test]
    public void Periodic_saves_are_written_off_the_render_thread_and_their_failures_are_reported()
    {
        using var scene = new Scene("recorder");
        string file = Path.Combine(_folder, "periodic.gbrec");
        var recorder = scene.CreateEntity("Recorder").Add(new SessionRecorder { Path = file, SaveSeconds = 0.05f });
        var canvas = scene.CreateEntity("Input").Add(new DrawingCanvasInput());
        scene.Update(Frame(1));
        canvas.AddStroke([new StrokePoint(1, 1), new StrokePoint(9, 9)]);
        long frame = 1;
        Await.Until(() => File.Exists(file), "the first periodic save", () => scene.Update(Frame(++frame)));
        // The file is whole when it appears (written to a temporary one first), with the stroke drawn before it.
        Assert.That(SessionRecording.Load(file).Inputs.Select(i => i.Kind), Is.EqualTo(new[] { RecordedInputKind.Stroke }));
        canvas.Clear();

        // A save that fails in the background is reported on a later frame, and tried again.
        File.Delete(file);
        Directory.CreateDirectory(file);
        Await.Until(() => recorder.LastError is not null, "the failed save's report", () => scene.Update(Frame(++frame)));
        Assert.That(recorder.LastError, Does.StartWith($"The recording could not be written to '{file}':"));
        Directory.Delete(file);
        Await.Until(() => recorder.LastError is null, "the next save", () => scene.Update(Frame(++frame)));
        Assert.That(recorder.LastError, Is.Null, "the next save, once the path is free again, succeeds");
        Assert.That(SessionRecording.Load(file).Inputs.Select(i => i.Kind), Is.EqualTo(new[] { RecordedInputKind.Stroke, RecordedInputKind.Clear }));
    }
}
