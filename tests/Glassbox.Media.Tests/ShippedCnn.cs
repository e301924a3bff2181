using Glassbox.Inference;

namespace Glassbox.Tests;

/// <summary>The shipped MNIST CNN on CPU, for tests that check a digit image is recognised.</summary>
internal sealed class ShippedCnn : IDisposable
{
    private readonly ModelPackage _package = ModelPackage.Load(Path.Combine(RepoPaths.Root, "models", "mnist-cnn"));
    private readonly ModelSession _session;
    private readonly SessionRun _run;

    public ShippedCnn()
    {
        _session = _package.OpenSession(InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu] });
        _run = _session.CreateRun(dimensions: new Dictionary<string, long> { ["batch"] = 1 });
    }

    /// <summary>The predicted digit for a 28×28 MNIST-style image (light ink on dark).</summary>
    public int Classify(ReadOnlySpan<byte> digit)
    {
        _package.Preprocessing.NormaliseGray(digit, _run.Input<float>("input"));
        _run.Execute();
        var logits = _run.Output<float>("logits");
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
                best = i;
        }
        return best;
    }

    public void Dispose()
    {
        _run.Dispose();
        _session.Dispose();
    }
}
