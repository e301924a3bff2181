using BenchmarkDotNet.Attributes;
using Glassbox.Inference;
using Glassbox.Onnx;
using Glassbox.Onnx.Gradients;

namespace Glassbox.Benchmarks;

/// <summary>
/// ResNet-18 at 224², CPU provider, 2 intra-op threads: the forward run alone, and one run that also
/// computes the gradient of the top class with respect to layer4's output (Grad-CAM) or to the input
/// (saliency). Targets: Grad-CAM ≤ 1.3× forward, saliency ≤ 3× forward, derivation &lt; 200 ms.
/// </summary>
[MemoryDiagnoser]
public class GradientBenchmarks
{
    private const string Layer4 = "layer4.layer4.1.relu_1";
    private OnnxModel _model = null!;
    private ModelSession _forward = null!, _gradCam = null!, _saliency = null!;
    private SessionRun _forwardRun = null!, _gradCamRun = null!, _saliencyRun = null!;

    [GlobalSetup]
    public void Setup()
    {
        _model = OnnxModel.Load(BenchModels.Path("resnet18.onnx"));
        var options = InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 2 };
        _forward = ModelSession.Open(_model, options);
        var gradCam = GradientGraph.Derive(_model, "logits", [Layer4]);
        var saliency = GradientGraph.Derive(_model, "logits", ["input"]);
        _gradCam = ModelSession.Open(gradCam.Model, options);
        _saliency = ModelSession.Open(saliency.Model, options);
        var batch = new Dictionary<string, long> { ["batch"] = 1 };
        _forwardRun = _forward.CreateRun(dimensions: batch);
        _gradCamRun = _gradCam.CreateRun(dimensions: batch);
        _saliencyRun = _saliency.CreateRun(dimensions: batch);
        var random = new Random(1);
        foreach (var run in new[] { _forwardRun, _gradCamRun, _saliencyRun })
        {
            var input = run.Input<float>("input");
            for (int i = 0; i < input.Length; i++)
                input[i] = (float)(random.NextDouble() * 2 - 1);
        }
        // Seed: class 7, as a Grad-CAM of a chosen class would.
        _gradCamRun.Input<float>(gradCam.SeedInput)[7] = 1f;
        _saliencyRun.Input<float>(saliency.SeedInput)[7] = 1f;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var d in new IDisposable[] { _forwardRun, _gradCamRun, _saliencyRun, _forward, _gradCam, _saliency })
            d.Dispose();
    }

    [Benchmark(Baseline = true, Description = "ResNet-18 forward")]
    public void Forward() => _forwardRun.Execute();

    [Benchmark(Description = "forward + d class / d layer4 (Grad-CAM)")]
    public void ForwardAndLayer4Gradient() => _gradCamRun.Execute();

    [Benchmark(Description = "forward + d class / d input (saliency)")]
    public void ForwardAndInputGradient() => _saliencyRun.Execute();

    [Benchmark(Description = "derive the layer4 gradient graph")]
    public GradientGraph Derive() => GradientGraph.Derive(_model, "logits", [Layer4]);
}
