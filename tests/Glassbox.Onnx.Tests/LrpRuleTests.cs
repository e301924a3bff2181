using Glassbox.Inference;
using Glassbox.Onnx;
using Glassbox.Onnx.Gradients;
using Glassbox.Onnx.Protos;
using Google.Protobuf;

namespace Glassbox.Tests;

/// <summary>
/// Each LRP rule on one dense layer z = x·Wᵀ + b (a Gemm with transB, inputs and weights of both signs, a bias),
/// against its definition written out as sums over units (Montavon et al. 2019; Zennit's rules term for term).
/// The explained score is the sum of the outputs, so every unit's relevance R_j = z_j flows back.
/// </summary>
public class LrpRuleTests
{
    private const int In = 5, Out = 4;
    private const float Stabiliser = 1e-6f;

    private static (OnnxModel Model, float[] W, float[] B) DenseLayer(int seed)
    {
        var random = new Random(seed);
        float[] w = [.. Enumerable.Range(0, Out * In).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        float[] b = [.. Enumerable.Range(0, Out).Select(_ => (float)(random.NextDouble() - 0.5) * 0.4f)];
        var graph = new GraphProto { Name = "dense" };
        graph.Node.Add(new NodeProto
        {
            OpType = "Gemm", Name = "fc", Input = { "x", "w", "b" }, Output = { "y" },
            Attribute = { new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 } },
        });
        graph.Initializer.Add(new TensorProto { Name = "w", DataType = 1, Dims = { Out, In }, FloatData = { w } });
        graph.Initializer.Add(new TensorProto { Name = "b", DataType = 1, Dims = { Out }, FloatData = { b } });
        graph.Input.Add(Info("x", In));
        graph.Output.Add(Info("y", Out));
        var proto = new ModelProto { IrVersion = 8, Graph = graph, OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 13 } } };
        return (OnnxModel.FromBytes(proto.ToByteArray(), "dense"), w, b);
    }

    private static ValueInfoProto Info(string name, int width) => new()
    {
        Name = name,
        Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimValue = 1 }, new TensorShapeProto.Types.Dimension { DimValue = width } } } } },
    };

    private static double Stab(double z) => z + (z >= 0 ? Stabiliser : -Stabiliser);

    private static double Pos(double v) => Math.Max(v, 0);

    private static double Neg(double v) => Math.Min(v, 0);

    /// <summary>
    /// The relevance at x by a rule's definition: R_i = Σ_j c_ij(R_j), where the contribution c_ij and the
    /// denominator come from the rule's modified inputs and weights.
    /// </summary>
    private static double[] Reference(LrpRule rule, float[] x, float[] w, float[] b, double[] relevance)
    {
        double W(int j, int i) => w[j * In + i];
        var result = new double[In];
        for (int j = 0; j < Out; j++)
        {
            double z = b[j];
            for (int i = 0; i < In; i++)
                z += x[i] * W(j, i);
            double r = relevance[j];
            switch (rule.Kind)
            {
                case LrpRuleKind.Epsilon:
                    for (int i = 0; i < In; i++)
                        result[i] += x[i] * W(j, i) * r / (z + (z >= 0 ? rule.Stabiliser : -rule.Stabiliser));
                    break;
                case LrpRuleKind.ZPlus:
                case LrpRuleKind.AlphaBeta:
                {
                    double zp = Pos(b[j]), zn = Neg(b[j]);
                    for (int i = 0; i < In; i++)
                    {
                        zp += Pos(x[i]) * Pos(W(j, i)) + Neg(x[i]) * Neg(W(j, i));
                        zn += Pos(x[i]) * Neg(W(j, i)) + Neg(x[i]) * Pos(W(j, i));
                    }
                    double alpha = rule.Kind == LrpRuleKind.ZPlus ? 1 : rule.Alpha, beta = rule.Kind == LrpRuleKind.ZPlus ? 0 : rule.Beta;
                    for (int i = 0; i < In; i++)
                    {
                        result[i] += alpha * (Pos(x[i]) * Pos(W(j, i)) + Neg(x[i]) * Neg(W(j, i))) * r / Stab(zp);
                        if (beta != 0)
                            result[i] -= beta * (Pos(x[i]) * Neg(W(j, i)) + Neg(x[i]) * Pos(W(j, i))) * r / Stab(zn);
                    }
                    break;
                }
                case LrpRuleKind.Gamma:
                {
                    double g = rule.GammaFactor;
                    double Up(double v) => v + g * Pos(v);
                    double Down(double v) => v + g * Neg(v);
                    // Where z > 0: x⁺ with W + γW⁺ (bias b + γb⁺) and x⁻ with W + γW⁻; where z < 0 the other way round.
                    double up = Up(b[j]), down = Down(b[j]);
                    for (int i = 0; i < In; i++)
                    {
                        up += Pos(x[i]) * Up(W(j, i)) + Neg(x[i]) * Down(W(j, i));
                        down += Pos(x[i]) * Down(W(j, i)) + Neg(x[i]) * Up(W(j, i));
                    }
                    for (int i = 0; i < In; i++)
                    {
                        if (z > 0)
                            result[i] += (Pos(x[i]) * Up(W(j, i)) + Neg(x[i]) * Down(W(j, i))) * r / Stab(up);
                        else if (z < 0)
                            result[i] += (Pos(x[i]) * Down(W(j, i)) + Neg(x[i]) * Up(W(j, i))) * r / Stab(down);
                    }
                    break;
                }
                case LrpRuleKind.Flat:
                    for (int i = 0; i < In; i++)
                        result[i] += r / Stab(In);
                    break;
                case LrpRuleKind.WSquare:
                {
                    double sum = b[j] * b[j];
                    for (int i = 0; i < In; i++)
                        sum += W(j, i) * W(j, i);
                    for (int i = 0; i < In; i++)
                        result[i] += W(j, i) * W(j, i) * r / Stab(sum);
                    break;
                }
                case LrpRuleKind.ZBox:
                {
                    double low = rule.Low[0], high = rule.High[0];
                    double zb = z - Pos(b[j]) - Neg(b[j]);
                    for (int i = 0; i < In; i++)
                        zb -= low * Pos(W(j, i)) + high * Neg(W(j, i));
                    for (int i = 0; i < In; i++)
                        result[i] += (x[i] * W(j, i) - low * Pos(W(j, i)) - high * Neg(W(j, i))) * r / Stab(zb);
                    break;
                }
                default:
                    throw new ArgumentOutOfRangeException(nameof(rule), rule, "no reference");
            }
        }
        return result;
    }

    private static IEnumerable<TestCaseData> Rules() =>
        new[]
        {
            LrpRule.Epsilon(), LrpRule.Epsilon(0.25f), LrpRule.ZPlus(), LrpRule.AlphaBeta(2f, 1f), LrpRule.AlphaBeta(1f, 0f), LrpRule.Gamma(0.25f),
            LrpRule.Gamma(1f), LrpRule.Flat(), LrpRule.WSquare(), LrpRule.ZBox([-1f], [1f]),
        }.Select(rule => new TestCaseData(rule).SetArgDisplayNames(rule.ToString()));

    private static IEnumerable<TestCaseData> ConservingRules() =>
        Rules().Where(c => c.Arguments[0] is LrpRule { Kind: not LrpRuleKind.Epsilon } or LrpRule { Stabiliser: < 1e-3f });

    [TestCaseSource(nameof(Rules))]
    public void A_dense_layer_hands_back_relevance_as_the_rule_defines(LrpRule rule)
    {
        var (model, w, b) = DenseLayer(21);
        var graph = GradientGraph.Derive(model, "y", ["x"], backward: BackwardPass.Lrp(LrpComposite.Epsilon().Override("Gemm", rule)));
        using var session = ModelSession.Open(graph.Model, InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 1 });
        using var run = session.CreateRun();
        var random = new Random(4);
        for (int trial = 0; trial < 20; trial++)
        {
            float[] x = [.. Enumerable.Range(0, In).Select(_ => (float)(random.NextDouble() * 2 - 1))];
            x.CopyTo(run.Input<float>("x"));
            run.Input<float>(graph.SeedInput).Fill(1f);
            run.Execute();
            var outputs = run.Output<float>("y").ToArray().Select(v => (double)v).ToArray();
            var expected = Reference(rule, x, w, b, outputs);
            var actual = run.Output<float>(graph.GradientOutputs["x"]).ToArray();
            double scale = Math.Max(1e-3, expected.Max(Math.Abs));
            for (int i = 0; i < In; i++)
                Assert.That(actual[i], Is.EqualTo(expected[i]).Within(1e-5 * scale), $"{rule}, trial {trial}, input {i}");
        }
    }

    /// <summary>
    /// Without a bias, fed by a ReLU (inputs ≥ 0) and explaining the units that fired (as relevance reaches a layer in
    /// a ReLU network), every rule hands on exactly the relevance it gets: each denominator sums the very terms the
    /// relevance is shared by. (ε = 0.25 absorbs by design; z⁺ loses a unit's share where no contribution is positive,
    /// which a unit that fired always has.)
    /// </summary>
    [TestCaseSource(nameof(ConservingRules))]
    public void A_layer_without_bias_after_a_relu_conserves_the_relevance_of_the_units_that_fired(LrpRule rule)
    {
        var (model, _, _) = DenseLayer(5);
        var proto = ModelProto.Parser.ParseFrom(model.ToBytes());
        var bias = proto.Graph.Initializer.First(t => t.Name == "b");
        bias.FloatData.Clear();
        bias.FloatData.Add(new float[Out]);
        var unbiased = OnnxModel.FromBytes(proto.ToByteArray(), "dense-unbiased");
        var box = rule.Kind == LrpRuleKind.ZBox ? LrpRule.ZBox([0f], [1f]) : rule;
        var graph = GradientGraph.Derive(unbiased, "y", ["x"], backward: BackwardPass.Lrp(LrpComposite.Epsilon(1e-7f).Override("Gemm", box)));
        using var session = ModelSession.Open(graph.Model, InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 1 });
        using var run = session.CreateRun();
        var random = new Random(8);
        for (int trial = 0; trial < 10; trial++)
        {
            float[] x = [.. Enumerable.Range(0, In).Select(_ => (float)random.NextDouble())];
            x.CopyTo(run.Input<float>("x"));
            run.Input<float>(graph.SeedInput).Clear();
            run.Execute();
            var fired = run.Output<float>("y").ToArray().Select(v => v > 0 ? 1f : 0f).ToArray();
            fired.CopyTo(run.Input<float>(graph.SeedInput));
            run.Execute();
            double total = run.Output<float>("y").ToArray().Where(v => v > 0).Sum(v => (double)v);
            double handedBack = run.Output<float>(graph.GradientOutputs["x"]).ToArray().Sum(v => (double)v);
            Assert.That(handedBack, Is.EqualTo(total).Within(1e-5 * Math.Max(1, total)), $"{box}, trial {trial}");
        }
    }

    /// <summary>
    /// An elementwise function written out as nodes (SiLU as a·σ(a)) hands its relevance on whole, as an activation
    /// module does in Zennit and elementwise functions do in AttnLRP; the bias added before it stays with its layer
    /// and takes its share out by the Norm rule.
    /// </summary>
    [Test]
    public void A_written_out_silu_passes_relevance_whole_and_the_bias_before_it_keeps_its_share()
    {
        var random = new Random(12);
        var graph = new GraphProto { Name = "silu" };
        graph.Node.Add(new NodeProto { OpType = "MatMul", Name = "fc1", Input = { "x", "w1" }, Output = { "h" } });
        graph.Node.Add(new NodeProto { OpType = "Add", Name = "bias", Input = { "h", "b1" }, Output = { "a" } });
        graph.Node.Add(new NodeProto { OpType = "Sigmoid", Name = "gate", Input = { "a" }, Output = { "g" } });
        graph.Node.Add(new NodeProto { OpType = "Mul", Name = "silu", Input = { "a", "g" }, Output = { "s" } });
        graph.Node.Add(new NodeProto { OpType = "MatMul", Name = "fc2", Input = { "s", "w2" }, Output = { "y" } });
        float[] w1 = [.. Enumerable.Range(0, In * Out).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        float[] b1 = [.. Enumerable.Range(0, Out).Select(_ => (float)random.NextDouble() - 0.5f)];
        graph.Initializer.Add(new TensorProto { Name = "w1", DataType = 1, Dims = { In, Out }, FloatData = { w1 } });
        graph.Initializer.Add(new TensorProto { Name = "b1", DataType = 1, Dims = { Out }, FloatData = { b1 } });
        graph.Initializer.Add(new TensorProto { Name = "w2", DataType = 1, Dims = { Out, 2 }, FloatData = { Enumerable.Range(0, Out * 2).Select(_ => (float)(random.NextDouble() * 2 - 1)) } });
        graph.Input.Add(Info("x", In));
        graph.Output.Add(Info("y", 2));
        var model = OnnxModel.FromBytes(new ModelProto { IrVersion = 8, Graph = graph, OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 13 } } }.ToByteArray(), "silu");

        var lrp = GradientGraph.Derive(model, "y", ["h", "a", "s"], backward: BackwardPass.Lrp(LrpComposite.EpsilonPlusFlat()));
        using var session = ModelSession.Open(lrp.Model, InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 1 });
        using var run = session.CreateRun();
        for (int trial = 0; trial < 10; trial++)
        {
            float[] x = [.. Enumerable.Range(0, In).Select(_ => (float)(random.NextDouble() * 2 - 1))];
            x.CopyTo(run.Input<float>("x"));
            run.Input<float>(lrp.SeedInput).Fill(1f);
            run.Execute();
            var atS = run.Output<float>(lrp.GradientOutputs["s"]).ToArray();
            var atA = run.Output<float>(lrp.GradientOutputs["a"]).ToArray();
            var atH = run.Output<float>(lrp.GradientOutputs["h"]).ToArray();
            Assert.That(atA, Is.EqualTo(atS), $"trial {trial}: the function passes relevance whole");
            // h = x·W1 without the bias; a = h + b: the Norm rule gives h the share h / a.
            float[] h = new float[Out];
            for (int j = 0; j < Out; j++)
            {
                for (int i = 0; i < In; i++)
                    h[j] += x[i] * w1[i * Out + j];
            }
            for (int j = 0; j < Out; j++)
                Assert.That(atH[j], Is.EqualTo(h[j] * atA[j] / (h[j] + b1[j] + (h[j] + b1[j] >= 0 ? Stabiliser : -Stabiliser))).Within(1e-4f * Math.Max(1f, MathF.Abs(atH[j]))), $"trial {trial}: the bias keeps its share at unit {j}");
        }
    }

    /// <summary>A classifier that ends in a softmax is explained through its logits: the probability passes to its logit whole.</summary>
    [Test]
    public void A_final_softmax_hands_the_explained_probability_to_its_logit()
    {
        var (model, _, _) = DenseLayer(6);
        var proto = ModelProto.Parser.ParseFrom(model.ToBytes());
        var bias = proto.Graph.Initializer.First(t => t.Name == "b");
        bias.FloatData.Clear();
        bias.FloatData.Add(new float[Out]);
        proto.Graph.Node[0].Output[0] = "logits";
        proto.Graph.Node.Add(new NodeProto { OpType = "Softmax", Name = "softmax", Input = { "logits" }, Output = { "y" } });
        var classifier = OnnxModel.FromBytes(proto.ToByteArray(), "softmax-classifier");
        var graph = GradientGraph.Derive(classifier, "y", ["x", "logits"], backward: BackwardPass.Lrp(LrpComposite.Epsilon(1e-7f)));
        using var session = ModelSession.Open(graph.Model, InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 1 });
        using var run = session.CreateRun();
        var random = new Random(3);
        for (int trial = 0; trial < 8; trial++)
        {
            int k = trial % Out;
            float[] x = [.. Enumerable.Range(0, In).Select(_ => (float)(random.NextDouble() * 2 - 1))];
            var seed = new float[Out];
            seed[k] = 1f;
            x.CopyTo(run.Input<float>("x"));
            seed.CopyTo(run.Input<float>(graph.SeedInput));
            run.Execute();
            float probability = run.Output<float>("y")[k];
            var atLogits = run.Output<float>(graph.GradientOutputs["logits"]).ToArray();
            Assert.That(atLogits, Is.EqualTo(seed.Select(v => v * probability).ToArray()).Within(1e-7f), $"trial {trial}");
            Assert.That(run.Output<float>(graph.GradientOutputs["x"]).ToArray().Sum(), Is.EqualTo(probability).Within(1e-5f), $"trial {trial}: conserved below");
        }
    }

    /// <summary>
    /// An upsampling (a segmentation head's Resize) is linear without weights: it shares relevance by the Norm rule,
    /// so with a vanishing stabiliser and no biases the relevance at the input is gradient × input, summing to the score.
    /// </summary>
    [TestCase("nearest")]
    [TestCase("linear")]
    public void An_upsampling_shares_relevance_as_a_linear_map_does(string mode)
    {
        var random = new Random(31);
        var graph = new GraphProto { Name = "upsampling" };
        graph.Node.Add(new NodeProto { OpType = "Resize", Name = "up", Input = { "x", "", "scales" }, Output = { "u" }, Attribute = { new AttributeProto { Name = "mode", Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(mode) } } });
        graph.Node.Add(new NodeProto { OpType = "Flatten", Name = "flat", Input = { "u" }, Output = { "f" } });
        graph.Node.Add(new NodeProto { OpType = "MatMul", Name = "fc", Input = { "f", "w" }, Output = { "y" } });
        graph.Initializer.Add(new TensorProto { Name = "scales", DataType = 1, Dims = { 4 }, FloatData = { 1f, 1f, 2f, 2f } });
        graph.Initializer.Add(new TensorProto { Name = "w", DataType = 1, Dims = { 2 * 6 * 6, Out }, FloatData = { Enumerable.Range(0, 72 * Out).Select(_ => (float)(random.NextDouble() * 2 - 1)) } });
        var dims = new[] { 1, 2, 3, 3 }.Select(d => new TensorShapeProto.Types.Dimension { DimValue = d });
        graph.Input.Add(new ValueInfoProto { Name = "x", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = new TensorShapeProto { Dim = { dims } } } } });
        graph.Output.Add(Info("y", Out));
        var model = OnnxModel.FromBytes(new ModelProto { IrVersion = 8, Graph = graph, OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 13 } } }.ToByteArray(), "upsampling");

        BackwardPassTests.AssertLrpIsGradientTimesInput(model, Out, trials: 6, epsilon: 1e-9f,
            () => [.. Enumerable.Range(0, 18).Select(_ => (float)random.NextDouble() + 0.1f)], $"{mode}, ");
    }

    [Test]
    public void Canonisation_works_on_a_copy_the_prediction_stays_the_models_own_to_the_bit()
    {
        var model = OnnxModel.Load(RepoPaths.Fixture("gradients", "resnet-block", "model.onnx"));
        byte[] before = model.ToBytes();
        var graph = GradientGraph.Derive(model, "logits", ["input"], backward: BackwardPass.Lrp(LrpComposite.EpsilonPlusFlat()));
        Assert.That(model.ToBytes(), Is.EqualTo(before), "the user's model is untouched");
        Assert.That(graph.Model.Nodes.Count(n => n.OpType == "BatchNormalization"), Is.EqualTo(2), "the forward pass keeps its normalisations");

        var input = FloatFixture.Read(RepoPaths.Fixture("gradients", "resnet-block"), "input.bin", [2, 8, 8, 8]);
        var options = InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 1 };
        using var plain = ModelSession.Open(model, options);
        using var lrp = ModelSession.Open(graph.Model, options);
        using var plainRun = plain.CreateRun(dimensions: new Dictionary<string, long> { ["batch"] = 2 });
        using var lrpRun = lrp.CreateRun(dimensions: new Dictionary<string, long> { ["batch"] = 2 });
        input.Values.CopyTo(plainRun.Input<float>("input"));
        input.Values.CopyTo(lrpRun.Input<float>("input"));
        lrpRun.Input<float>(graph.SeedInput).Clear();
        plainRun.Execute();
        lrpRun.Execute();
        Assert.That(lrpRun.Output<float>("logits").ToArray(), Is.EqualTo(plainRun.Output<float>("logits").ToArray()));
    }

    [Test]
    public void Rules_and_composites_parse_by_name_and_refuse_what_they_cannot_be()
    {
        Assert.That(LrpRule.Parse("epsilon=0.25"), Is.EqualTo(LrpRule.Epsilon(0.25f)));
        Assert.That(LrpRule.Parse("alpha1-beta0"), Is.EqualTo(LrpRule.ZPlus()));
        Assert.That(LrpRule.Parse("gamma"), Is.EqualTo(LrpRule.Gamma(0.25f)));
        Assert.That(LrpRule.Parse("w-square"), Is.EqualTo(LrpRule.WSquare()));
        Assert.That(() => LrpRule.Parse("beta"), Throws.ArgumentException.With.Message.Contains("Rules: epsilon"));
        Assert.That(() => LrpRule.AlphaBeta(3f, 1f), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("α − β = 1"));
        Assert.That(() => LrpRule.ZBox([0f, 0f], [1f]), Throws.ArgumentException);
        Assert.That(() => LrpComposite.Named("epsilon-minus"), Throws.ArgumentException.With.Message.Contains("epsilon-plus-flat"));
        Assert.That(LrpComposite.Named("epsilon-plus-flat"), Is.EqualTo(LrpComposite.EpsilonPlusFlat()));
        Assert.That(LrpComposite.EpsilonPlus().Override("conv1", LrpRule.Flat()), Is.Not.EqualTo(LrpComposite.EpsilonPlus()));
        Assert.That(BackwardPass.Lrp(LrpComposite.EpsilonPlus()), Is.SameAs(BackwardPass.Lrp(LrpComposite.EpsilonPlus())));
        Assert.That(BackwardPass.Lrp(LrpComposite.EpsilonPlus(0.25f)).Key, Is.Not.EqualTo(BackwardPass.Lrp(LrpComposite.EpsilonPlus()).Key));
    }

    [Test]
    public void A_rule_that_needs_weights_on_a_layer_without_them_is_refused_by_name()
    {
        var model = OnnxModel.Load(RepoPaths.Fixture("gradients", "pooling-cnn", "model.onnx"));
        var error = Assert.Throws<OnnxModelException>(() => GradientGraph.Derive(model, "logits", ["input"],
            backward: BackwardPass.Lrp(LrpComposite.EpsilonPlus().Override("AveragePool", LrpRule.ZPlus()))));
        Assert.That(error!.Message, Does.Contain("AveragePool node 'avgpool.AveragePool'").And.Contain("needs a layer with weights"));
    }
}
