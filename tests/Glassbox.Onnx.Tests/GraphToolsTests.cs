using Glassbox.Inference;
using Glassbox.Onnx;
using Glassbox.Onnx.Gradients;
using Glassbox.Onnx.Protos;
using Google.Protobuf;

namespace Glassbox.Tests;

public class GraphToolsTests
{
    [Test]
    public void Layer_listing_gives_shapes_with_the_symbolic_batch()
    {
        var model = OnnxModel.Load(Path.Combine(RepoPaths.Root, "models", "mnist-cnn", "model.onnx"));
        var layers = model.Layers();
        TestContext.Out.WriteLine(model.DescribeLayers());

        Assert.That(layers.Select(l => l.Name), Is.EqualTo(new[] { "conv1", "relu1", "conv2", "relu2", "pool1", "conv3", "relu3", "pool2", "conv4", "relu4", "gap", "flatten", "fc" }));
        Assert.That(layers.Single(l => l.Name == "relu1").Shape!.ToString(), Is.EqualTo("batch×16×28×28"));
        Assert.That(layers.Single(l => l.Name == "pool2").Shape!.ToString(), Is.EqualTo("batch×64×7×7"));
        Assert.That(layers.Single(l => l.Name == "flatten").Shape!.ToString(), Is.EqualTo("batch×64"));
        Assert.That(layers.Single(l => l.Name == "fc").Shape!.ToString(), Is.EqualTo("batch×10"));
        Assert.That(model.LastSpatialLayer()!.Name, Is.EqualTo("relu4"), "the 'auto' target layer is the last spatial map, not the 1×1 pooled one");
    }

    [Test]
    public void Gradients_are_right_for_a_file_whose_nodes_are_out_of_order()
    {
        var model = OnnxModel.Load(RepoPaths.Fixture("gradients", "pooling-cnn", "model.onnx"));
        var shuffled = model.Proto.Clone();
        var reversed = shuffled.Graph.Node.Reverse().ToList();
        shuffled.Graph.Node.Clear();
        shuffled.Graph.Node.AddRange(reversed);
        var outOfOrder = OnnxModel.FromBytes(shuffled.ToByteArray(), "reversed.onnx");

        var expected = Run(GradientGraph.Derive(model, "logits", ["input"]));
        var actual = Run(GradientGraph.Derive(outOfOrder, "logits", ["input"]));

        Assert.That(actual, Is.EqualTo(expected));
    }

    [Test]
    public void A_cyclic_graph_is_refused()
    {
        var model = OnnxModel.Load(RepoPaths.Fixture("gradients", "resnet-block", "model.onnx"));
        var cyclic = model.Proto.Clone();
        // Feed relu1's output back into conv1.
        cyclic.Graph.Node.Single(n => n.Name == "conv1").Input[0] = "relu1";
        var error = Assert.Throws<OnnxModelException>(() => GradientGraph.Derive(OnnxModel.FromBytes(cyclic.ToByteArray(), "cyclic.onnx"), "logits", ["bn1"]));
        Assert.That(error!.Message, Does.Contain("has a cycle"));
    }

    [Test]
    public void Models_older_than_opset_7_are_refused_with_what_to_do()
    {
        var model = OnnxModel.Load(RepoPaths.Fixture("gradients", "resnet-block", "model.onnx"));
        var old = model.Proto.Clone();
        old.OpsetImport[0].Version = 6;
        var error = Assert.Throws<OnnxModelException>(() => GradientGraph.Derive(OnnxModel.FromBytes(old.ToByteArray(), "old.onnx"), "logits", ["input"]));
        Assert.That(error!.Message, Is.EqualTo("Model 'old.onnx' uses opset 6; Glassbox reads opset 7 and newer (older files broadcast differently). Re-export it with a newer exporter."));
    }

    [Test]
    public void The_layer_listing_knows_the_size_an_old_upsample_makes()
    {
        // Opset 9 (as older exporters write it): Upsample with scales as an input; the listing reads the file as it is.
        var graph = new GraphProto { Name = "up" };
        var shape = new TensorShapeProto();
        foreach (var d in new long[] { 1, 2, 3, 5 })
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        graph.Input.Add(new ValueInfoProto { Name = "x", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } });
        graph.Initializer.Add(new TensorProto { Name = "scales", DataType = 1, Dims = { 4 }, FloatData = { 1f, 1f, 2f, 3f } });
        graph.Node.Add(new NodeProto { OpType = "Upsample", Name = "up", Input = { "x", "scales" }, Output = { "y" } });
        graph.Output.Add(new ValueInfoProto { Name = "y" });
        var proto = new ModelProto { IrVersion = 4, Graph = graph, OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 9 } } };
        var model = OnnxModel.FromBytes(proto.ToByteArray(), "up");
        Assert.That(model.Layers().Single().Shape?.ToString(), Is.EqualTo("1×2×6×15"));
    }

    [Test]
    public void The_original_model_is_left_unchanged()
    {
        var model = OnnxModel.Load(Path.Combine(RepoPaths.Root, "models", "mnist-cnn", "model.onnx"));
        var before = model.ToBytes();
        var gradients = GradientGraph.Derive(model, "logits", ["relu4", "input"]);
        Assert.That(model.ToBytes(), Is.EqualTo(before));
        Assert.That(gradients.Model.Outputs.Select(o => o.Name), Is.EqualTo(new[] { "logits", gradients.GradientOutputs["relu4"], gradients.GradientOutputs["input"] }));
        Assert.That(gradients.Model.Outputs[1].Shape.ToString(), Is.EqualTo("batch×64×7×7"));
    }

    private static float[] Run(GradientGraph gradients)
    {
        using var session = ModelSession.Open(gradients.Model, InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 1 });
        using var run = session.CreateRun();
        var input = run.Input<float>("input");
        for (int i = 0; i < input.Length; i++)
            input[i] = MathF.Sin(i * 0.37f);
        run.Input<float>(gradients.SeedInput)[1] = 1f;
        run.Execute();
        return run.Output<float>(gradients.GradientOutputs["input"]).ToArray();
    }
}
