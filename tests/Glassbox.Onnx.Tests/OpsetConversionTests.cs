using Glassbox.Inference;
using Glassbox.Onnx;

namespace Glassbox.Tests;

/// <summary>
/// A model written at another opset for an engine that stops at an older one (or wants a newer one) computes what the
/// original computes, with only the ops that opset has; what has no form there is refused by name.
/// </summary>
public class OpsetConversionTests
{
    private static OnnxModel Shipped(string name) => OnnxModel.Load(Path.Combine(RepoPaths.Root, "models", name, "model.onnx"));

    private static float[] Logits(OnnxModel model, float[] input)
    {
        using var session = ModelSession.Open(model, InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 1 });
        using var run = session.CreateRun(dimensions: new Dictionary<string, long> { ["batch"] = 1 });
        input.CopyTo(run.Input<float>(model.Inputs[0].Name));
        run.Execute();
        return run.Output<float>(model.Outputs[0].Name).ToArray();
    }

    private static float[] Digit()
    {
        var input = new float[28 * 28];
        for (int y = 4; y < 24; y++)
            input[y * 28 + 14 + (y - 14) / 4] = 2.5f;
        for (int x = 8; x < 21; x++)
            input[5 * 28 + x] = 2.5f;
        return input;
    }

    [TestCase("mnist-vit", 15)]
    [TestCase("mnist-vit", 13)]
    [TestCase("mnist-cnn", 15)]
    [TestCase("mnist-cnn", 23)]
    [TestCase("mnist-vit", 23)]
    public void The_model_at_another_opset_gives_the_same_logits(string name, long opset)
    {
        var original = Shipped(name);
        var converted = original.AtOpset(opset);
        Assert.That(converted.Opsets["ai.onnx"], Is.EqualTo(opset));
        if (opset < 17)
            Assert.That(converted.Nodes.Select(n => n.OpType), Does.Not.Contain("LayerNormalization"), "written out with opset-13 ops");
        var expected = Logits(original, Digit());
        var actual = Logits(converted, Digit());
        float scale = expected.Max(MathF.Abs);
        Assert.That(actual, Is.EqualTo(expected).Within(1e-5f * scale));
    }

    [Test]
    public void The_file_declares_the_ir_version_of_its_opset()
    {
        var bytes = Shipped("mnist-vit").AtOpset(15).ToBytes();
        var proto = Glassbox.Onnx.Protos.ModelProto.Parser.ParseFrom(bytes);
        Assert.That(proto.IrVersion, Is.EqualTo(8), "opset 15 shipped with IR version 8");
        Assert.That(proto.OpsetImport.Single(o => o.Domain.Length == 0).Version, Is.EqualTo(15));
    }

    [TestCase(12)]
    [TestCase(24)]
    public void An_opset_outside_the_written_range_is_refused_with_the_range(long opset)
    {
        var error = Assert.Throws<OnnxModelException>(() => Shipped("mnist-cnn").AtOpset(opset));
        Assert.That(error!.Message, Does.Contain($"Opset {opset} is outside what Glassbox writes (13 to 23)"));
    }
}

/// <summary>
/// A graph Glassbox builds is held to the ONNX checker's structural rules before it is handed out: a fault is named,
/// and nothing is written.
/// </summary>
public class GraphCheckTests
{
    private static OnnxGraphBuilder TinyCnn() => OnnxGraphBuilder.From(OnnxModel.Load(RepoPaths.Fixture("tiny-cnn", "model.onnx")), "test/");

    [Test]
    public void A_well_formed_graph_passes()
    {
        var b = TinyCnn();
        b.AddOutput(b.Op("Relu", "logits"), "positive", TensorElementType.Float32, [1, 3]);
        Assert.That(b.ToModel("tiny", "test").Outputs.Select(o => o.Name), Is.EqualTo(new[] { "logits", "positive" }));
    }

    [Test]
    public void An_output_declared_with_the_wrong_size_is_named()
    {
        var b = TinyCnn();
        b.AddOutput(b.Op("Relu", "logits"), "positive", TensorElementType.Float32, [1, 4]);
        var error = Assert.Throws<OnnxModelException>(() => b.ToModel("tiny", "test"));
        Assert.That(error!.Message, Does.Contain("output 'positive' is declared 4 along axis 1 but is 3"));
    }

    [Test]
    public void A_node_that_reads_a_tensor_nothing_makes_is_named()
    {
        var b = TinyCnn();
        b.AddOutput(b.Op("Relu", "nowhere"), "positive", TensorElementType.Float32, [1, 3]);
        var error = Assert.Throws<OnnxModelException>(() => b.ToModel("tiny", "test"));
        Assert.That(error!.Message, Does.Contain("reads 'nowhere' before anything makes it").And.Contain("breaks ONNX's rules"));
    }

    [Test]
    public void An_op_newer_than_the_declared_opset_is_named()
    {
        var b = TinyCnn();
        b.AddOutput(b.Op("Gelu", "logits"), "smooth", TensorElementType.Float32, [1, 3]);
        var error = Assert.Throws<OnnxModelException>(() => b.ToModel("tiny", "test"));
        Assert.That(error!.Message, Does.Contain("is an op of opset 20, but the graph declares 13"));
    }

    [Test]
    public void A_tensor_made_twice_and_a_node_out_of_order_are_named()
    {
        var proto = OnnxModel.Load(RepoPaths.Fixture("tiny-cnn", "model.onnx")).CopyForEditing();
        var first = proto.Graph.Node[0];
        proto.Graph.Node.Add(first.Clone());
        var relu = proto.Graph.Node[1];
        proto.Graph.Node.RemoveAt(1);
        proto.Graph.Node.Insert(0, relu);
        var error = Assert.Throws<OnnxModelException>(() => Glassbox.Onnx.Graph.GraphCheck.Verify(proto, "tiny"));
        Assert.That(error!.Message, Does.Contain($"makes '{first.Output[0]}', which is already made").And.Contain($"reads '{first.Output[0]}' before anything makes it"));
    }
}
