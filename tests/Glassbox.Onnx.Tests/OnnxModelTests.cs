using Glassbox.Onnx;

namespace Glassbox.Tests;

public class OnnxModelTests
{
    private static string TinyCnn => RepoPaths.Fixture("tiny-cnn", "model.onnx");

    [Test]
    public void Reads_inputs_outputs_nodes_and_opsets()
    {
        var model = OnnxModel.Load(TinyCnn);

        Assert.That(model.Inputs.Select(i => i.ToString()), Is.EqualTo(new[] { "input: float32[1×1×8×8]" }));
        Assert.That(model.Outputs.Select(o => o.ToString()), Is.EqualTo(new[] { "logits: float32[1×3]" }));
        Assert.That(model.Opsets["ai.onnx"], Is.EqualTo(13));
        Assert.That(model.Producer, Does.StartWith("pytorch"));
        Assert.That(model.Nodes.Select(n => n.OpType), Is.EqualTo(new[] { "Conv", "Relu", "Conv", "Relu", "GlobalAveragePool", "Flatten", "Gemm" }));
        Assert.That(model.ProducerOf("/relu1/Relu_output_0")!.OpType, Is.EqualTo("Relu"));
        Assert.That(model.ProducerOf("input"), Is.Null);
        Assert.That(model.Initializers.Select(i => i.ToString()), Does.Contain("conv1.weight: float32[4×1×3×3]").And.Contain("fc.bias: float32[3]"));
    }

    [Test]
    public void Extra_outputs_are_added_to_a_copy_and_survive_a_round_trip()
    {
        var model = OnnxModel.Load(TinyCnn);
        var tapped = model.WithExtraOutputs(["/relu1/Relu_output_0", "logits"]);

        Assert.That(model.Outputs.Select(o => o.Name), Is.EqualTo(new[] { "logits" }), "the original is unchanged");
        Assert.That(tapped.Outputs.Select(o => o.Name), Is.EqualTo(new[] { "logits", "/relu1/Relu_output_0" }), "an existing output is kept once");
        var reread = OnnxModel.FromBytes(tapped.ToBytes());
        Assert.That(reread.Outputs.Select(o => o.Name), Is.EqualTo(tapped.Outputs.Select(o => o.Name)));
        Assert.That(reread.Nodes, Has.Length.EqualTo(model.Nodes.Length));
    }

    [Test]
    public void Missing_file_says_so()
    {
        var error = Assert.Throws<OnnxModelException>(() => OnnxModel.Load("/nonexistent/model.onnx"));
        Assert.That(error!.Message, Is.EqualTo("Model file '/nonexistent/model.onnx' does not exist. Check the path; a model package is a folder holding model.onnx."));
    }

    [Test]
    public void Empty_truncated_and_foreign_files_are_named_as_such()
    {
        string dir = Directory.CreateTempSubdirectory("glassbox-onnx").FullName;
        try
        {
            string empty = Path.Combine(dir, "empty.onnx");
            File.WriteAllBytes(empty, []);
            Assert.That(Assert.Throws<OnnxModelException>(() => OnnxModel.Load(empty))!.Message, Does.Contain("is empty (0 bytes)"));

            string truncated = Path.Combine(dir, "truncated.onnx");
            var bytes = File.ReadAllBytes(TinyCnn);
            File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
            Assert.That(Assert.Throws<OnnxModelException>(() => OnnxModel.Load(truncated))!.Message,
                Does.Contain("truncated.onnx").And.Contain("not").And.Contain("ONNX"));

            string png = Path.Combine(dir, "picture.onnx");
            File.WriteAllBytes(png, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]);
            Assert.That(Assert.Throws<OnnxModelException>(() => OnnxModel.Load(png))!.Message, Does.Contain("not").And.Contain("ONNX"));

            string text = Path.Combine(dir, "notes.onnx");
            File.WriteAllText(text, "hello");
            Assert.That(Assert.Throws<OnnxModelException>(() => OnnxModel.Load(text))!.Message, Does.Contain("notes.onnx"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
