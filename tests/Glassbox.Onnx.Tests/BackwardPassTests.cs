using Glassbox.Inference;
using Glassbox.Onnx;
using Glassbox.Onnx.Gradients;
using Glassbox.Onnx.Protos;
using Google.Protobuf;

namespace Glassbox.Tests;

/// <summary>
/// Modified backward passes against their definitions, on a three-layer ReLU network worked by hand:
/// y = relu(relu(x·W1)·W2)·W3. With s the seed and g₂ = s·W3ᵀ arriving at the second ReLU:
/// the gradient gates by the activation (a &gt; 0), Guided Backprop also keeps only positive signal
/// (max(g, 0) where a &gt; 0), DeconvNet keeps positive signal whatever the activation (max(g, 0)).
/// </summary>
public class BackwardPassTests
{
    private const int In = 6, Hidden1 = 7, Hidden2 = 5, Out = 3;

    private static float[] Random(int count, Random random) => Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

    private static (OnnxModel Model, float[] W1, float[] W2, float[] W3) Network()
    {
        var random = new Random(7);
        float[] w1 = Random(In * Hidden1, random), w2 = Random(Hidden1 * Hidden2, random), w3 = Random(Hidden2 * Out, random);
        var graph = new GraphProto { Name = "mlp" };
        graph.Node.Add(new NodeProto { OpType = "MatMul", Name = "fc1", Input = { "x", "w1" }, Output = { "h1" } });
        graph.Node.Add(new NodeProto { OpType = "Relu", Name = "relu1", Input = { "h1" }, Output = { "a1" } });
        graph.Node.Add(new NodeProto { OpType = "MatMul", Name = "fc2", Input = { "a1", "w2" }, Output = { "h2" } });
        graph.Node.Add(new NodeProto { OpType = "Relu", Name = "relu2", Input = { "h2" }, Output = { "a2" } });
        graph.Node.Add(new NodeProto { OpType = "MatMul", Name = "fc3", Input = { "a2", "w3" }, Output = { "y" } });
        graph.Initializer.Add(Weights("w1", In, Hidden1, w1));
        graph.Initializer.Add(Weights("w2", Hidden1, Hidden2, w2));
        graph.Initializer.Add(Weights("w3", Hidden2, Out, w3));
        graph.Input.Add(Info("x", In));
        graph.Output.Add(Info("y", Out));
        var model = new ModelProto { IrVersion = 8, Graph = graph, ProducerName = "glassbox-tests", OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 13 } } };
        return (OnnxModel.FromBytes(model.ToByteArray(), "mlp"), w1, w2, w3);
    }

    private static TensorProto Weights(string name, int rows, int columns, float[] values) =>
        new() { Name = name, DataType = (int)TensorProto.Types.DataType.Float, Dims = { rows, columns }, FloatData = { values } };

    private static ValueInfoProto Info(string name, int width) => new()
    {
        Name = name,
        Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimValue = 1 }, new TensorShapeProto.Types.Dimension { DimValue = width } } } } },
    };

    /// <summary>v · Wᵀ for a row vector v of W's column count.</summary>
    private static float[] TimesTransposed(float[] v, float[] w, int rows, int columns)
    {
        var result = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
                result[r] += v[c] * w[r * columns + c];
        }
        return result;
    }

    private static float[] Times(float[] v, float[] w, int rows, int columns)
    {
        var result = new float[columns];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
                result[c] += v[r] * w[r * columns + c];
        }
        return result;
    }

    /// <summary>The backward signal through one ReLU by a pass's definition.</summary>
    private static float[] ThroughRelu(float[] signal, float[] activation, string pass) =>
        signal.Select((g, i) => pass switch
        {
            "gradient" => activation[i] > 0 ? g : 0f,
            "guided-backprop" => activation[i] > 0 ? MathF.Max(g, 0f) : 0f,
            _ => MathF.Max(g, 0f),
        }).ToArray();

    private static IEnumerable<TestCaseData> Passes() =>
    [
        new TestCaseData(BackwardPass.Gradient).SetArgDisplayNames("gradient"),
        new TestCaseData(BackwardPass.GuidedBackprop).SetArgDisplayNames("guided-backprop"),
        new TestCaseData(BackwardPass.DeconvNet).SetArgDisplayNames("deconvnet"),
    ];

    [TestCaseSource(nameof(Passes))]
    public void Each_pass_gives_back_what_its_definition_says(BackwardPass pass)
    {
        var (model, w1, w2, w3) = Network();
        var derived = GradientGraph.Derive(model, "y", ["x", "a1"], backward: pass);
        Assert.That(derived.Backward, Is.SameAs(pass));
        using var session = ModelSession.Open(derived.Model, InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 1 });
        using var run = session.CreateRun();
        var random = new Random(11);
        int differing = 0;
        for (int trial = 0; trial < 20; trial++)
        {
            float[] x = Random(In, random), seed = Random(Out, random);
            x.CopyTo(run.Input<float>("x"));
            seed.CopyTo(run.Input<float>(derived.SeedInput));
            run.Execute();

            var a1 = Times(x, w1, In, Hidden1).Select(v => MathF.Max(v, 0f)).ToArray();
            var a2 = Times(a1, w2, Hidden1, Hidden2).Select(v => MathF.Max(v, 0f)).ToArray();
            var atA1 = TimesTransposed(ThroughRelu(TimesTransposed(seed, w3, Hidden2, Out), a2, pass.Name), w2, Hidden1, Hidden2);
            var atX = TimesTransposed(ThroughRelu(atA1, a1, pass.Name), w1, In, Hidden1);

            Assert.That(run.Output<float>(derived.GradientOutputs["a1"]).ToArray(), Is.EqualTo(atA1).Within(1e-5f), $"trial {trial}: at a1");
            Assert.That(run.Output<float>(derived.GradientOutputs["x"]).ToArray(), Is.EqualTo(atX).Within(1e-5f), $"trial {trial}: at x");
            var trueGradient = TimesTransposed(ThroughRelu(TimesTransposed(ThroughRelu(TimesTransposed(seed, w3, Hidden2, Out), a2, "gradient"), w2, Hidden1, Hidden2), a1, "gradient"), w1, In, Hidden1);
            if (trueGradient.Zip(atX).Any(p => MathF.Abs(p.First - p.Second) > 1e-4f))
                differing++;
        }
        // The modified passes are not the gradient on these inputs, or the test would tell nothing.
        Assert.That(differing, pass == BackwardPass.Gradient ? Is.Zero : Is.GreaterThan(10));
    }

    /// <summary>
    /// On a ReLU network without biases, LRP with ε → 0 is gradient × input (Montavon et al. 2019), and the
    /// relevance at the input sums to the explained output: nothing is created or lost on the way.
    /// </summary>
    [Test]
    public void Lrp_epsilon_on_a_relu_network_without_biases_is_gradient_times_input_and_conserves_the_score()
    {
        var (model, w1, w2, w3) = Network();
        var lrp = GradientGraph.Derive(model, "y", ["x"], backward: BackwardPass.Lrp(LrpComposite.Epsilon(1e-7f, stabiliser: 1e-7f)));
        using var session = ModelSession.Open(lrp.Model, InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 1 });
        using var run = session.CreateRun();
        var random = new Random(5);
        for (int trial = 0; trial < 20; trial++)
        {
            float[] x = Random(In, random), seed = new float[Out];
            seed[trial % Out] = 1f;
            x.CopyTo(run.Input<float>("x"));
            seed.CopyTo(run.Input<float>(lrp.SeedInput));
            run.Execute();
            var relevance = run.Output<float>(lrp.GradientOutputs["x"]).ToArray();

            var a1 = Times(x, w1, In, Hidden1).Select(v => MathF.Max(v, 0f)).ToArray();
            var a2 = Times(a1, w2, Hidden1, Hidden2).Select(v => MathF.Max(v, 0f)).ToArray();
            float score = Times(a2, w3, Hidden2, Out)[trial % Out];
            var gradient = TimesTransposed(ThroughRelu(TimesTransposed(ThroughRelu(TimesTransposed(seed, w3, Hidden2, Out), a2, "gradient"), w2, Hidden1, Hidden2), a1, "gradient"), w1, In, Hidden1);
            var gradientTimesInput = gradient.Select((g, i) => g * x[i]).ToArray();

            Assert.That(relevance, Is.EqualTo(gradientTimesInput).Within(1e-4f), $"trial {trial}");
            Assert.That(relevance.Sum(), Is.EqualTo(score).Within(1e-4f + 1e-4f * MathF.Abs(score)), $"trial {trial}: conservation");
        }
    }

    /// <summary>
    /// A residual block with batch normalisation, as in ResNet, without biases (BN with zero mean and shift is a
    /// per-channel scale): the sum shares relevance between its two terms, BN passes it as a linear layer, and LRP-ε
    /// again equals gradient × input, summing to the score.
    /// </summary>
    [Test]
    public void Lrp_epsilon_through_a_residual_sum_and_batch_normalisation_conserves_the_score()
    {
        var random = new Random(3);
        var graph = new GraphProto { Name = "residual" };
        graph.Node.Add(new NodeProto { OpType = "MatMul", Name = "fc1", Input = { "x", "w1" }, Output = { "h" } });
        graph.Node.Add(new NodeProto { OpType = "BatchNormalization", Name = "bn", Input = { "h", "scale", "shift", "mean", "var" }, Output = { "n" } });
        graph.Node.Add(new NodeProto { OpType = "Relu", Name = "relu", Input = { "n" }, Output = { "a" } });
        graph.Node.Add(new NodeProto { OpType = "MatMul", Name = "skip", Input = { "x", "ws" }, Output = { "s" } });
        graph.Node.Add(new NodeProto { OpType = "Add", Name = "sum", Input = { "a", "s" }, Output = { "r" } });
        graph.Node.Add(new NodeProto { OpType = "MatMul", Name = "fc2", Input = { "r", "w2" }, Output = { "y" } });
        graph.Initializer.Add(Weights("w1", In, Hidden1, Random(In * Hidden1, random)));
        graph.Initializer.Add(Weights("ws", In, Hidden1, Random(In * Hidden1, random)));
        graph.Initializer.Add(Weights("w2", Hidden1, Out, Random(Hidden1 * Out, random)));
        graph.Initializer.Add(new TensorProto { Name = "scale", DataType = 1, Dims = { Hidden1 }, FloatData = { Enumerable.Range(0, Hidden1).Select(i => 0.5f + 0.25f * i) } });
        foreach (var name in new[] { "shift", "mean" })
            graph.Initializer.Add(new TensorProto { Name = name, DataType = 1, Dims = { Hidden1 }, FloatData = { new float[Hidden1] } });
        graph.Initializer.Add(new TensorProto { Name = "var", DataType = 1, Dims = { Hidden1 }, FloatData = { Enumerable.Repeat(1f, Hidden1) } });
        graph.Input.Add(Info("x", In));
        graph.Output.Add(Info("y", Out));
        var model = OnnxModel.FromBytes(new ModelProto { IrVersion = 8, Graph = graph, OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 15 } } }.ToByteArray(), "residual");

        AssertLrpIsGradientTimesInput(model, In, random);
    }

    /// <summary>
    /// The forms other exporters write: the weight on the left of a MatMul, a clipped rectifier (ReLU6), zero
    /// padding and a mean over an axis. Without biases and below the clip, LRP-ε is again gradient × input.
    /// </summary>
    [Test]
    public void Lrp_epsilon_through_left_weights_relu6_padding_and_a_mean_is_gradient_times_input()
    {
        const int Columns = 2, Padded = Hidden1 + 3;
        var random = new Random(9);
        var graph = new GraphProto { Name = "forms" };
        graph.Node.Add(new NodeProto { OpType = "MatMul", Name = "left", Input = { "w1", "x" }, Output = { "h" } });
        graph.Node.Add(new NodeProto { OpType = "Clip", Name = "relu6", Input = { "h", "low", "high" }, Output = { "a" } });
        graph.Node.Add(new NodeProto { OpType = "Pad", Name = "pad", Input = { "a", "pads" }, Output = { "p" } });
        graph.Node.Add(new NodeProto { OpType = "MatMul", Name = "out", Input = { "w2", "p" }, Output = { "o" } });
        graph.Node.Add(new NodeProto { OpType = "ReduceMean", Name = "mean", Input = { "o" }, Output = { "y" }, Attribute = { new AttributeProto { Name = "axes", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 1 } }, new AttributeProto { Name = "keepdims", Type = AttributeProto.Types.AttributeType.Int, I = 0 } } });
        graph.Initializer.Add(Weights("w1", Hidden1, In, Random(Hidden1 * In, random).Select(v => 0.3f * v).ToArray()));
        graph.Initializer.Add(Weights("w2", Out, Padded, Random(Out * Padded, random)));
        graph.Initializer.Add(new TensorProto { Name = "low", DataType = 1, FloatData = { 0f } });
        graph.Initializer.Add(new TensorProto { Name = "high", DataType = 1, FloatData = { 6f } });
        graph.Initializer.Add(new TensorProto { Name = "pads", DataType = (int)TensorProto.Types.DataType.Int64, Dims = { 4 }, Int64Data = { 1, 0, 2, 0 } });
        graph.Input.Add(new ValueInfoProto { Name = "x", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimValue = In }, new TensorShapeProto.Types.Dimension { DimValue = Columns } } } } } });
        graph.Output.Add(new ValueInfoProto { Name = "y", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimValue = Out } } } } } });
        var model = OnnxModel.FromBytes(new ModelProto { IrVersion = 8, Graph = graph, OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 13 } } }.ToByteArray(), "forms");
        AssertLrpIsGradientTimesInput(model, In * Columns, random);
    }

    /// <summary>LRP-ε with a vanishing ε against x ⊙ ∂(s·y)/∂x from the gradient pass, and conservation, over 20 inputs.</summary>
    private static void AssertLrpIsGradientTimesInput(OnnxModel model, int inputSize, Random random) =>
        AssertLrpIsGradientTimesInput(model, Out, 20, 1e-7f, () => Random(inputSize, random));

    /// <summary>
    /// On a network that is linear in its input where it is active and has no biases, LRP with a vanishing ε is
    /// gradient × input and hands the whole score back: checked over <paramref name="trials"/> inputs, each explaining
    /// another output of <paramref name="outputs"/>.
    /// </summary>
    internal static void AssertLrpIsGradientTimesInput(OnnxModel model, int outputs, int trials, float epsilon, Func<float[]> input, string what = "")
    {
        var lrp = GradientGraph.Derive(model, "y", ["x"], backward: BackwardPass.Lrp(LrpComposite.Epsilon(epsilon, stabiliser: epsilon)));
        var gradient = GradientGraph.Derive(model, "y", ["x"]);
        var options = InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 1 };
        using var lrpSession = ModelSession.Open(lrp.Model, options);
        using var gradientSession = ModelSession.Open(gradient.Model, options);
        using var lrpRun = lrpSession.CreateRun();
        using var gradientRun = gradientSession.CreateRun();
        for (int trial = 0; trial < trials; trial++)
        {
            float[] x = input(), seed = new float[outputs];
            seed[trial % outputs] = 1f;
            foreach (var (run, graphOf) in new[] { (lrpRun, lrp), (gradientRun, gradient) })
            {
                x.CopyTo(run.Input<float>("x"));
                seed.CopyTo(run.Input<float>(graphOf.SeedInput));
                run.Execute();
            }
            var relevance = lrpRun.Output<float>(lrp.GradientOutputs["x"]).ToArray();
            var gradientTimesInput = gradientRun.Output<float>(gradient.GradientOutputs["x"]).ToArray().Select((g, i) => g * x[i]).ToArray();
            float score = gradientRun.Output<float>("y")[trial % outputs];
            Assert.That(relevance, Is.EqualTo(gradientTimesInput).Within(1e-4f), $"{what}trial {trial}");
            Assert.That(relevance.Sum(), Is.EqualTo(score).Within(1e-4f * Math.Max(1f, MathF.Abs(score))), $"{what}trial {trial}: conservation");
        }
    }

    [Test]
    public void Lrp_names_an_op_it_has_no_rule_for_instead_of_falling_back_to_its_gradient()
    {
        var (model, _, _, _) = Network();
        var proto = Onnx.Protos.ModelProto.Parser.ParseFrom(model.ToBytes());
        proto.Graph.Node[1].OpType = "LogSoftmax";
        var logSoftmax = OnnxModel.FromBytes(proto.ToByteArray(), "mlp-log-softmax");
        Assert.That(BackwardPass.Gradient.HasRule("LogSoftmax"), Is.True);
        var error = Assert.Throws<OnnxModelException>(() => GradientGraph.Derive(logSoftmax, "y", ["x"], backward: BackwardPass.Lrp(LrpComposite.EpsilonPlusFlat())));
        Assert.That(error!.Message, Does.StartWith("No lrp-epsilon-plus-flat rule for LogSoftmax on the path from 'x' to 'y' (nodes 'relu1')"));
    }

    [Test]
    public void A_modified_pass_differentiates_exactly_the_ops_the_gradient_does()
    {
        Assert.That(BackwardPass.GuidedBackprop.HasRule("Relu") && BackwardPass.DeconvNet.HasRule("Conv"), Is.True);
        Assert.That(BackwardPass.GuidedBackprop.HasRule("Cos"), Is.False, "an op without a gradient rule has none in a modified pass either");
    }
}
