using System.Security.Cryptography;
using System.Text.Json;
using Glassbox.Inference;

namespace Glassbox.Tests;

/// <summary>
/// The PyTorch gradient fixtures (tools/models/gradient_fixtures.py) are sound before the gradient
/// graphs are tested against them: each model file is the one the fixture was made from, ONNX
/// Runtime reproduces the stored outputs, and the stored input gradients agree with central
/// finite differences of ONNX Runtime forward runs.
/// </summary>
public class GradientFixtureTests
{
    public static IEnumerable<string> Fixtures() =>
        Directory.EnumerateDirectories(RepoPaths.Fixture("gradients")).Select(Path.GetFileName).Order()!;

    [Test]
    public void Every_probe_and_shipped_model_has_a_fixture() =>
        Assert.That(Fixtures(), Is.SupersetOf(new[] { "mnist-cnn", "mnist-vit", "resnet-block", "mobilenet-block", "pooling-cnn" }));

    [Test]
    public void Fixtures_stay_small()
    {
        long bytes = Directory.EnumerateFiles(RepoPaths.Fixture("gradients"), "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Assert.That(bytes, Is.LessThan(5 * 1024 * 1024));
    }

    [TestCaseSource(nameof(Fixtures))]
    public void Onnx_runtime_reproduces_the_stored_outputs(string name)
    {
        var fixture = GradientFixture.Load(name);
        using var session = fixture.Open();
        using var run = fixture.CreateRun(session);

        fixture.Input.Values.CopyTo(run.Input<float>("input"));
        run.Execute();

        Assert.That(run.Output<float>("logits").ToArray(), Is.EqualTo(fixture.Output.Values).Within(1e-4f));
    }

    [TestCaseSource(nameof(Fixtures))]
    public void Stored_input_gradients_agree_with_finite_differences(string name)
    {
        var fixture = GradientFixture.Load(name);
        var gradient = fixture.Gradients["input"].Values;
        using var session = fixture.Open();
        using var run = fixture.CreateRun(session);
        var input = run.Input<float>("input");

        float largest = gradient.Max(MathF.Abs);
        Assert.That(largest, Is.GreaterThan(0f), "the gradient is not all zero");
        // The twenty largest components and forty seeded random ones (many MNIST pixels sit on kinks).
        var random = new Random(99);
        var coordinates = Enumerable.Range(0, gradient.Length).OrderByDescending(i => MathF.Abs(gradient[i])).Take(20)
            .Concat(Enumerable.Range(0, 40).Select(_ => random.Next(gradient.Length))).Distinct();

        int checkedCount = 0, kinks = 0;
        foreach (int i in coordinates)
        {
            const float h = 1e-3f;
            double forward = Difference(run, input, fixture, i, 0f, h);
            double backward = Difference(run, input, fixture, i, -h, 0f);
            // A ReLU or max-pool switch within ±h (or exactly at the point: a constant background
            // makes max-pool windows tie) gives different one-sided slopes. The function is not
            // differentiable there at this scale, so the point says nothing about the gradient. Skip it.
            if (Math.Abs(forward - backward) > 0.01 * largest)
            {
                kinks++;
                continue;
            }
            checkedCount++;
            double central = (forward + backward) / 2;
            // float32 forward passes: the quotient carries ~1e-4 relative noise; 2% of the largest
            // component separates that from a wrong gradient (a missing factor or a wrong position).
            Assert.That(central, Is.EqualTo(gradient[i]).Within(0.02 * largest), $"{name}: d score / d input[{i}]");
        }
        TestContext.Out.WriteLine($"{name}: {checkedCount} components checked, {kinks} skipped at kinks");
        Assert.That(checkedCount, Is.GreaterThanOrEqualTo(10), "enough smooth components to judge the gradient");
    }

    /// <summary>(score(x + to·eᵢ) − score(x + from·eᵢ)) / (to − from).</summary>
    private static double Difference(SessionRun run, Span<float> input, GradientFixture fixture, int i, float from, float to)
    {
        fixture.Input.Values.CopyTo(input);
        input[i] += to;
        double up = Score(run, fixture.Seed.Values);
        fixture.Input.Values.CopyTo(input);
        input[i] += from;
        double down = Score(run, fixture.Seed.Values);
        fixture.Input.Values.CopyTo(input);
        return (up - down) / (to - from);
    }

    private static double Score(SessionRun run, float[] seed)
    {
        run.Execute();
        var output = run.Output<float>("logits");
        double sum = 0;
        for (int i = 0; i < seed.Length; i++)
            sum += (double)seed[i] * output[i];
        return sum;
    }

    private sealed record GradientFixture(string ModelPath, FloatFixture Input, FloatFixture Output, FloatFixture Seed, Dictionary<string, FloatFixture> Gradients)
    {
        public static GradientFixture Load(string name)
        {
            string dir = RepoPaths.Fixture("gradients", name);
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "index.json")));
            var root = doc.RootElement;
            string model = Path.Combine(RepoPaths.Root, root.GetProperty("model").GetString()!);
            Assert.That(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(model))), Is.EqualTo(root.GetProperty("model_sha256").GetString()),
                $"{name}: the model changed since the fixture was made; rerun tools/models/train.py --fixtures-only or tools/models/probes.py");
            var gradients = root.GetProperty("gradients").EnumerateObject().ToDictionary(p => p.Name, p => FloatFixture.Read(dir, p.Value));
            return new GradientFixture(model, FloatFixture.Read(dir, root.GetProperty("input")), FloatFixture.Read(dir, root.GetProperty("output")),
                FloatFixture.Read(dir, root.GetProperty("seed")), gradients);
        }

        public ModelSession Open() => ModelSession.Open(ModelPath, InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu] });

        public SessionRun CreateRun(ModelSession session) =>
            session.CreateRun(dimensions: new Dictionary<string, long> { ["batch"] = Input.Shape[0] });
    }
}
