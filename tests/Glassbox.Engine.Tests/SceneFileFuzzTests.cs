using System.Diagnostics;
using Glassbox.Engine;

namespace Glassbox.Tests;

/// <summary>
/// Mutation fuzzing of the scene-file reader within a fixed time: the shipped demo scene with
/// characters changed, deleted, duplicated and cut. Each must load or fail with SceneFileException,
/// never another exception. Components that load no model are used so each case stays cheap.
/// </summary>
public class SceneFileFuzzTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(double.TryParse(Environment.GetEnvironmentVariable("GLASSBOX_FUZZ_SECONDS"), out double s) ? s : 10);

    [Test]
    public void Mutated_scene_files_load_or_fail_with_a_scene_file_error()
    {
        // The demo's scene, with stand-ins for the two components that would open a model or a source and for
        // the demo's own controls: the fuzzing is of parsing and binding.
        string text = File.ReadAllText(Path.Combine(RepoPaths.Root, "examples", "LiveDemo", "scenes", "mnist-live.json"));
        var registry = new ComponentRegistry().Register<Label>().Register<Button>().Register<Glassbox.Engine.ProbabilityBars>().Register<FeatureMapGrid>().Register<NetworkView>().Register<ChannelInspector>()
            .Register<StatsPanel>().Register<AttributionOverlay>().Register<DrawingCanvasInput>("DrawingCanvas")
            .Register<StandIn>("CnnInference").Register<StandIn>("VideoFeed").Register<StandIn>("DemoControls");
        var clock = Stopwatch.StartNew();
        int cases = 0, loaded = 0;
        for (int iteration = 0; clock.Elapsed < Budget; iteration++)
        {
            string mutated = TextMutations.Mutate(text, new Random(unchecked(20261122 * 1_000_003 + iteration)));
            cases++;
            try
            {
                using var scene = SceneFile.Parse(mutated, registry, "fuzz.json");
                loaded++;
            }
            catch (SceneFileException)
            {
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {iteration}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
        }
        Assert.That(loaded, Is.GreaterThan(cases / 100), "many mutations keep the file valid, so binding is fuzzed too");
        TestContext.Out.WriteLine($"{cases} mutated scene files in {clock.Elapsed.TotalSeconds:0} s, {loaded} still loaded");
        Assert.That(cases, Is.GreaterThan(100));
    }

    private sealed class StandIn : Component
    {
        public string Model { get; set; } = "";
        public string[] Methods { get; set; } = [];
        public string[] Models { get; set; } = [];
        public string Pattern { get; set; } = "";
        public int X { get; set; }
        public int Y { get; set; }
        public int DisplayWidth { get; set; }
        public int DisplayHeight { get; set; }
    }
}
