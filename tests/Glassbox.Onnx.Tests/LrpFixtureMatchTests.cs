using System.Text.Json;
using Glassbox.Inference;
using Glassbox.Onnx;
using Glassbox.Onnx.Gradients;

namespace Glassbox.Tests;

/// <summary>
/// Whole models: relevance from Glassbox's derived LRP graphs, run on ONNX Runtime, matches an independent PyTorch
/// implementation of Zennit's rules and composites (tools/models/lrp_fixtures.py; fixtures in tests/fixtures/lrp),
/// for the shipped CNN (biases, max pooling, global average pooling), a ResNet block (batch normalisation folded,
/// residual sum), a MobileNetV2 block (ReLU6, depthwise convolution, a normalisation before a sum) and a
/// VGG-style CNN (average pooling, a dense layer over a flattened map).
/// </summary>
public class LrpFixtureMatchTests
{
    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var dir in Directory.EnumerateDirectories(RepoPaths.Fixture("lrp")).Order())
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "index.json")));
            foreach (var entry in doc.RootElement.GetProperty("relevance").EnumerateObject())
                yield return new TestCaseData(Path.GetFileName(dir), entry.Name).SetArgDisplayNames(Path.GetFileName(dir), entry.Name);
        }
    }

    [Test]
    public void Every_composite_and_relu_pass_has_a_reference_on_every_model()
    {
        var cases = Cases().Select(c => ((string)c.Arguments[0]!, (string)c.Arguments[1]!)).ToHashSet();
        foreach (var model in new[] { "mnist-cnn", "mnist-vit", "resnet-block", "mobilenet-block", "pooling-cnn" })
        {
            foreach (var pass in LrpComposite.PresetNames.Concat(["guided-backprop", "deconvnet", "w-square-first"]))
                Assert.That(cases, Does.Contain((model, pass)));
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void Relevance_matches_the_pytorch_reference(string model, string pass)
    {
        string dir = RepoPaths.Fixture("lrp", model);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "index.json")));
        var root = doc.RootElement;
        var onnx = OnnxModel.Load(Path.Combine(RepoPaths.Root, root.GetProperty("model").GetString()!));
        var input = FloatFixture.Read(dir, root.GetProperty("input"));
        var seed = FloatFixture.Read(dir, root.GetProperty("seed"));
        var expected = FloatFixture.Read(dir, root.GetProperty("relevance").GetProperty(pass));
        string inputName = root.GetProperty("input").GetProperty("name").GetString()!;
        string output = root.GetProperty("output").GetProperty("name").GetString()!;
        float[] low = [.. root.GetProperty("box").GetProperty("low").EnumerateArray().Select(v => v.GetSingle())];
        float[] high = [.. root.GetProperty("box").GetProperty("high").EnumerateArray().Select(v => v.GetSingle())];

        var backward = pass switch
        {
            "guided-backprop" => BackwardPass.GuidedBackprop,
            "deconvnet" => BackwardPass.DeconvNet,
            "w-square-first" => BackwardPass.Lrp(LrpComposite.EpsilonPlus().Override(FirstLinearNode(onnx), LrpRule.WSquare())),
            _ => BackwardPass.Lrp(LrpComposite.Named(pass, low: low, high: high)),
        };
        var graph = GradientGraph.Derive(onnx, output, [inputName], backward: backward);
        using var session = ModelSession.Open(graph.Model, InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu] });
        using var run = session.CreateRun(dimensions: new Dictionary<string, long> { ["batch"] = input.Shape[0] });
        input.Values.CopyTo(run.Input<float>(inputName));
        seed.Values.CopyTo(run.Input<float>(graph.SeedInput));
        run.Execute();

        var actual = run.Output<float>(graph.GradientOutputs[inputName]).ToArray();
        Assert.That(actual, Has.Length.EqualTo(expected.Values.Length));
        float scale = expected.Values.Max(MathF.Abs);
        float worst = actual.Zip(expected.Values, (a, b) => MathF.Abs(a - b)).Max();
        TestContext.Out.WriteLine($"{model} {pass}: max |Δ| = {worst:E2}, max |R| = {scale:E2}, relative {worst / scale:E2}; {graph.BackwardNodeCount} backward nodes");
        Assert.That(scale, Is.GreaterThan(0f), "the reference is not all zero");
        // Both engines compute in float32 and sum in different orders: 1e-4 of the relevance's scale.
        Assert.That(worst, Is.LessThanOrEqualTo(1e-4f * scale), $"{model}: {pass}");
    }

    private static string FirstLinearNode(OnnxModel model) =>
        model.Nodes.First(n => n.OpType is "Conv" or "Gemm").Name;
}
