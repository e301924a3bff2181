using Glassbox.Onnx.Graph;

namespace Glassbox.Onnx;

/// <summary>
/// The learned filter that makes one channel of a feature map: the weights of the convolution the channel's values come
/// from, for that output channel, as [input channels, kernel height, kernel width]. <see cref="ReadsInput"/> says the
/// convolution reads the model's input (the first layer's filters can be shown as pictures); deeper filters are a
/// weight per input channel and kernel position.
/// </summary>
/// <param name="Node">The convolution's node name (its op type when it has none).</param>
/// <param name="Channel">The convolution's output channel (after a concatenation, the channel's index in the part it came from).</param>
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
        var nodes = model.Proto.Graph.Node.Where(n => n.Output.Count > 0).GroupBy(n => n.Output[0], StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        // Tensors that do not depend on the input: initializers, constants and what is computed from them alone (an
        // exporter's Identity of a shared weight, a folded scale), in one pass in graph order.
        var fixedTensors = model.Initializers.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var node in model.Proto.Graph.Node)
        {
            if (!node.OpType.StartsWith("Random", StringComparison.Ordinal) && node.Input.All(i => i.Length == 0 || fixedTensors.Contains(i)))
                fixedTensors.UnionWith(node.Output);
        }
        var shapes = model.Layers().GroupBy(l => l.Output, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Shape, StringComparer.Ordinal);
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
                return Describe(model, node, channel, path, nodes, fixedTensors, out reason);
            }
            if (node.OpType == "Concat" && ConcatenatedFrom(node, channel, shapes) is { } part)
            {
                // Channels stacked from several maps: this one is a channel of one of them.
                path.Add("Concat");
                (tensor, channel) = part;
                continue;
            }
            var data = node.Input.Where(i => i.Length > 0 && !fixedTensors.Contains(i)).Distinct(StringComparer.Ordinal).ToList();
            string? next = !ChannelWise.Contains(node.OpType) ? null
                : data.Count == 1 ? data[0]
                : CommonSource(data, nodes, fixedTensors) ?? GatedInput(node.OpType, data, shapes);
            if (next is null)
            {
                reason = data.Count > 1 && ChannelWise.Contains(node.OpType)
                    ? $"'{Name(node)}' ({node.OpType}) adds {data.Count} layers: no one filter makes it"
                    : $"'{Name(node)}' ({node.OpType}) is not a convolution and mixes channels";
                return null;
            }
            path.Add(node.OpType);
            tensor = next;
        }
    }

    /// <summary>The input of a concatenation along the channel axis that holds <paramref name="channel"/>, and its channel there; null when the sizes are not known.</summary>
    private static (string Tensor, int Channel)? ConcatenatedFrom(Protos.NodeProto node, int channel, Dictionary<string, TensorShape?> shapes)
    {
        long axis = Attr.Int(node, "axis", 0);
        if (axis is not (1 or -3))
            return null;
        int first = 0;
        foreach (string input in node.Input)
        {
            if (shapes.GetValueOrDefault(input) is not { Rank: 4 } shape || shape[1] < 1)
                return null;
            if (channel < first + shape[1])
                return (input, channel - first);
            first += (int)shape[1];
        }
        return null;
    }

    /// <summary>
    /// The tensor every input is computed from through channel-wise steps of one input each, when there is one: an
    /// activation written out as x·σ(x) (SiLU), x·relu6(x + 3)/6 (hard swish) or x·½(1 + erf(x/√2)) (GELU) is a function of x.
    /// </summary>
    private static string? CommonSource(List<string> inputs, Dictionary<string, Protos.NodeProto> nodes, HashSet<string> fixedTensors)
    {
        List<string> Chain(string start)
        {
            var chain = new List<string> { start };
            for (string t = start; nodes.TryGetValue(t, out var n) && ChannelWise.Contains(n.OpType)
                 && n.Input.Where(i => i.Length > 0 && !fixedTensors.Contains(i)).Distinct(StringComparer.Ordinal).ToList() is [var only];)
            {
                chain.Add(only);
                t = only;
            }
            return chain;
        }
        var chains = inputs.Select(Chain).ToList();
        return chains[0].FirstOrDefault(t => chains.Skip(1).All(c => c.Contains(t)));
    }

    /// <summary>
    /// The map a per-channel gate scales, when one input of a product is one value per channel (squeeze-and-excitation:
    /// x · σ(fc(pool(x)))) and the other has a grid: each output channel is that map's channel, times a number.
    /// </summary>
    private static string? GatedInput(string opType, List<string> inputs, Dictionary<string, TensorShape?> shapes)
    {
        if (opType is not ("Mul" or "Div") || inputs.Count != 2)
            return null;
        static bool Gate(TensorShape? s) => s is { Rank: 4 } && s[2] == 1 && s[3] == 1;
        static bool Map(TensorShape? s) => s is { Rank: 4 } && (s[2] != 1 || s[3] != 1);
        var a = shapes.GetValueOrDefault(inputs[0]);
        var b = shapes.GetValueOrDefault(inputs[1]);
        return Map(a) && Gate(b) ? inputs[0] : Map(b) && Gate(a) && opType == "Mul" ? inputs[1] : null;
    }

    private static ChannelKernel? Describe(OnnxModel model, Protos.NodeProto node, int channel, List<string> path, Dictionary<string, Protos.NodeProto> nodes,
                                           HashSet<string> fixedTensors, out string reason)
    {
        // The weight initializer, through an exporter's Identity of a shared weight.
        string weightName = node.Input[1];
        while (nodes.TryGetValue(weightName, out var copy) && copy.OpType == "Identity")
            weightName = copy.Input[0];
        var weightInfo = model.Initializers.FirstOrDefault(i => i.Name == weightName);
        if (weightInfo is null || weightInfo.Shape.Rank != 4 || model.InitializerValues(weightName) is not { } weights)
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
        while (nodes.TryGetValue(source, out var before) && ChannelWise.Contains(before.OpType) && before.Input.Where(i => i.Length > 0 && !fixedTensors.Contains(i)).ToList() is [var only])
            source = only;
        reason = "";
        return new ChannelKernel(Name(node), node.OpType, channel, inputChannels, kh, kw, kernel, model.Inputs.Any(i => i.Name == source), path);
    }

    private static string Name(Protos.NodeProto node) => node.Name.Length > 0 ? node.Name : node.OpType;
}
