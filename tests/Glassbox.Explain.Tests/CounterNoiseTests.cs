using Glassbox.Explain;
using Glassbox.Inference;
using Glassbox.Onnx;

namespace Glassbox.Tests;

/// <summary>
/// SmoothGrad's noise: a pure function of (seed, position) that the library computes in C# and an exported explainer
/// computes as ONNX ops, with the statistics of standard normal noise.
/// </summary>
public class CounterNoiseTests
{
    [Test]
    public void The_values_are_standard_normal_and_neighbours_are_uncorrelated()
    {
        const int count = 200_000;
        var values = new float[count];
        CounterNoise.FillGaussian(seed: 0, first: 0, values);
        double mean = values.Average(v => (double)v);
        double variance = values.Average(v => (v - mean) * (v - mean));
        double lag1 = Enumerable.Range(0, count - 1).Average(i => (values[i] - mean) * (values[i + 1] - mean)) / variance;
        double withinOneSigma = values.Count(v => MathF.Abs(v) < 1f) / (double)count;
        double beyondThree = values.Count(v => MathF.Abs(v) > 3f) / (double)count;
        // Standard errors at 200,000 values: mean 0.0022, variance 0.0032, correlation 0.0022, fraction 0.001.
        Assert.That(mean, Is.EqualTo(0).Within(0.01));
        Assert.That(variance, Is.EqualTo(1).Within(0.015));
        Assert.That(lag1, Is.EqualTo(0).Within(0.01));
        Assert.That(withinOneSigma, Is.EqualTo(0.6827).Within(0.005));
        Assert.That(beyondThree, Is.EqualTo(0.0027).Within(0.0006));
    }

    [Test]
    public void Different_seeds_give_uncorrelated_streams_and_one_seed_the_same_stream()
    {
        var a = new float[50_000];
        var b = new float[50_000];
        var again = new float[50_000];
        CounterNoise.FillGaussian(1, 0, a);
        CounterNoise.FillGaussian(2, 0, b);
        CounterNoise.FillGaussian(1, 0, again);
        double correlation = a.Zip(b, (x, y) => (double)x * y).Average();
        Assert.That(correlation, Is.EqualTo(0).Within(0.02));
        Assert.That(again, Is.EqualTo(a));
        // Position i of the stream is the same whichever run it is drawn in.
        var tail = new float[10];
        CounterNoise.FillGaussian(1, 49_990, tail);
        Assert.That(tail, Is.EqualTo(a[49_990..]));
    }

    [TestCase(0L)]
    [TestCase(7L)]
    [TestCase(-123_456_789_012L)]
    public void The_graph_form_run_by_onnx_runtime_draws_the_librarys_values(long seed)
    {
        const int count = 4096;
        var b = OnnxGraphBuilder.From(TinyModels.Linear(new float[3 * 2 * 4], new float[3], 2, 2, 2), "noise/");
        b.AddInput("seed", TensorElementType.Int64, [1]);
        b.AddOutput(CounterNoise.GaussianGraph(b, "seed", count), "noise", TensorElementType.Float32, [count]);
        using var session = ModelSession.Open(b.ToModel("noise", "test"), InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 1 });
        using var run = session.CreateRun(dimensions: new Dictionary<string, long> { ["batch"] = 1 });
        run.Input<long>("seed")[0] = seed;
        run.Execute();
        var expected = new float[count];
        CounterNoise.FillGaussian(seed, 0, expected);
        var graph = run.Output<float>("noise").ToArray();
        // Same integers, same uniforms; Log, Sqrt and Cos may round the last bit differently.
        for (int i = 0; i < count; i++)
            Assert.That(graph[i], Is.EqualTo(expected[i]).Within(2e-6f * MathF.Max(1f, MathF.Abs(expected[i]))), $"value {i}");
    }
}
