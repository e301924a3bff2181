using Glassbox.Inference;
using Glassbox.Onnx;
using Glassbox.Onnx.Gradients;
using Glassbox.Onnx.Protos;
using Google.Protobuf;

namespace Glassbox.Tests;

/// <summary>
/// One test per gradient rule: a one- or two-node graph on small random inputs, its derived
/// gradient run on ONNX Runtime, compared with central finite differences of the forward output.
/// </summary>
public class OpGradientTests
{
    /// <summary>How random inputs are drawn, so that finite differences stay valid.</summary>
    public enum Values
    {
        /// <summary>Uniform in [−2, 2], kept 0.05 away from 0 and ±0.5, ±3 (the kinks of Relu, Clip, HardSwish).</summary>
        AwayFromKinks,
        /// <summary>Uniform in [0.5, 2] (Sqrt, Div denominators).</summary>
        Positive,
        /// <summary>A shuffled grid 0.1 apart: no two values within 2h, so max-pooling picks are stable.</summary>
        DistinctGrid,
    }

    private sealed record Input(string Name, long[] Shape, Values Values = Values.AwayFromKinks);

    private sealed record Constant(string Name, long[] Shape, float[]? Values = null, TensorProto.Types.DataType Type = TensorProto.Types.DataType.Float, long[]? Ints = null);

    private sealed record OpCase(string Name, NodeProto[] Nodes, Input[] Inputs, Constant[] Constants, int Opset = 17)
    {
        /// <summary>Declare every input dimension free (named), so the rule must read sizes at run time.</summary>
        public bool FreeDimensions { get; init; }

        public override string ToString() => Name;
    }

    // Central differences with h = 1e-2 on float32 forward runs: truncation error h²/6·|f‴| ≈ 1e-4 for
    // these smooth pieces, rounding error ε·|f|/h ≈ 1e-5·|f|; 2e-3 absolute plus 1% relative covers
    // both while a wrong rule (a missing factor, a wrong axis, a sign) is off by far more.
    private const double H = 1e-2, AbsoluteTolerance = 2e-3, RelativeTolerance = 1e-2;

    private static NodeProto Node(string op, string[] inputs, params AttributeProto[] attributes) =>
        new() { OpType = op, Name = op.ToLowerInvariant(), Input = { inputs }, Output = { "y" }, Attribute = { attributes } };

    private static NodeProto NodeTo(string output, string op, string[] inputs, params AttributeProto[] attributes) =>
        new() { OpType = op, Name = output, Input = { inputs }, Output = { output }, Attribute = { attributes } };

    private static AttributeProto I(string name, long v) => GraphBuilder.AttrInt(name, v);
    private static AttributeProto F(string name, float v) => GraphBuilder.AttrFloat(name, v);
    private static AttributeProto List(string name, params long[] v) => GraphBuilder.AttrInts(name, v);
    private static AttributeProto S(string name, string v) => GraphBuilder.AttrString(name, v);
    private static Constant Ints(string name, params long[] values) => new(name, [values.Length], Type: TensorProto.Types.DataType.Int64, Ints: values);
    private static Constant Weights(string name, params long[] shape) => new(name, shape);
    private static Input X(params long[] shape) => new("x", shape);
    private static Input XOf(Values values, params long[] shape) => new("x", shape, values);

    public static IEnumerable<TestCaseData> Cases()
    {
        OpCase[] cases =
        [
            new("Conv 3×3 pad 1 with bias", [Node("Conv", ["x", "w", "b"], List("pads", 1, 1, 1, 1))], [X(1, 2, 5, 5)], [Weights("w", 3, 2, 3, 3), Weights("b", 3)]),
            new("Conv stride 2, asymmetric pads, dilation 2", [Node("Conv", ["x", "w"], List("strides", 2, 2), List("pads", 2, 1, 1, 2), List("dilations", 2, 2))], [X(1, 2, 7, 6)], [Weights("w", 2, 2, 3, 3)]),
            new("Conv auto_pad SAME_UPPER stride 2", [Node("Conv", ["x", "w"], S("auto_pad", "SAME_UPPER"), List("strides", 2, 2))], [X(2, 2, 6, 5)], [Weights("w", 3, 2, 3, 3)]),
            new("Conv groups 2", [Node("Conv", ["x", "w"], I("group", 2), List("pads", 1, 1, 1, 1))], [X(1, 4, 5, 5)], [Weights("w", 4, 2, 3, 3)]),
            new("Conv 1×1", [Node("Conv", ["x", "w"])], [X(2, 3, 4, 5)], [Weights("w", 5, 3, 1, 1)]),
            new("Conv 3×5 kernel, dilation 2, asymmetric pads, stride 1", [Node("Conv", ["x", "w"], List("pads", 2, 1, 1, 3), List("dilations", 2, 1))], [X(1, 3, 7, 8)], [Weights("w", 4, 3, 3, 5)]),
            new("Conv depthwise stride 1", [Node("Conv", ["x", "w", "b"], I("group", 3), List("pads", 1, 1, 1, 1))], [X(2, 3, 5, 6)], [Weights("w", 3, 1, 3, 3), Weights("b", 3)]),
            new("Conv auto_pad SAME_LOWER stride 1", [Node("Conv", ["x", "w"], S("auto_pad", "SAME_LOWER"))], [X(1, 2, 5, 4)], [Weights("w", 3, 2, 2, 2)]),
            new("Conv 7×7 stride 2 pad 3, odd input", [Node("Conv", ["x", "w"], List("strides", 2, 2), List("pads", 3, 3, 3, 3))], [X(1, 3, 11, 9)], [Weights("w", 4, 3, 7, 7)]),
            new("Conv 3×3 stride 2 pad 1, even input", [Node("Conv", ["x", "w"], List("strides", 2, 2), List("pads", 1, 1, 1, 1))], [X(2, 3, 8, 6)], [Weights("w", 5, 3, 3, 3)]),
            new("Conv 1×1 stride 2", [Node("Conv", ["x", "w"], List("strides", 2, 2))], [X(1, 4, 7, 6)], [Weights("w", 3, 4, 1, 1)]),
            new("Conv 2×2 stride 2 no pad", [Node("Conv", ["x", "w"], List("strides", 2, 2))], [X(1, 2, 6, 8)], [Weights("w", 3, 2, 2, 2)]),
            new("Conv depthwise", [Node("Conv", ["x", "w"], I("group", 3), List("strides", 2, 2), List("pads", 1, 1, 1, 1))], [X(2, 3, 6, 6)], [Weights("w", 3, 1, 3, 3)]),
            new("Relu", [Node("Relu", ["x"])], [X(2, 3, 4)], []),
            new("LeakyRelu", [Node("LeakyRelu", ["x"], F("alpha", 0.1f))], [X(2, 3, 4)], []),
            new("PRelu per channel", [Node("PRelu", ["x", "slope"])], [X(2, 3, 4, 2)], [Weights("slope", 3, 1, 1)]),
            new("Clip with min and max inputs", [Node("Clip", ["x", "lo", "hi"])], [X(2, 3, 4)], [new("lo", [], [-0.5f]), new("hi", [], [0.5f])]),
            new("Sigmoid", [Node("Sigmoid", ["x"])], [X(2, 3, 4)], []),
            new("HardSigmoid", [Node("HardSigmoid", ["x"], F("alpha", 0.25f), F("beta", 0.5f))], [X(2, 3, 4)], []),
            new("HardSwish", [Node("HardSwish", ["x"])], [new("x", [3, 8], Values.AwayFromKinks)], [], Opset: 17),
            new("Tanh", [Node("Tanh", ["x"])], [X(2, 3, 4)], []),
            new("Erf", [Node("Erf", ["x"])], [X(2, 3, 4)], []),
            new("Gelu exact", [Node("Gelu", ["x"])], [X(2, 3, 4)], [], Opset: 20),
            new("Gelu tanh approximation", [Node("Gelu", ["x"], S("approximate", "tanh"))], [X(2, 3, 4)], [], Opset: 20),
            new("Softmax last axis", [Node("Softmax", ["x"])], [X(2, 3, 4)], []),
            new("Softmax axis 1", [Node("Softmax", ["x"], I("axis", 1))], [X(2, 3, 4)], []),
            new("LogSoftmax", [Node("LogSoftmax", ["x"], I("axis", -1))], [X(2, 5)], []),
            new("Add with broadcasting", [Node("Add", ["x", "z"])], [X(2, 3, 4), new("z", [3, 1])], []),
            new("Sub with broadcasting", [Node("Sub", ["x", "z"])], [X(2, 3, 4), new("z", [4])], []),
            new("Mul with broadcasting", [Node("Mul", ["x", "z"])], [X(2, 1, 4), new("z", [3, 1])], []),
            new("Div with broadcasting", [Node("Div", ["x", "z"])], [X(2, 3, 4), new("z", [1, 3, 1], Values.Positive)], []),
            new("MatMul 3-D by 2-D", [Node("MatMul", ["x", "z"])], [X(2, 3, 4), new("z", [4, 5])], []),
            new("MatMul with batch broadcasting", [Node("MatMul", ["x", "z"])], [X(2, 1, 3, 4), new("z", [3, 4, 2])], []),
            new("Gemm transA transB alpha beta", [Node("Gemm", ["x", "z", "c"], I("transA", 1), I("transB", 1), F("alpha", 0.7f), F("beta", 1.3f))], [X(4, 3), new("z", [5, 4]), new("c", [5])], []),
            new("Gemm plain with constant B", [Node("Gemm", ["x", "w", "c"])], [X(3, 4)], [Weights("w", 4, 2), Weights("c", 1, 2)]),
            new("BatchNormalization", [Node("BatchNormalization", ["x", "s", "b", "m", "v"], F("epsilon", 1e-3f))], [X(2, 3, 4, 4)],
                [Weights("s", 3), Weights("b", 3), Weights("m", 3), new("v", [3], [0.5f, 1.5f, 2f])]),
            new("LayerNormalization last axis", [Node("LayerNormalization", ["x", "s", "b"], F("epsilon", 1e-5f))], [X(2, 3, 5)], [Weights("s", 5), Weights("b", 5)]),
            new("LayerNormalization from axis 1", [Node("LayerNormalization", ["x", "s", "b"], I("axis", 1))], [X(2, 3, 4)], [Weights("s", 3, 4), Weights("b", 3, 4)]),
            new("MaxPool 2×2 stride 2", [Node("MaxPool", ["x"], List("kernel_shape", 2, 2), List("strides", 2, 2))], [XOf(Values.DistinctGrid, 2, 2, 4, 6)], []),
            new("MaxPool overlapping 3×3 pad 1", [Node("MaxPool", ["x"], List("kernel_shape", 3, 3), List("pads", 1, 1, 1, 1))], [XOf(Values.DistinctGrid, 1, 2, 5, 5)], []),
            new("MaxPool 3×3 stride 2 pad 1, ceil_mode", [Node("MaxPool", ["x"], List("kernel_shape", 3, 3), List("strides", 2, 2), List("pads", 1, 1, 1, 1), I("ceil_mode", 1))],
                [XOf(Values.DistinctGrid, 1, 2, 6, 7)], []),
            new("MaxPool 2×2 dilation 2", [Node("MaxPool", ["x"], List("kernel_shape", 2, 2), List("dilations", 2, 2))], [XOf(Values.DistinctGrid, 1, 2, 5, 6)], []),
            new("MaxPool 3×3 stride 2, rows left over", [Node("MaxPool", ["x"], List("kernel_shape", 3, 3), List("strides", 2, 2))], [XOf(Values.DistinctGrid, 2, 2, 8, 9)], []),
            new("AveragePool excluding pads", [Node("AveragePool", ["x"], List("kernel_shape", 3, 3), List("strides", 2, 2), List("pads", 1, 1, 1, 1))], [X(1, 2, 5, 6)], []),
            new("AveragePool including pads", [Node("AveragePool", ["x"], List("kernel_shape", 3, 3), List("strides", 2, 2), List("pads", 1, 1, 1, 1), I("count_include_pad", 1))], [X(1, 2, 5, 6)], []),
            new("AveragePool 2×2", [Node("AveragePool", ["x"], List("kernel_shape", 2, 2), List("strides", 2, 2))], [X(2, 3, 4, 4)], []),
            new("GlobalAveragePool", [Node("GlobalAveragePool", ["x"])], [X(2, 3, 4, 5)], []),
            new("ReduceMean axes 1,2", [Node("ReduceMean", ["x"], List("axes", 1, 2), I("keepdims", 0))], [X(2, 3, 4)], []),
            new("ReduceSum keepdims", [Node("ReduceSum", ["x", "axes"])], [X(2, 3, 4)], [Ints("axes", -1)]),
            new("Flatten axis 2", [Node("Flatten", ["x"], I("axis", 2))], [X(2, 3, 2, 2)], []),
            new("Reshape with -1", [Node("Reshape", ["x", "shape"])], [X(2, 3, 4)], [Ints("shape", -1, 6)]),
            new("Transpose", [Node("Transpose", ["x"], List("perm", 2, 0, 1))], [X(2, 3, 4)], []),
            new("Squeeze", [Node("Squeeze", ["x", "axes"])], [X(2, 1, 4)], [Ints("axes", 1)]),
            new("Unsqueeze", [Node("Unsqueeze", ["x", "axes"])], [X(2, 4)], [Ints("axes", 0, 3)]),
            new("Concat of two inputs", [Node("Concat", ["x", "z"], I("axis", 1))], [X(2, 3, 2), new("z", [2, 1, 2])], []),
            new("Split, both parts used", [new NodeProto { OpType = "Split", Name = "split", Input = { "x", "sizes" }, Output = { "a", "b" }, Attribute = { I("axis", 1) } }, Node("Mul", ["a", "b"])],
                [X(2, 4, 3)], [Ints("sizes", 2, 2)]),
            new("Split, one part used", [new NodeProto { OpType = "Split", Name = "split", Input = { "x", "sizes" }, Output = { "a", "b" }, Attribute = { I("axis", 1) } }, Node("Tanh", ["b"])],
                [X(2, 5, 3)], [Ints("sizes", 2, 3)]),
            new("Slice with negative ends", [Node("Slice", ["x", "starts", "ends", "axes"])], [X(3, 5, 4)], [Ints("starts", 1, 1), Ints("ends", -1, 3), Ints("axes", 1, 2)]),
            new("Gather scalar index", [Node("Gather", ["x", "index"], I("axis", 1))], [X(2, 4, 3)], [new("index", [], Type: TensorProto.Types.DataType.Int64, Ints: [-2])]),
            new("Gather repeated indices", [Node("Gather", ["x", "indices"])], [X(3, 4)], [Ints("indices", 0, 2, 2)]),
            new("Pad constant", [Node("Pad", ["x", "pads"])], [X(2, 3, 4)], [Ints("pads", 0, 1, 2, 0, 2, 1)]),
            new("Identity", [Node("Identity", ["x"])], [X(2, 3)], []),
            new("Dropout (inference)", [Node("Dropout", ["x"])], [X(2, 3)], []),
            new("Constant added", [NodeTo("k", "Constant", [], GraphBuilder.AttrTensor("value", new TensorProto { DataType = 1, Dims = { 3 }, FloatData = { 1f, -2f, 0.5f } })), Node("Mul", ["x", "k"])], [X(2, 3)], []),
            new("Sqrt", [Node("Sqrt", ["x"])], [XOf(Values.Positive, 2, 3)], []),
            new("Pow cube", [Node("Pow", ["x", "e"])], [X(2, 3)], [new("e", [], [3f])]),
            new("Pow square", [Node("Pow", ["x", "e"])], [X(2, 3)], [new("e", [], [2f])]),
            new("Expand", [Node("Expand", ["x", "shape"])], [X(3, 1)], [Ints("shape", 2, 3, 4)]),
            .. WildCases(),
            .. OldOpsetCases(),
        ];
        return cases.Select(c => new TestCaseData(c).SetName($"Gradient of {c.Name} matches finite differences"))
            .Concat(cases.Where(c => !NeedsStaticSizes.Contains(c.Name))
                .Select(c => new TestCaseData(c with { FreeDimensions = true }).SetName($"Gradient of {c.Name} with free input sizes matches finite differences")));
    }

    /// <summary>Rules that read a size at derivation time by design, with why; every other rule also runs with free sizes.</summary>
    private static readonly HashSet<string> NeedsStaticSizes =
    [
        // The one-hot scatter matrix has one column per element of the gathered axis.
        "Gather scalar index", "Gather repeated indices",
        // output_shape fixes the output; the padding it implies depends on the input's size.
        "ConvTranspose output_shape",
    ];

    /// <summary>
    /// The forms ops had before opset 13, which older exporters write: the derivation upgrades them
    /// on its copy, and the derived graph must compute what the original computes at its own opset.
    /// </summary>
    private static IEnumerable<OpCase> OldOpsetCases() =>
    [
        new("Squeeze axes attribute (opset 11)", [Node("Squeeze", ["x"], List("axes", 1))], [X(2, 1, 3)], [], Opset: 11),
        new("Unsqueeze axes attribute (opset 11)", [Node("Unsqueeze", ["x"], List("axes", 0, -1))], [X(2, 3)], [], Opset: 11),
        new("ReduceSum axes attribute (opset 11)", [Node("ReduceSum", ["x"], List("axes", 2), I("keepdims", 0))], [X(2, 3, 4)], [], Opset: 11),
        new("Split split attribute (opset 11)", [new NodeProto { OpType = "Split", Name = "split", Input = { "x" }, Output = { "a", "b" }, Attribute = { I("axis", 1), List("split", 1, 3) } }, Node("Mul", ["a", "b"])],
            [X(2, 4)], [], Opset: 11),
        new("Clip min and max attributes (opset 10)", [Node("Clip", ["x"], F("min", -0.5f), F("max", 0.5f))], [X(2, 3, 4)], [], Opset: 10),
        new("Clip max attribute only (opset 7)", [Node("Clip", ["x"], F("max", 0.5f))], [X(2, 5)], [], Opset: 7),
        new("Pad pads and value attributes (opset 10)", [Node("Pad", ["x"], List("pads", 0, 1, 2, 0, 2, 1), F("value", 0.5f))], [X(2, 3, 4)], [], Opset: 10),
        new("Slice attributes (opset 9)", [Node("Slice", ["x"], List("starts", 1, 0), List("ends", 3, -1), List("axes", 1, 2))], [X(2, 4, 5)], [], Opset: 9),
        new("Upsample scales attribute (opset 7)", [Node("Upsample", ["x"], S("mode", "nearest"), new AttributeProto { Name = "scales", Type = AttributeProto.Types.AttributeType.Floats, Floats = { 1f, 1f, 2f, 3f } })],
            [X(1, 2, 2, 3)], [], Opset: 7),
        new("Upsample bilinear scales attribute (opset 8)", [Node("Upsample", ["x"], S("mode", "linear"), new AttributeProto { Name = "scales", Type = AttributeProto.Types.AttributeType.Floats, Floats = { 1f, 1f, 2f, 2f } })],
            [X(1, 2, 3, 3)], [], Opset: 8),
        new("Resize nearest (opset 10)", [Node("Resize", ["x", "scales"], S("mode", "nearest"))], [X(1, 2, 3, 3)], [new("scales", [4], [1f, 1f, 2f, 1.5f])], Opset: 10),
        new("Resize nearest downscale (opset 10)", [Node("Resize", ["x", "scales"], S("mode", "nearest"))], [X(1, 2, 6, 5)], [new("scales", [4], [1f, 1f, 0.5f, 0.6f])], Opset: 10),
        new("Resize linear (opset 10)", [Node("Resize", ["x", "scales"], S("mode", "linear"))], [X(1, 2, 3, 4)], [new("scales", [4], [1f, 1f, 2f, 2f])], Opset: 10),
        new("BatchNormalization spatial (opset 7)", [Node("BatchNormalization", ["x", "s", "b", "m", "v"], I("spatial", 1))], [X(2, 3, 2, 2)],
            [Weights("s", 3), Weights("b", 3), Weights("m", 3), new("v", [3], [0.5f, 1.5f, 2f])], Opset: 7),
        new("Dropout ratio attribute (opset 10)", [Node("Dropout", ["x"], F("ratio", 0.3f))], [X(2, 3)], [], Opset: 10),
        new("Softmax flattening from axis 1 (opset 11)", [Node("Softmax", ["x"], I("axis", 1))], [X(2, 3, 2)], [], Opset: 11),
        new("Softmax default axis on a matrix (opset 9)", [Node("Softmax", ["x"])], [X(2, 5)], [], Opset: 9),
        new("LogSoftmax flattening from axis 2 (opset 12)", [Node("LogSoftmax", ["x"], I("axis", 2))], [X(2, 2, 2, 3)], [], Opset: 12),
    ];

    /// <summary>Ops that models from other exporters and other tasks bring (segmentation, detection, older exporters).</summary>
    private static IEnumerable<OpCase> WildCases() =>
    [
        new("Conv depthwise stride 2, 5×5, odd input (MobileNetV3, EfficientNet)", [Node("Conv", ["x", "w", "b"], I("group", 4), List("strides", 2, 2), List("pads", 2, 2, 2, 2))], [X(1, 4, 9, 8)], [Weights("w", 4, 1, 5, 5), Weights("b", 4)]),
        new("Conv depthwise stride 2 auto_pad SAME_UPPER", [Node("Conv", ["x", "w"], I("group", 3), List("strides", 2, 2), S("auto_pad", "SAME_UPPER"))], [X(2, 3, 7, 6)], [Weights("w", 3, 1, 3, 3)]),
        new("Conv depthwise stride 2 dilation 2 pad 2", [Node("Conv", ["x", "w"], I("group", 3), List("strides", 2, 2), List("dilations", 2, 2), List("pads", 2, 2, 2, 2))], [X(1, 3, 8, 9)], [Weights("w", 3, 1, 3, 3)]),
        new("Conv depthwise stride 2 asymmetric pads", [Node("Conv", ["x", "w"], I("group", 2), List("strides", 2, 2), List("pads", 0, 1, 1, 0))], [X(1, 2, 6, 7)], [Weights("w", 2, 1, 3, 3)]),
        new("Conv groups 4 stride 2 (RegNet, ResNeXt)", [Node("Conv", ["x", "w"], I("group", 4), List("strides", 2, 2), List("pads", 1, 1, 1, 1))], [X(1, 8, 7, 6)], [Weights("w", 8, 2, 3, 3)]),
        new("Conv groups 2 stride 2, 16 channels a group (blocked layouts)", [Node("Conv", ["x", "w"], I("group", 2), List("strides", 2, 2), List("pads", 1, 1, 1, 1))], [X(1, 32, 7, 6)], [Weights("w", 32, 16, 3, 3)]),
        new("Conv groups 2 stride 1, 16 channels a group (blocked layouts)", [Node("Conv", ["x", "w"], I("group", 2), List("pads", 1, 1, 1, 1))], [X(1, 32, 5, 6)], [Weights("w", 32, 16, 3, 3)]),
        new("Conv groups 4 stride 1, 4 outputs a group", [Node("Conv", ["x", "w"], I("group", 4), List("pads", 1, 1, 1, 1))], [X(1, 8, 5, 5)], [Weights("w", 16, 2, 3, 3)]),
        new("ConvTranspose stride 2 pad 1 output_padding 1", [Node("ConvTranspose", ["x", "w", "b"], List("strides", 2, 2), List("pads", 1, 1, 1, 1), List("output_padding", 1, 1))], [X(1, 3, 4, 5)], [Weights("w", 3, 2, 3, 3), Weights("b", 2)]),
        new("ConvTranspose groups 2, dilation 2, asymmetric pads", [Node("ConvTranspose", ["x", "w"], I("group", 2), List("dilations", 2, 1), List("pads", 1, 0, 2, 1))], [X(1, 4, 4, 4)], [Weights("w", 4, 3, 3, 2)]),
        new("ConvTranspose 4×4 stride 2 (U-Net upsampling)", [Node("ConvTranspose", ["x", "w"], List("strides", 2, 2), List("pads", 1, 1, 1, 1))], [X(2, 2, 3, 4)], [Weights("w", 2, 3, 4, 4)]),
        new("ConvTranspose auto_pad SAME_UPPER stride 2", [Node("ConvTranspose", ["x", "w"], S("auto_pad", "SAME_UPPER"), List("strides", 2, 2))], [X(1, 2, 3, 3)], [Weights("w", 2, 2, 3, 3)]),
        new("ConvTranspose auto_pad SAME_LOWER stride 2", [Node("ConvTranspose", ["x", "w"], S("auto_pad", "SAME_LOWER"), List("strides", 2, 2))], [X(1, 2, 3, 4)], [Weights("w", 2, 2, 4, 3)]),
        new("ConvTranspose output_shape", [Node("ConvTranspose", ["x", "w"], List("strides", 2, 2), List("output_shape", 8, 9))], [X(1, 2, 4, 4)], [Weights("w", 2, 1, 3, 3)]),
        new("Resize nearest asymmetric floor ×2", [Node("Resize", ["x", "", "scales"], S("mode", "nearest"), S("coordinate_transformation_mode", "asymmetric"), S("nearest_mode", "floor"))], [X(1, 2, 3, 4)], [new("scales", [4], [1f, 1f, 2f, 2f])]),
        new("Resize nearest half_pixel round_prefer_floor ×1.5", [Node("Resize", ["x", "", "scales"], S("mode", "nearest"), S("nearest_mode", "round_prefer_floor"))], [X(1, 2, 4, 4)], [new("scales", [4], [1f, 1f, 1.5f, 1.5f])]),
        new("Resize nearest pytorch_half_pixel round_prefer_ceil to sizes", [Node("Resize", ["x", "", "", "sizes"], S("mode", "nearest"), S("coordinate_transformation_mode", "pytorch_half_pixel"), S("nearest_mode", "round_prefer_ceil"))], [X(1, 2, 3, 5)], [Ints("sizes", 1, 2, 7, 4)]),
        new("Resize nearest align_corners ceil", [Node("Resize", ["x", "", "scales"], S("mode", "nearest"), S("coordinate_transformation_mode", "align_corners"), S("nearest_mode", "ceil"))], [X(1, 1, 3, 4)], [new("scales", [4], [1f, 1f, 2f, 3f])]),
        new("Resize linear half_pixel ×2 (bilinear)", [Node("Resize", ["x", "", "scales"], S("mode", "linear"))], [X(2, 2, 3, 4)], [new("scales", [4], [1f, 1f, 2f, 2f])]),
        new("Resize linear align_corners to sizes", [Node("Resize", ["x", "", "", "sizes"], S("mode", "linear"), S("coordinate_transformation_mode", "align_corners"))], [X(1, 2, 3, 4)], [Ints("sizes", 1, 2, 7, 5)]),
        new("Resize linear asymmetric downscale", [Node("Resize", ["x", "", "scales"], S("mode", "linear"), S("coordinate_transformation_mode", "asymmetric"))], [X(1, 2, 6, 8)], [new("scales", [4], [1f, 1f, 0.5f, 0.75f])]),
        new("Resize linear pytorch_half_pixel", [Node("Resize", ["x", "", "scales"], S("mode", "linear"), S("coordinate_transformation_mode", "pytorch_half_pixel"))], [X(1, 2, 3, 3)], [new("scales", [4], [1f, 1f, 2.5f, 2f])]),
        new("Resize cubic", [Node("Resize", ["x", "", "scales"], S("mode", "cubic"))], [X(1, 1, 4, 4)], [new("scales", [4], [1f, 1f, 2f, 2f])]),
        new("Resize of the width only", [Node("Resize", ["x", "", "scales"], S("mode", "linear"))], [X(1, 2, 3, 4)], [new("scales", [4], [1f, 1f, 1f, 2f])]),
        new("Upsample nearest (opset 9)", [Node("Upsample", ["x", "scales"], S("mode", "nearest"))], [X(1, 2, 3, 3)], [new("scales", [4], [1f, 1f, 2f, 2f])], Opset: 9),
        new("Upsample linear (opset 9)", [Node("Upsample", ["x", "scales"], S("mode", "linear"))], [X(1, 2, 3, 3)], [new("scales", [4], [1f, 1f, 2f, 2f])], Opset: 9),
        new("DepthToSpace DCR", [Node("DepthToSpace", ["x"], I("blocksize", 2))], [X(1, 8, 2, 3)], []),
        new("DepthToSpace CRD", [Node("DepthToSpace", ["x"], I("blocksize", 2), S("mode", "CRD"))], [X(2, 8, 3, 2)], []),
        new("SpaceToDepth", [Node("SpaceToDepth", ["x"], I("blocksize", 2))], [X(1, 2, 4, 6)], []),
        new("InstanceNormalization", [Node("InstanceNormalization", ["x", "s", "b"], F("epsilon", 1e-5f))], [X(2, 3, 3, 4)], [Weights("s", 3), Weights("b", 3)]),
        new("GroupNormalization (opset 21)", [Node("GroupNormalization", ["x", "s", "b"], I("num_groups", 2))], [X(2, 4, 3, 3)], [Weights("s", 4), Weights("b", 4)], Opset: 21),
        new("LRN size 3", [Node("LRN", ["x"], I("size", 3), F("alpha", 0.5f), F("beta", 0.75f), F("bias", 2f))], [X(1, 5, 2, 3)], []),
        new("LRN size 5 (AlexNet)", [Node("LRN", ["x"], I("size", 5), F("alpha", 0.3f), F("beta", 0.6f))], [X(2, 6, 2, 2)], []),
        new("Abs", [Node("Abs", ["x"])], [X(2, 3)], []),
        new("Min of three with broadcasting", [Node("Min", ["x", "z", "u"])], [X(2, 3), new("z", [3]), new("u", [2, 1])], []),
        new("Max of two", [Node("Max", ["x", "z"])], [X(2, 3), new("z", [2, 3])], []),
        new("Reciprocal", [Node("Reciprocal", ["x"])], [XOf(Values.Positive, 2, 3)], []),
        new("Softplus", [Node("Softplus", ["x"])], [X(2, 3)], []),
        new("Elu", [Node("Elu", ["x"], F("alpha", 0.7f))], [X(2, 3, 2)], []),
        new("Selu", [Node("Selu", ["x"])], [X(2, 3, 2)], []),
        new("Mish (opset 18)", [Node("Mish", ["x"])], [X(2, 3, 2)], [], Opset: 18),
        new("Tile", [Node("Tile", ["x", "repeats"])], [X(2, 3)], [Ints("repeats", 2, 3)]),
        new("GlobalMaxPool", [Node("GlobalMaxPool", ["x"])], [XOf(Values.DistinctGrid, 2, 3, 3, 4)], []),
        new("ReduceMax keepdims 0", [Node("ReduceMax", ["x"], List("axes", 1), I("keepdims", 0))], [XOf(Values.DistinctGrid, 2, 4, 3)], []),
        new("ReduceMax axes input (opset 18)", [Node("ReduceMax", ["x", "axes"])], [XOf(Values.DistinctGrid, 2, 4, 3)], [Ints("axes", -1)], Opset: 18),
        new("ReduceL2", [Node("ReduceL2", ["x"], List("axes", 2, 3))], [X(2, 3, 2, 2)], []),
        new("GatherElements with repeated indices", [Node("GatherElements", ["x", "idx"], I("axis", 1))], [X(2, 3)],
            [new("idx", [2, 4], Type: TensorProto.Types.DataType.Int64, Ints: [0, 2, 2, 1, 1, 1, 0, 2])]),
        new("Slice with step 2 (YOLO Focus)", [Node("Slice", ["x", "starts", "ends", "axes", "steps"])], [X(1, 2, 5, 6)], [Ints("starts", 1, 0), Ints("ends", 100, 100), Ints("axes", 2, 3), Ints("steps", 2, 2)]),
        new("Slice with negative start", [Node("Slice", ["x", "starts", "ends", "axes"])], [X(2, 5, 3)], [Ints("starts", -3), Ints("ends", -1), Ints("axes", 1)]),
        new("ReduceMean axes input (opset 18)", [Node("ReduceMean", ["x", "axes"], I("keepdims", 0))], [X(2, 3, 4)], [Ints("axes", 1, 2)], Opset: 18),
        new("Pad with axes input (opset 18, axes all)", [Node("Pad", ["x", "pads"])], [X(2, 3)], [Ints("pads", 1, 0, 0, 2)], Opset: 18),
        new("Conv, Relu and Resize at the newest opset ONNX Runtime 1.30 loads (23)",
            [NodeTo("c", "Conv", ["x", "w"], List("pads", 1, 1, 1, 1)), NodeTo("r", "Relu", ["c"]), Node("Resize", ["r", "", "scales"], S("mode", "linear"))],
            [X(1, 2, 3, 4)], [Weights("w", 2, 2, 3, 3), new("scales", [4], [1f, 1f, 2f, 2f])], Opset: 23),
        new("Floor then Mul (no gradient through Floor)", [NodeTo("f", "Floor", ["x"]), Node("Mul", ["x", "f"])], [X(2, 3)], []),
    ];

    [TestCaseSource(nameof(Cases))]
    public void Gradient_matches_finite_differences(object boxed)
    {
        var c = (OpCase)boxed;
        var random = new Random(c.Name.Aggregate(17, (h, ch) => h * 31 + ch));
        var model = Build(c, random);
        var inputs = c.Inputs.ToDictionary(i => i.Name, i => Draw(i, random));
        var (outputShape, forward) = RunForward(model, inputs, Sizes(c));
        var seed = Enumerable.Range(0, (int)outputShape.Aggregate(1L, (a, b) => a * b)).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

        var gradients = GradientGraph.Derive(model, "y", c.Inputs.Select(i => i.Name));
        var (session, run) = Open(gradients, c, outputShape);
        using var _ = session;
        using var __ = run;
        foreach (var (name, values) in inputs)
            values.CopyTo(run.Input<float>(name));
        seed.CopyTo(run.Input<float>(gradients.SeedInput));
        run.Execute();
        var analytic = c.Inputs.ToDictionary(i => i.Name, i => run.Output<float>(gradients.GradientOutputs[i.Name]).ToArray());
        // The derived graph (upgraded to the rules' opset where the model is older) computes what the model computes.
        Assert.That(run.Output<float>("y").ToArray(), Is.EqualTo(forward).Within(1e-6f), $"{c.Name}: the derived graph's forward output");

        foreach (var input in c.Inputs)
        {
            var values = inputs[input.Name];
            for (int k = 0; k < values.Length; k++)
            {
                float original = values[k];
                values[k] = original + (float)H;
                double up = Score(run, inputs, seed);
                values[k] = original - (float)H;
                double down = Score(run, inputs, seed);
                values[k] = original;
                double numeric = (up - down) / (2 * H);
                double a = analytic[input.Name][k];
                Assert.That(Math.Abs(a - numeric), Is.LessThanOrEqualTo(AbsoluteTolerance + RelativeTolerance * Math.Abs(numeric)),
                    $"{c.Name}: d/d {input.Name}[{k}] analytic {a:G6}, numeric {numeric:G6}");
            }
        }
    }

    /// <summary>Ops of the default domain that opset 15 does not have (the ONNX operator list, by the opset that added them).</summary>
    private static readonly HashSet<string> NewerThan15 =
    [
        "GridSample", "LayerNormalization", "DFT", "STFT", "BlackmanWindow", "HammingWindow", "HannWindow", "MelWeightMatrix", "SequenceMap",
        "BitwiseAnd", "BitwiseNot", "BitwiseOr", "BitwiseXor", "CenterCropPad", "Col2Im", "GroupNormalization", "Mish", "DeformConv",
        "AffineGrid", "Gelu", "ImageDecoder", "RegexFullMatch", "StringConcat", "StringSplit", "Attention", "RMSNormalization", "RotaryEmbedding",
    ];

    /// <summary>
    /// Derived for an engine that stops at opset 15: the graph declares 15 (IR 8), holds only ops opset 15 has, reduces
    /// no scatter, and computes the same output and gradient as the graph derived at the model's own opset (which the
    /// test above checks against finite differences); or it is refused by name, with nothing built.
    /// </summary>
    public static IEnumerable<TestCaseData> CasesAtOpset15() =>
        Cases().Select(t => new TestCaseData(t.Arguments[0]).SetName(t.TestName!.Replace("Gradient of ", "At opset 15, ").Replace(" matches finite differences", " computes the same with opset-15 ops")));

    [TestCaseSource(nameof(CasesAtOpset15))]
    public void Derived_at_opset_15_it_computes_the_same_with_opset_15_ops(object boxed)
    {
        var c = (OpCase)boxed;
        var random = new Random(c.Name.Aggregate(17, (h, ch) => h * 31 + ch));
        var model = Build(c, random);
        var inputs = c.Inputs.ToDictionary(i => i.Name, i => Draw(i, random));
        var (outputShape, _) = RunForward(model, inputs, Sizes(c));
        var seed = Enumerable.Range(0, (int)outputShape.Aggregate(1L, (a, b) => a * b)).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

        GradientGraph at15;
        try
        {
            at15 = GradientGraph.Derive(model, "y", c.Inputs.Select(i => i.Name), opset: 15);
        }
        catch (OnnxModelException refused) when (c.Opset > 15 || c.Nodes.Any(n => n.OpType == "GatherElements"))
        {
            Assert.That(refused.Message, Does.Contain("opset").And.Contain("16").Or.Contain("cannot be written at opset 15"), c.Name);
            TestContext.Out.WriteLine($"{c.Name}: {refused.Message}");
            return;
        }
        Assert.That(at15.Model.Opsets["ai.onnx"], Is.EqualTo(15));
        var nodes = at15.Model.Nodes.ToList();
        Assert.That(nodes.Select(n => n.OpType).Where(NewerThan15.Contains), Is.Empty, $"{c.Name}: ops newer than 15");
        var scatters = at15.Model.CopyForEditing().Graph.Node.Where(n => n.OpType is "ScatterElements" or "ScatterND");
        Assert.That(scatters.Select(n => n.Attribute.FirstOrDefault(a => a.Name == "reduction")?.S.ToStringUtf8() ?? "none"), Has.All.EqualTo("none"), $"{c.Name}: scatters");

        var own = GradientGraph.Derive(model, "y", c.Inputs.Select(i => i.Name));
        var expected = Gradients(own, c, inputs, seed, outputShape);
        var actual = Gradients(at15, c, inputs, seed, outputShape);
        foreach (var (name, values) in expected)
        {
            float scale = Math.Max(values.Max(MathF.Abs), 1e-6f);
            Assert.That(actual[name], Is.EqualTo(values).Within(1e-5f * scale), $"{c.Name}: {name}");
        }
    }

    /// <summary>A session on the derived graph and a run sized for the case.</summary>
    private static (ModelSession Session, SessionRun Run) Open(GradientGraph graph, OpCase c, long[] outputShape)
    {
        var session = ModelSession.Open(graph.Model, InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 1 });
        var sizes = Sizes(c);
        // The seed has the output's shape; with free input sizes its dimensions are the output's, named after it.
        var seedShape = session.Inputs.First(i => i.Name == graph.SeedInput).Shape;
        for (int i = 0; i < seedShape.Rank; i++)
        {
            if (seedShape[i] == TensorShape.Dynamic && seedShape.SymbolAt(i) is { } symbol)
                sizes[symbol] = outputShape[i];
        }
        return (session, session.CreateRun(dimensions: sizes));
    }

    /// <summary>The forward output ("y") and each input's gradient for <paramref name="seed"/>.</summary>
    private static Dictionary<string, float[]> Gradients(GradientGraph graph, OpCase c, Dictionary<string, float[]> inputs, float[] seed, long[] outputShape)
    {
        var (session, run) = Open(graph, c, outputShape);
        using var _ = session;
        using var __ = run;
        foreach (var (name, values) in inputs)
            values.CopyTo(run.Input<float>(name));
        seed.CopyTo(run.Input<float>(graph.SeedInput));
        run.Execute();
        var result = c.Inputs.ToDictionary(i => i.Name, i => run.Output<float>(graph.GradientOutputs[i.Name]).ToArray());
        result["y"] = run.Output<float>("y").ToArray();
        return result;
    }

    [Test]
    public void An_op_without_a_rule_is_named_with_its_nodes_and_nothing_is_built()
    {
        var c = new OpCase("TopK", [new NodeProto { OpType = "Relu", Name = "first", Input = { "x" }, Output = { "r" } },
            new NodeProto { OpType = "Cos", Name = "wave", Input = { "r" }, Output = { "y" } }], [X(2, 3)], []);
        var model = Build(c, new Random(1));
        var error = Assert.Throws<OnnxModelException>(() => GradientGraph.Derive(model, "y", ["x"]));
        Assert.That(error!.Message, Does.StartWith("No gradient rule for Cos on the path from 'x' to 'y' (nodes 'wave')"));
        Assert.That(error.Message, Does.Contain("Gradient-free explanations"));
    }

    [Test]
    public void Only_nodes_between_the_tensors_and_the_output_get_backward_nodes()
    {
        // y = Relu(x)·2 and an unrelated branch u = Tanh(x): asking for d y / d Relu(x) touches only Mul.
        var c = new OpCase("paths", [new NodeProto { OpType = "Relu", Name = "relu", Input = { "x" }, Output = { "r" } },
            new NodeProto { OpType = "Tanh", Name = "side", Input = { "x" }, Output = { "u" } },
            Node("Mul", ["r", "two"])], [X(2, 3)], [new("two", [], [2f])]);
        var model = Build(c, new Random(1));
        var gradients = GradientGraph.Derive(model, "y", ["r"]);
        var added = gradients.Model.Nodes.Where(n => n.Name.StartsWith("grad/", StringComparison.Ordinal)).ToList();
        Assert.That(added.Select(n => n.Name), Has.All.Matches<string>(n => n.StartsWith("grad/mul/", StringComparison.Ordinal) || n.StartsWith("grad/identity", StringComparison.Ordinal)));
        Assert.That(gradients.Model.Inputs.Select(i => i.Name), Is.EqualTo(new[] { "x", gradients.SeedInput }));
    }

    [Test]
    public void A_tensor_the_output_does_not_depend_on_is_refused()
    {
        var c = new OpCase("unrelated", [new NodeProto { OpType = "Tanh", Name = "side", Input = { "x" }, Output = { "u" } },
            Node("Relu", ["z"])], [X(2, 3), new("z", [2, 3])], []);
        var model = Build(c, new Random(1));
        var error = Assert.Throws<OnnxModelException>(() => GradientGraph.Derive(model, "y", ["u"]));
        Assert.That(error!.Message, Does.Contain("does not depend on 'u'"));
    }

    private static double Score(SessionRun run, Dictionary<string, float[]> inputs, float[] seed)
    {
        foreach (var (name, values) in inputs)
            values.CopyTo(run.Input<float>(name));
        run.Execute();
        var y = run.Output<float>("y");
        double sum = 0;
        for (int i = 0; i < seed.Length; i++)
            sum += (double)seed[i] * y[i];
        return sum;
    }

    private static (long[] Shape, float[] Values) RunForward(OnnxModel model, Dictionary<string, float[]> inputs, Dictionary<string, long> sizes)
    {
        using var session = ModelSession.Open(model, InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 1 });
        using var run = session.CreateRun(dimensions: sizes);
        foreach (var (name, values) in inputs)
            values.CopyTo(run.Input<float>(name));
        run.Execute();
        return (run.OutputInfos[0].Shape.ToArray(), run.Output<float>("y").ToArray());
    }

    private static float[] Draw(Input input, Random random)
    {
        int count = (int)input.Shape.Aggregate(1L, (a, b) => a * b);
        switch (input.Values)
        {
            case Values.Positive:
                return Enumerable.Range(0, count).Select(_ => (float)(0.5 + 1.5 * random.NextDouble())).ToArray();
            case Values.DistinctGrid:
                return Enumerable.Range(0, count).Select(i => (float)((i - count / 2) * 0.1)).OrderBy(_ => random.Next()).ToArray();
            default:
                float[] kinks = [0f, 0.5f, -0.5f, 3f, -3f];
                return Enumerable.Range(0, count).Select(_ =>
                {
                    float v;
                    do
                    {
                        v = (float)(random.NextDouble() * 4 - 2);
                    }
                    while (kinks.Any(k => MathF.Abs(v - k) < 0.05f));
                    return v;
                }).ToArray();
        }
    }

    private static OnnxModel Build(OpCase c, Random random)
    {
        var graph = new GraphProto { Name = c.Name };
        graph.Node.AddRange(c.Nodes);
        foreach (var input in c.Inputs)
            graph.Input.Add(ValueInfo(input.Name, input.Shape, c.FreeDimensions));
        foreach (var constant in c.Constants)
        {
            var tensor = new TensorProto { Name = constant.Name, DataType = (int)constant.Type, Dims = { constant.Shape } };
            if (constant.Type == TensorProto.Types.DataType.Int64)
            {
                tensor.Int64Data.AddRange(constant.Ints!);
            }
            else
            {
                int count = (int)constant.Shape.Aggregate(1L, (a, b) => a * b);
                var values = constant.Values ?? Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
                tensor.FloatData.AddRange(values);
            }
            graph.Initializer.Add(tensor);
        }
        graph.Output.Add(new ValueInfoProto { Name = "y" });
        var model = new ModelProto { IrVersion = 8, Graph = graph, ProducerName = "glassbox-tests", OpsetImport = { new OperatorSetIdProto { Domain = "", Version = c.Opset } } };
        return OnnxModel.FromBytes(model.ToByteArray(), c.Name);
    }

    private static ValueInfoProto ValueInfo(string name, long[] shape, bool free = false)
    {
        var info = new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = new TensorShapeProto() } } };
        for (int i = 0; i < shape.Length; i++)
        {
            info.Type.TensorType.Shape.Dim.Add(free ? new TensorShapeProto.Types.Dimension { DimParam = DimensionName(name, i) } : new TensorShapeProto.Types.Dimension { DimValue = shape[i] });
        }
        return info;
    }

    private static string DimensionName(string input, int axis) => $"{input}_d{axis}";

    /// <summary>Sizes for the named free dimensions of a case's inputs.</summary>
    private static Dictionary<string, long> Sizes(OpCase c) =>
        c.Inputs.SelectMany(i => i.Shape.Select((d, axis) => (Name: DimensionName(i.Name, axis), Size: d))).ToDictionary(p => p.Name, p => p.Size);
}
