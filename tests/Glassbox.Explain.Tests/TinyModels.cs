using Glassbox.Onnx;
using Glassbox.Onnx.Protos;
using Google.Protobuf;

namespace Glassbox.Tests;

/// <summary>
/// Small models whose explanations are known in closed form. Input "input" [batch, C, H, W],
/// output "logits" [batch, K]; intermediate "features" where a layer is needed.
/// </summary>
internal static class TinyModels
{
    /// <summary>logits = W · flatten(x) + b, W row-major [K, C·H·W].</summary>
    public static OnnxModel Linear(float[] weights, float[] bias, int c, int h, int w)
    {
        int k = bias.Length;
        var graph = new GraphProto { Name = "linear" };
        graph.Input.Add(Info("input", "batch", c, h, w));
        graph.Output.Add(Info("logits", "batch", k));
        graph.Initializer.Add(Floats("W", weights, k, c * h * w));
        graph.Initializer.Add(Floats("b", bias, k));
        graph.Node.Add(Node("Flatten", "flatten", ["input"], ["flat"]));
        graph.Node.Add(Node("Gemm", "fc", ["flat", "W", "b"], ["logits"], Int("transB", 1)));
        return Model(graph);
    }

    /// <summary>features = Relu(x); logits = W · mean_hw(features) + b, W row-major [K, C]: CAM's own structure.</summary>
    public static OnnxModel GapLinear(float[] weights, float[] bias, int c, int h, int w, string activation = "Relu")
    {
        int k = bias.Length;
        var graph = new GraphProto { Name = "gap-linear" };
        graph.Input.Add(Info("input", "batch", c, h, w));
        graph.Output.Add(Info("logits", "batch", k));
        graph.Initializer.Add(Floats("W", weights, k, c));
        graph.Initializer.Add(Floats("b", bias, k));
        graph.Node.Add(Node(activation, "act", ["input"], ["features"]));
        graph.Node.Add(Node("GlobalAveragePool", "gap", ["features"], ["pooled"]));
        graph.Node.Add(Node("Flatten", "flatten", ["pooled"], ["flat"]));
        graph.Node.Add(Node("Gemm", "fc", ["flat", "W", "b"], ["logits"], Int("transB", 1)));
        return Model(graph);
    }

    /// <summary>
    /// A planted detector: "detector" [batch, 1, H−k+1, W−k+1] is the single-channel input convolved with the k×k
    /// <paramref name="filter"/> (no padding, no bias), then ReLU, average pooling and one logit.
    /// </summary>
    public static OnnxModel PlantedDetector(float[] filter, int k, int h, int w)
    {
        var graph = new GraphProto { Name = "planted-detector" };
        graph.Input.Add(Info("input", "batch", 1, h, w));
        graph.Output.Add(Info("logits", "batch", 1));
        graph.Initializer.Add(Floats("filter", filter, 1, 1, k, k));
        graph.Node.Add(Node("Conv", "conv", ["input", "filter"], ["detector"]));
        graph.Node.Add(Node("Relu", "relu", ["detector"], ["active"]));
        graph.Node.Add(Node("GlobalAveragePool", "gap", ["active"], ["pooled"]));
        graph.Node.Add(Node("Flatten", "flatten", ["pooled"], ["logits"]));
        return Model(graph);
    }

    /// <summary>
    /// A segmentation map of free height and width: logits [batch, K, H, W] = a 1×1 convolution of
    /// x [batch, C, H, W] with W row-major [K, C], no bias.
    /// </summary>
    public static OnnxModel PixelwiseLinear(float[] weights, int c, int k)
    {
        var graph = new GraphProto { Name = "pixelwise-linear" };
        graph.Input.Add(Info("input", "batch", c, "height", "width"));
        graph.Output.Add(Info("logits", "batch", k, "height", "width"));
        graph.Initializer.Add(Floats("W", weights, k, c, 1, 1));
        graph.Node.Add(Node("Conv", "classify", ["input", "W"], ["logits"]));
        return Model(graph);
    }

    /// <summary>rows [batch, R, S] = Reshape(W · flatten(x)), W row-major [R·S, C·H·W]: a detection head or a sequence, linear in the input.</summary>
    public static OnnxModel LinearRows(float[] weights, int rows, int columns, int c, int h, int w)
    {
        var graph = new GraphProto { Name = "linear-rows" };
        graph.Input.Add(Info("input", "batch", c, h, w));
        graph.Output.Add(Info("rows", "batch", rows, columns));
        graph.Initializer.Add(Floats("W", weights, rows * columns, c * h * w));
        graph.Initializer.Add(new TensorProto { Name = "shape", DataType = (int)TensorProto.Types.DataType.Int64, Dims = { 3 }, Int64Data = { -1, rows, columns } });
        graph.Node.Add(Node("Flatten", "flatten", ["input"], ["flat"]));
        graph.Node.Add(Node("Gemm", "fc", ["flat", "W"], ["scores"], Int("transB", 1)));
        graph.Node.Add(Node("Reshape", "rows", ["scores", "shape"], ["rows"]));
        return Model(graph);
    }

    /// <summary>CPU reference of <see cref="Linear"/>.</summary>
    public static float[] LinearLogits(float[] weights, float[] bias, ReadOnlySpan<float> x)
    {
        var logits = new float[bias.Length];
        for (int k = 0; k < bias.Length; k++)
        {
            double sum = bias[k];
            for (int i = 0; i < x.Length; i++)
                sum += (double)weights[k * x.Length + i] * x[i];
            logits[k] = (float)sum;
        }
        return logits;
    }

    /// <summary>CPU reference of <see cref="GapLinear"/> with Relu.</summary>
    public static float[] GapLinearLogits(float[] weights, float[] bias, ReadOnlySpan<float> x, int c)
    {
        int plane = x.Length / c;
        var pooled = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            for (int i = 0; i < plane; i++)
                pooled[ch] += Math.Max(0f, x[ch * plane + i]);
            pooled[ch] /= plane;
        }
        var logits = new float[bias.Length];
        for (int k = 0; k < bias.Length; k++)
        {
            double sum = bias[k];
            for (int ch = 0; ch < c; ch++)
                sum += weights[k * c + ch] * pooled[ch];
            logits[k] = (float)sum;
        }
        return logits;
    }

    public static float[] Softmax(float[] logits)
    {
        double max = logits.Max();
        var e = logits.Select(l => Math.Exp(l - max)).ToArray();
        double sum = e.Sum();
        return e.Select(v => (float)(v / sum)).ToArray();
    }

    public static float[] Random(int count, int seed, float low = -1f, float high = 1f)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => low + (float)random.NextDouble() * (high - low)).ToArray();
    }

    private static OnnxModel Model(GraphProto graph)
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "glassbox-tests", Graph = graph, OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 17 } } };
        return OnnxModel.FromBytes(model.ToByteArray(), graph.Name);
    }

    private static NodeProto Node(string op, string name, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static TensorProto Floats(string name, float[] values, params long[] dims)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, Dims = { dims }, RawData = ByteString.CopyFrom(bytes) };
    }

    private static ValueInfoProto Info(string name, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d) });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } };
    }
}
