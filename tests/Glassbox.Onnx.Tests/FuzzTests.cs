using System.Diagnostics;
using Glassbox.Onnx;
using Glassbox.Onnx.Gradients;

namespace Glassbox.Tests;

/// <summary>
/// Mutation fuzzing of the ONNX reader and the graph tools within a fixed time: real models with bits
/// flipped, bytes overwritten, cut short or spliced. Each input must load or fail with OnnxModelException
/// (a GlassboxException for the graph tools), never another exception, within 2 s and 256 MB. Every
/// case comes from (seed, iteration), printed on failure, so a finding replays exactly.
/// </summary>
public class FuzzTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(double.TryParse(Environment.GetEnvironmentVariable("GLASSBOX_FUZZ_SECONDS"), out double s) ? s : 20);

    private static IEnumerable<(string Name, byte[] Bytes)> Seeds() =>
    [
        ("tiny-cnn", File.ReadAllBytes(RepoPaths.Fixture("tiny-cnn", "model.onnx"))),
        ("pooling-cnn", File.ReadAllBytes(RepoPaths.Fixture("gradients", "pooling-cnn", "model.onnx"))),
        ("resnet-block", File.ReadAllBytes(RepoPaths.Fixture("gradients", "resnet-block", "model.onnx"))),
    ];

    [Test]
    public void Mutated_models_load_or_fail_with_a_model_error_and_so_do_the_graph_tools()
    {
        var seeds = Seeds().ToList();
        var clock = Stopwatch.StartNew();
        int cases = 0, loaded = 0, derived = 0;
        const int seed = 20261122;
        for (int iteration = 0; clock.Elapsed < Budget; iteration++)
        {
            var random = new Random(unchecked(seed * 1_000_003 + iteration));
            var (name, original) = seeds[iteration % seeds.Count];
            var bytes = ByteMutations.Mutate(original, random);
            string where = $"seed {seed}, iteration {iteration} ({name}, {bytes.Length} bytes)";
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            var started = Stopwatch.StartNew();
            cases++;
            OnnxModel model;
            try
            {
                model = OnnxModel.FromBytes(bytes, "fuzz");
            }
            catch (OnnxModelException)
            {
                continue;
            }
            catch (Exception e)
            {
                Assert.Fail($"{where}: the reader threw {e.GetType().Name}: {e.Message}");
                return;
            }
            loaded++;
            try
            {
                _ = model.DescribeLayers();
                if (model.IntermediateTensorNames.FirstOrDefault() is { } tap)
                    _ = model.WithExtraOutputs([tap]);
                if (model.Outputs.Length > 0 && model.Inputs.Length > 0)
                {
                    _ = GradientGraph.Derive(model, model.Outputs[0].Name, [model.Inputs[0].Name]);
                    derived++;
                }
            }
            catch (GlassboxException)
            {
            }
            catch (Exception e)
            {
                Assert.Fail($"{where}: a graph tool threw {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
            Assert.That(started.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)), $"{where}: no hang");
            Assert.That(GC.GetAllocatedBytesForCurrentThread() - allocatedBefore, Is.LessThan(256L << 20), $"{where}: bounded allocation");
        }
        TestContext.Out.WriteLine($"{cases} mutated models in {clock.Elapsed.TotalSeconds:0} s: {loaded} still parsed, {derived} got a gradient graph");
        Assert.That(cases, Is.GreaterThan(100));
    }
}
