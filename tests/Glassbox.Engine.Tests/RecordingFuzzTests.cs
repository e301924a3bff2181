using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using Glassbox.Engine;
using Glassbox.Engine.Recording;

namespace Glassbox.Tests;

/// <summary>
/// Mutation fuzzing of the recording reader within a fixed time: a short recording's JSON with characters
/// changed, deleted, duplicated and cut, compressed again. Each must load or fail with a GlassboxException;
/// one that loads must play back onto a canvas and rasterise without any other exception.
/// </summary>
public class RecordingFuzzTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(double.TryParse(Environment.GetEnvironmentVariable("GLASSBOX_FUZZ_SECONDS"), out double s) ? s : 10);

    [Test]
    public void Mutated_recordings_load_and_play_or_fail_with_a_glassbox_error()
    {
        string folder = Directory.CreateTempSubdirectory("glassbox-recording-fuzz-").FullName;
        try
        {
            var committed = SessionRecording.Load(Path.Combine(RepoPaths.Root, "examples", "LiveDemo", "recordings", "digits-0-9.gbrec"));
            var small = new SessionRecording
            {
                Info = committed.Info,
                Inputs = committed.Inputs.Take(40).ToList(),
                Results = committed.Results.Where(r => r.Inputs <= 40).Take(3).ToList(),
            };
            string seed = Path.Combine(folder, "seed.gbrec");
            small.Save(seed);
            string text;
            using (var gzip = new GZipStream(File.OpenRead(seed), CompressionMode.Decompress))
            using (var reader = new StreamReader(gzip))
                text = reader.ReadToEnd();

            string file = Path.Combine(folder, "fuzz.gbrec");
            var clock = Stopwatch.StartNew();
            int cases = 0, loaded = 0;
            for (int iteration = 0; clock.Elapsed < Budget; iteration++)
            {
                string mutated = TextMutations.Mutate(text, new Random(unchecked(20261123 * 1_000_003 + iteration)));
                using (var gzip = new GZipStream(File.Create(file), CompressionLevel.Fastest))
                    gzip.Write(Encoding.UTF8.GetBytes(mutated));
                cases++;
                try
                {
                    var recording = SessionRecording.Load(file);
                    using var scene = new Scene("fuzz");
                    var canvas = scene.CreateEntity("Input").Add(new DrawingCanvasInput());
                    var playback = new SessionPlayback(recording);
                    playback.Advance(TimeSpan.FromDays(1), scene, canvas, sendKeys: true);
                    // And the ink, as a replay prepares it: points far outside the canvas must not cost more.
                    var ink = new Glassbox.Media.DrawingCanvas(canvas.Resolution, canvas.Resolution, canvas.BrushWidth);
                    foreach (var edit in canvas.Edits())
                        ink.Apply(edit);
                    ink.Rasterise();
                    loaded++;
                }
                catch (GlassboxException)
                {
                }
                catch (Exception e)
                {
                    Assert.Fail($"iteration {iteration}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
                }
            }
            TestContext.Out.WriteLine($"{cases} mutated recordings in {clock.Elapsed.TotalSeconds:0} s, {loaded} loaded and played");
            Assert.That(cases, Is.GreaterThan(100));
            Assert.That(loaded, Is.GreaterThan(cases / 100), "many mutations keep the file valid, so playback is fuzzed too");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
