using Glassbox.Inference;
using Glassbox.Onnx;
using Glassbox.Onnx.Protos;
using Google.Protobuf;

namespace Glassbox.Tests;

/// <summary>Model files are untrusted: external data stays in the model's folder, and no custom-op library loads by itself.</summary>
public class UntrustedModelTests
{
    private static readonly InferenceOptions Cpu = InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 1 };
    private static readonly float[] Weights = [1f, 2f, 3f, 4f, 5f, 6f];
    private string _folder = null!;

    [SetUp]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("glassbox-model-").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_folder, recursive: true);

    /// <summary>logits = x · Wᵀ with W [2, 3] stored as external data at <paramref name="location"/>.</summary>
    private string WriteModel(string location, long offset = 0, long? length = null, string domain = "")
    {
        var graph = new GraphProto { Name = "external" };
        graph.Input.Add(Info("input", 1, 3));
        graph.Output.Add(Info("logits", 1, 2));
        var w = new TensorProto { Name = "W", DataType = (int)TensorProto.Types.DataType.Float, Dims = { 2, 3 }, DataLocation = TensorProto.Types.DataLocation.External };
        w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        w.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        if (length is { } l)
            w.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = l.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        graph.Initializer.Add(w);
        graph.Node.Add(new NodeProto { OpType = "Gemm", Domain = domain, Name = "fc", Input = { "input", "W" }, Output = { "logits" }, Attribute = { new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 } } });
        var model = new ModelProto { IrVersion = 8, Graph = graph, OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 17 } } };
        if (domain.Length > 0)
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = 1 });
        string path = Path.Combine(_folder, "model.onnx");
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    private static ValueInfoProto Info(string name, params long[] dims) => new()
    {
        Name = name,
        Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = new TensorShapeProto { Dim = { dims.Select(d => new TensorShapeProto.Types.Dimension { DimValue = d }) } } } },
    };

    private void WriteWeights(string file, int padding = 0)
    {
        var bytes = new byte[padding + Weights.Length * 4];
        Buffer.BlockCopy(Weights, 0, bytes, padding, Weights.Length * 4);
        File.WriteAllBytes(Path.Combine(_folder, file), bytes);
    }

    [Test]
    public void External_data_beside_the_model_is_read_in_and_runs()
    {
        WriteWeights("weights.bin", padding: 16);
        var model = OnnxModel.Load(WriteModel("weights.bin", offset: 16, length: 24));
        Assert.That(model.HasExternalData, Is.False, "read into the model");
        using var session = ModelSession.Open(model, Cpu);
        using var run = session.CreateRun();
        float[] x = [1f, 0.5f, -1f];
        x.CopyTo(run.Input<float>("input"));
        run.Execute();
        Assert.That(run.Output<float>("logits").ToArray(), Is.EqualTo(new[] { 1f + 1f - 3f, 4f + 2.5f - 6f }));
    }

    [TestCase("../outside.bin")]
    [TestCase("sub/../../outside.bin")]
    [TestCase("/etc/hostname")]
    public void External_data_outside_the_models_folder_is_refused(string location)
    {
        string path = WriteModel(location);
        var e = Assert.Throws<OnnxModelException>(() => OnnxModel.Load(path))!;
        Assert.That(e.Message, Is.EqualTo($"Model '{path}': initializer 'W' points at external data '{location}', outside the model's folder. " +
                                          "External data must be a file beside the model (a relative path without '..'); a model that reaches elsewhere is refused."));
    }

    [Test]
    public void A_link_beside_the_model_that_points_elsewhere_is_refused()
    {
        string outside = Path.Combine(Path.GetTempPath(), $"glassbox-outside-{Environment.ProcessId}.bin");
        File.WriteAllBytes(outside, new byte[24]);
        try
        {
            File.CreateSymbolicLink(Path.Combine(_folder, "weights.bin"), outside);
            string path = WriteModel("weights.bin");
            Assert.That(Assert.Throws<OnnxModelException>(() => OnnxModel.Load(path))!.Message, Does.Contain("outside the model's folder"));
        }
        finally
        {
            File.Delete(outside);
        }
    }

    [Test]
    public void External_data_shorter_than_the_model_says_is_refused_before_reading()
    {
        WriteWeights("weights.bin");
        string path = WriteModel("weights.bin", offset: 8, length: 24);
        Assert.That(Assert.Throws<OnnxModelException>(() => OnnxModel.Load(path))!.Message,
            Is.EqualTo($"Model '{path}': initializer 'W' asks for bytes 8 to 32 of 'weights.bin', which has 24. The file is truncated or not the model's."));
    }

    [Test]
    public void A_model_from_bytes_with_external_data_is_not_handed_to_onnx_runtime()
    {
        WriteWeights("weights.bin");
        var model = OnnxModel.FromBytes(File.ReadAllBytes(WriteModel("weights.bin")), "from-bytes");
        var e = Assert.Throws<OnnxModelException>(() => ModelSession.Open(model, Cpu))!;
        Assert.That(e.Message, Does.StartWith("Model 'from-bytes' keeps weights in external data that was not read; load it from its file"));
    }

    [Test]
    public void Custom_operators_need_a_library_the_caller_lists()
    {
        WriteWeights("weights.bin");
        var model = OnnxModel.Load(WriteModel("weights.bin", domain: "com.example.evil"));
        var e = Assert.Throws<OnnxModelException>(() => ModelSession.Open(model, Cpu))!;
        Assert.That(e.Message, Does.StartWith("Model '").And.Contain("uses custom operators (Gemm from 'com.example.evil'). Glassbox loads no custom-op library unless you list it in InferenceOptions.CustomOpLibraries"));
        var missing = Assert.Throws<GlassboxException>(() => ModelSession.Open(model, Cpu with { CustomOpLibraries = ["/nonexistent/libops.so"] }))!;
        Assert.That(missing.Message, Does.StartWith("Custom-op library '/nonexistent/libops.so' does not exist."));
    }
}

public class BadModelMatrixTests
{
    private static readonly InferenceOptions Cpu = InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 1 };

    private static OnnxModel Identity(long opset, params long[] dims)
    {
        var shape = new TensorShapeProto { Dim = { dims.Select(d => d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "n" } : new TensorShapeProto.Types.Dimension { DimValue = d }) } };
        var type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } };
        var graph = new GraphProto { Name = "identity", Input = { new ValueInfoProto { Name = "x", Type = type } }, Output = { new ValueInfoProto { Name = "y", Type = type.Clone() } } };
        graph.Node.Add(new NodeProto { OpType = "Relu", Name = "relu", Input = { "x" }, Output = { "y" } });
        var model = new ModelProto { IrVersion = 8, Graph = graph, OpsetImport = { new OperatorSetIdProto { Domain = "", Version = opset } } };
        return OnnxModel.FromBytes(model.ToByteArray(), $"opset-{opset}");
    }

    [Test]
    public void An_opset_newer_than_onnx_runtime_knows_is_named_with_what_to_do()
    {
        var e = Assert.Throws<OnnxModelException>(() => ModelSession.Open(Identity(99, 1, 4), Cpu))!;
        Assert.That(e.Message, Does.StartWith("Model 'opset-99' uses ONNX opset 99, newer than this ONNX Runtime (")
            .And.Contain(") supports: up to opset ").And.Contain("Export it again with an older opset (for PyTorch, torch.onnx.export(..., opset_version="));
    }

    [Test]
    public void A_dynamic_dimension_needs_its_size_and_the_message_names_it()
    {
        using var session = ModelSession.Open(Identity(17, -1, 4), Cpu);
        var e = Assert.Throws<GlassboxException>(() => session.CreateRun())!;
        Assert.That(e.Message, Is.EqualTo("Input 'x' has shape n×4 with a dimension of unknown size. Give its size when creating the run, e.g. dimensions: {\"n\": 1}."));
    }
}
