using System.Text.Json;
using Glassbox.Inference;
using Glassbox.Onnx;
using Glassbox.Onnx.Gradients;

namespace Glassbox.Tests;

/// <summary>
/// Whole models: derived gradient graphs run on ONNX Runtime and match PyTorch autograd (the
/// fixtures in tests/fixtures/gradients, made by tools/models).
/// </summary>
public class GradientFixtureMatchTests
{
    public static IEnumerable<string> Fixtures() =>
        Directory.EnumerateDirectories(RepoPaths.Fixture("gradients")).Select(Path.GetFileName).Order()!;

    [TestCaseSource(nameof(Fixtures))]
    public void Gradients_match_pytorch_autograd(string name)
    {
        string dir = RepoPaths.Fixture("gradients", name);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "index.json")));
        var root = doc.RootElement;
        var model = OnnxModel.Load(Path.Combine(RepoPaths.Root, root.GetProperty("model").GetString()!));
        var input = FloatFixture.Read(dir, root.GetProperty("input"));
        var seed = FloatFixture.Read(dir, root.GetProperty("seed"));
        var expected = root.GetProperty("gradients").EnumerateObject().ToDictionary(p => p.Name, p => FloatFixture.Read(dir, p.Value));

        var gradients = GradientGraph.Derive(model, "logits", expected.Keys);
        TestContext.Out.WriteLine($"{name}: {gradients.BackwardNodeCount} backward nodes, derived in {gradients.DerivationTime.TotalMilliseconds:0.0} ms");

        using var session = ModelSession.Open(gradients.Model, InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu] });
        using var run = session.CreateRun(dimensions: new Dictionary<string, long> { ["batch"] = input.Shape[0] });
        input.Values.CopyTo(run.Input<float>("input"));
        seed.Values.CopyTo(run.Input<float>(gradients.SeedInput));
        run.Execute();

        foreach (var (tensor, reference) in expected)
        {
            var actual = run.Output<float>(gradients.GradientOutputs[tensor]).ToArray();
            Assert.That(actual, Has.Length.EqualTo(reference.Values.Length), $"{name}: size of the gradient of '{tensor}'");
            float scale = reference.Values.Max(MathF.Abs);
            float worst = actual.Zip(reference.Values, (a, b) => MathF.Abs(a - b)).Max();
            TestContext.Out.WriteLine($"  d/d {tensor}: max |Δ| = {worst:E2}, max |grad| = {scale:E2}, relative {worst / scale:E2}");
            // Both engines compute in float32 but sum in different orders: 1e-4 of the gradient's scale.
            Assert.That(worst, Is.LessThanOrEqualTo(1e-4f * scale), $"{name}: gradient of '{tensor}'");
        }
    }
}
