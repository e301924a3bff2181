using Glassbox.Onnx;

namespace Glassbox.Tests;

/// <summary>
/// A channel's kernel is the weights of the convolution its values come from, found back through channel-wise steps
/// (activations, pooling), and read straight from the initializer; a layer no single filter makes says why.
/// </summary>
public class ChannelKernelTests
{
    private static readonly Lazy<OnnxModel> Cnn = new(() => OnnxModel.Load(Path.Combine(RepoPaths.Root, "models", "mnist-cnn", "model.onnx")));

    private static (float[] Values, TensorShape Shape) WeightsOf(OnnxModel model, string convOutput)
    {
        var conv = model.ProducerOf(convOutput)!;
        Assert.That(conv.OpType, Is.EqualTo("Conv"));
        return (model.InitializerValues(conv.Inputs[1])!, model.Initializers.First(i => i.Name == conv.Inputs[1]).Shape);
    }

    [TestCase(0)]
    [TestCase(7)]
    [TestCase(15)]
    public void A_first_layer_channel_is_its_filter_over_the_input(int channel)
    {
        var kernel = ChannelKernel.Of(Cnn.Value, "conv1", channel, out _)!;
        var (weights, shape) = WeightsOf(Cnn.Value, "conv1");
        Assert.That(kernel.ReadsInput, "conv1 reads the image: its filters are pictures");
        Assert.That((kernel.InputChannels, kernel.KernelHeight, kernel.KernelWidth), Is.EqualTo(((int)shape[1], (int)shape[2], (int)shape[3])));
        int size = (int)(shape[1] * shape[2] * shape[3]);
        Assert.That(kernel.Weights, Is.EqualTo(weights.AsSpan(channel * size, size).ToArray()));
        Assert.That(kernel.Path, Is.Empty);
    }

    [Test]
    public void A_pooled_activation_is_traced_back_to_its_convolution()
    {
        var kernel = ChannelKernel.Of(Cnn.Value, "pool1", 9, out _)!;
        var (weights, shape) = WeightsOf(Cnn.Value, "conv2");
        Assert.That(kernel.Node, Is.EqualTo(Cnn.Value.ProducerOf("conv2")!.Name));
        Assert.That(kernel.Path, Is.EqualTo(new[] { "Relu", "MaxPool" }));
        Assert.That(kernel.ReadsInput, Is.False, "conv2 reads conv1's activations");
        Assert.That(kernel[4, 1, 2], Is.EqualTo(weights[(int)(((9 * shape[1] + 4) * shape[2] + 1) * shape[3] + 2)]));
    }

    [Test]
    public void Activations_written_out_gates_and_concatenations_are_followed_to_their_convolution()
    {
        var b = OnnxGraphBuilder.From(Cnn.Value, "test/");
        // SiLU as exporters write it, x·σ(x); a squeeze-and-excitation gate, x·σ(conv(pool(x))); two maps stacked.
        string silu = b.Op("Mul", "conv2", b.Op("Sigmoid", "conv2"));
        var squeeze = new float[32 * 32];
        for (int i = 0; i < squeeze.Length; i++)
            squeeze[i] = (i % 7 - 3) / 10f;
        string gate = b.Op("Sigmoid", b.Op("Conv", b.Op("GlobalAveragePool", "conv2"), b.Floats(squeeze, [32, 32, 1, 1])));
        string gated = b.Op("Mul", "conv2", gate);
        string stacked = b.Op("Concat", ["conv1", "conv2"], OnnxAttribute.Int("axis", 1));
        b.AddOutput(silu, "silu", TensorElementType.Float32, [null, 32, 28, 28]);
        b.AddOutput(gated, "gated", TensorElementType.Float32, [null, 32, 28, 28]);
        b.AddOutput(stacked, "stacked", TensorElementType.Float32, [null, 48, 28, 28]);
        var model = b.ToModel("cnn with written-out activations", "test");
        var conv2 = ChannelKernel.Of(Cnn.Value, "conv2", 4, out _)!;

        var fromSilu = ChannelKernel.Of(model, "silu", 4, out string reason);
        Assert.That(fromSilu, Is.Not.Null, reason);
        Assert.That(fromSilu!.Weights, Is.EqualTo(conv2.Weights));
        Assert.That(fromSilu.Path, Is.EqualTo(new[] { "Mul", "Identity" }));
        var fromGate = ChannelKernel.Of(model, "gated", 4, out reason);
        Assert.That(fromGate, Is.Not.Null, reason);
        Assert.That(fromGate!.Weights, Is.EqualTo(conv2.Weights));
        // Channel 20 of conv1 (16) then conv2 (32) is conv2's channel 4.
        var fromStack = ChannelKernel.Of(model, "stacked", 20, out reason);
        Assert.That(fromStack, Is.Not.Null, reason);
        Assert.That((fromStack!.Node, fromStack.Channel), Is.EqualTo((conv2.Node, 4)));
        Assert.That(fromStack.Weights, Is.EqualTo(conv2.Weights));
        Assert.That(ChannelKernel.Of(model, "stacked", 3, out _)!.ReadsInput, "channel 3 is conv1's");
    }

    [Test]
    public void A_sum_of_two_layers_has_no_one_kernel_and_says_so()
    {
        var b = OnnxGraphBuilder.From(Cnn.Value, "test/");
        // A residual sum: conv2 plus a 1×1 convolution of it.
        string sum = b.Op("Add", "conv2", b.Op("Conv", "conv2", b.Floats(new float[32 * 32], [32, 32, 1, 1])));
        b.AddOutput(sum, "sum", TensorElementType.Float32, [null, 32, 28, 28]);
        var model = b.ToModel("cnn with a sum", "test");

        Assert.That(ChannelKernel.Of(model, "sum", 0, out string reason), Is.Null);
        Assert.That(reason, Does.Contain("Add").And.Contain("2 layers"));
        Assert.That(ChannelKernel.Of(Cnn.Value, "input", 0, out reason), Is.Null);
        Assert.That(ChannelKernel.Of(Cnn.Value, "conv1", 99, out reason), Is.Null);
        Assert.That(reason, Does.Contain("99"));
    }
}

/// <summary>The part of a model that computes an inner layer: only its nodes, the same values.</summary>
public class ModelUpToTests
{
    [Test]
    public void A_model_up_to_a_layer_computes_it_alone_and_the_same()
    {
        var full = OnnxModel.Load(Path.Combine(RepoPaths.Root, "models", "mnist-cnn", "model.onnx"));
        var part = full.UpTo(["relu2"]);
        Assert.That(part.Outputs.Select(o => o.Name), Is.EqualTo(new[] { "relu2" }));
        Assert.That(part.Nodes.Select(n => n.OpType), Is.EqualTo(new[] { "Conv", "Relu", "Conv", "Relu" }), "conv1 to relu2, nothing after");
        Assert.That(part.Initializers.Select(i => i.Name), Is.EquivalentTo(part.Nodes.SelectMany(n => n.Inputs).Where(i => full.Initializers.Any(x => x.Name == i))));

        var input = new float[28 * 28];
        var random = new Random(3);
        for (int i = 0; i < input.Length; i++)
            input[i] = (float)random.NextDouble();
        float[] Run(OnnxModel model)
        {
            using var session = Glassbox.Inference.ModelSession.Open(model, Glassbox.Inference.InferenceOptions.Default with { Providers = [Glassbox.Inference.ExecutionProvider.Cpu] });
            using var run = session.CreateRun(outputs: ["relu2"], dimensions: new Dictionary<string, long> { ["batch"] = 1 });
            input.CopyTo(run.Input<float>("input"));
            run.Execute();
            return run.Output<float>("relu2").ToArray();
        }
        Assert.That(Run(part), Is.EqualTo(Run(full.WithExtraOutputs(["relu2"]))));
        Assert.Throws<OnnxModelException>(() => full.UpTo(["no-such-tensor"]));
    }
}
