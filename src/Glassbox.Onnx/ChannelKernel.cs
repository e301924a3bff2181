using Glassbox.Onnx.Graph;

namespace Glassbox.Onnx;

/// <summary>
/// The learned filter that makes one channel of a feature map: the weights of the convolution the channel's values come
/// from, for that output channel, as [input channels, kernel height, kernel width]. <see cref="ReadsInput"/> says the
/// convolution reads the model's input (the first layer's filters can be shown as pictures); deeper filters are a
/// weight per input channel and kernel position.
/// </summary>
/// <param name="Node">The convolution's node name (its op type when it has none).</param>
/// <param name="Path">The ops between the convolution and the layer, nearest the convolution first (empty when the layer is its output).</param>
public sealed record ChannelKernel(string Node, string OpType, int Channel, int InputChannels, int KernelHeight, int KernelWidth, float[] Weights, bool ReadsInput,
                                   IReadOnlyList<string> Path)
{
    /// <summary>Ops that keep a tensor's channels apart (each output channel depends on the same input channel only).</summary>
    private static readonly HashSet<string> ChannelWise =
    [
        "Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "Clip", "HardSigmoid", "HardSwish", "Elu", "Selu", "Celu", "Softplus", "Gelu", "Mish",
        "BatchNormalization", "InstanceNormalization", "MaxPool", "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool", "Dropout", "Identity", "Abs", "Neg",
        "Add", "Sub", "Mul", "Div",
    ];

    /// <summary>The weight at (input channel, row, column).</summary>
    public float this[int inputChannel, int row, int column] => Weights[(inputChannel * KernelHeight + row) * KernelWidth + column];

    /// <summary>
    /// The kernel of <paramref name="channel"/> of <paramref name="layer"/>; null when the layer's values do not come from
    /// one convolution through channel-wise steps (a residual sum of two layers, a reshape, a layer without weights), and
    /// <paramref name="reason"/> says which step stopped the search.
    /// </summary>
    public static ChannelKernel? Of(OnnxModel model, string layer, int channel, out string reason)
    {
        ArgumentNullException.ThrowIfNull(model);
        var initializers = model.Initializers.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var nodes = model.Proto.Graph.Node.Where(n => n.Output.Count > 0).GroupBy(n => n.Output[0], StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        bool Fixed(string tensor) => initializers.Contains(tensor) || nodes.TryGetValue(tensor, out var p) && p.OpType == "Constant";
        var path = new List<string>();
        string tensor = layer;
        while (true)
        {
            if (!nodes.TryGetValue(tensor, out var node))
            {
                reason = model.Inputs.Any(i => i.Name == tensor) ? "the layer is the model's input" : $"nothing in the graph makes '{tensor}'";
                return null;
            }
            if (node.OpType is "Conv" or "ConvTranspose")
            {
                path.Reverse();
                return Describe(model, node, channel, path, nodes, Fixed, out reason);
            }
            var data = node.Input.Where(i => i.Length > 0 && !Fixed(i)).ToList();
            if (!ChannelWise.Contains(node.OpType) || data.Count != 1)
            {
                reason = data.Count > 1 && ChannelWise.Contains(node.OpType)
                    ? $"'{Name(node)}' ({node.OpType}) adds {data.Count} layers: no one filter makes it"
                    : $"'{Name(node)}' ({node.OpType}) is not a convolution and mixes channels";
                return null;
            }
            path.Add(node.OpType);
            tensor = data[0];
        }
    }

    private static ChannelKernel? Describe(OnnxModel model, Protos.NodeProto node, int channel, List<string> path, Dictionary<string, Protos.NodeProto> nodes,
                                           Func<string, bool> isFixed, out string reason)
    {
        var weightInfo = model.Initializers.FirstOrDefault(i => i.Name == node.Input[1]);
        if (weightInfo is null || weightInfo.Shape.Rank != 4 || model.InitializerValues(node.Input[1]) is not { } weights)
        {
            reason = $"'{Name(node)}' takes its weights from the graph, not from a float initializer of [out, in, height, width]";
            return null;
        }
        int groups = (int)Attr.Int(node, "group", 1);
        int d0 = (int)weightInfo.Shape[0], d1 = (int)weightInfo.Shape[1], kh = (int)weightInfo.Shape[2], kw = (int)weightInfo.Shape[3], plane = kh * kw;
        // Conv: [out, in/groups, kh, kw]. ConvTranspose: [in, out/groups, kh, kw], channel c of group g reads inputs g·(in/groups)….
        bool transposed = node.OpType == "ConvTranspose";
        int outputs = transposed ? d1 * groups : d0;
        if (channel < 0 || channel >= outputs)
        {
            reason = $"'{Name(node)}' makes {outputs} channels; {channel} is not one";
            return null;
        }
        float[] kernel;
        int inputChannels;
        if (!transposed)
        {
            inputChannels = d1;
            kernel = weights.AsSpan(channel * d1 * plane, d1 * plane).ToArray();
        }
        else
        {
            int perGroupIn = d0 / groups, group = channel / d1, within = channel % d1;
            inputChannels = perGroupIn;
            kernel = new float[perGroupIn * plane];
            for (int i = 0; i < perGroupIn; i++)
                weights.AsSpan(((group * perGroupIn + i) * d1 + within) * plane, plane).CopyTo(kernel.AsSpan(i * plane));
        }
        // The input, through channel-wise steps (a normalisation folded into the graph), is the model's.
        string source = node.Input[0];
        while (nodes.TryGetValue(source, out var before) && ChannelWise.Contains(before.OpType) && before.Input.Where(i => i.Length > 0 && !isFixed(i)).ToList() is [var only])
            source = only;
        reason = "";
        return new ChannelKernel(Name(node), node.OpType, channel, inputChannels, kh, kw, kernel, model.Inputs.Any(i => i.Name == source), path);
    }

    private static string Name(Protos.NodeProto node) => node.Name.Length > 0 ? node.Name : node.OpType;
}
