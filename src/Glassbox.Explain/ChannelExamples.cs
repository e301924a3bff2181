using Glassbox.Inference;
using Glassbox.Onnx;

namespace Glassbox.Explain;

/// <summary>
/// One of the dataset inputs that excite a channel most: its index in the dataset, the channel's largest activation on
/// it, and where on the channel's grid that maximum lies (the first in row-major order on ties).
/// </summary>
public readonly record struct ChannelExample(int Index, float Activation, int X, int Y);

/// <summary>
/// For every channel of one layer ([channels, height, width] per input), the inputs that excite it most, best first,
/// and the share of the dataset's inputs on which the channel is positive anywhere (0: a dead unit, after a ReLU).
/// </summary>
public sealed record LayerExamples(string Layer, int Channels, int Width, int Height, ChannelExample[][] Top, float[] ActiveShare)
{
    /// <summary>Channels never positive on any input of the dataset.</summary>
    public int[] DeadChannels() => [.. Enumerable.Range(0, Channels).Where(c => ActiveShare[c] == 0f)];

    /// <summary>
    /// Draws <paramref name="picture"/> (the example as the dataset shows it) scaled into a <paramref name="tile"/>-pixel
    /// square of <paramref name="target"/> at (<paramref name="left"/>, <paramref name="top"/>), keeping its shape, with
    /// where the channel fired outlined in <paramref name="outline"/>.
    /// </summary>
    public void DrawExample(RgbaImage target, int left, int top, int tile, ChannelExample example, RgbaImage picture, uint outline)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(picture);
        float scale = (float)tile / Math.Max(picture.Width, picture.Height);
        for (int y = 0; y < tile; y++)
            for (int x = 0; x < tile; x++)
                target[left + x, top + y] = picture[Math.Min(picture.Width - 1, (int)(x / scale)), Math.Min(picture.Height - 1, (int)(y / scale))];
        var box = Region(example, picture.Width, picture.Height);
        int x0 = left + (int)(box.X0 * scale), y0 = top + (int)(box.Y0 * scale);
        int x1 = Math.Max(x0, left + (int)(box.X1 * scale) - 1), y1 = Math.Max(y0, top + (int)(box.Y1 * scale) - 1);
        for (int x = x0; x <= x1; x++)
        {
            target[x, y0] = outline;
            target[x, y1] = outline;
        }
        for (int y = y0; y <= y1; y++)
        {
            target[x0, y] = outline;
            target[x1, y] = outline;
        }
    }

    /// <summary>
    /// The input pixels the maximum's grid cell covers (cells scaled onto the input): where the channel fired, as a box
    /// to outline on the example.
    /// </summary>
    public PixelBox Region(ChannelExample example, int inputWidth, int inputHeight)
    {
        int x0 = example.X * inputWidth / Width, y0 = example.Y * inputHeight / Height;
        int x1 = Math.Max(x0 + 1, (example.X + 1) * inputWidth / Width), y1 = Math.Max(y0 + 1, (example.Y + 1) * inputHeight / Height);
        return new PixelBox(x0, y0, x1, y1);
    }
}

/// <summary>Writes dataset input <paramref name="index"/>, preprocessed, into <paramref name="destination"/>.</summary>
public delegate void DatasetFill(int index, Span<float> destination);

/// <summary>
/// The top examples of every channel over a dataset (the "top images" of Yosinski's Deep Visualization Toolbox): the
/// model runs over the dataset in batches with the layers tapped, and each channel keeps the k inputs with the largest
/// maximum activation (ties: the lower dataset index first). The same batch size gives the same ranking; ONNX Runtime
/// may round a convolution differently at another batch size, which can reorder inputs whose activations tie exactly.
/// </summary>
public static class ChannelExamples
{
    private static readonly HashSet<string> Monotone = ["Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "Clip", "HardSigmoid", "Elu", "Selu", "Softplus"];

    /// <summary>
    /// The feature maps worth ranking: every spatial layer with a known channel count, except one whose ranking another
    /// repeats: a layer whose only reader is a monotone activation (the activation ranks the same inputs first) and a
    /// max pooling (its maxima are its input's, on a coarser grid).
    /// </summary>
    public static IReadOnlyList<string> RankedLayers(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var readers = model.Nodes.SelectMany(n => n.Inputs.Select(i => (Input: i, Node: n))).ToLookup(r => r.Input, r => r.Node, StringComparer.Ordinal);
        return [.. model.Layers()
            .Where(l => l.IsSpatial && l.Shape is { } s && s[1] > 0 && model.Outputs.All(o => o.Name != l.Output))
            .Where(l => l.OpType is not ("MaxPool" or "GlobalMaxPool"))
            .Where(l => readers[l.Output].ToList() is not [{ } only] || !Monotone.Contains(only.OpType))
            .Select(l => l.Output)
            .Distinct()];
    }

    /// <summary>
    /// The layer of <see cref="RankedLayers"/> whose ranking is <paramref name="layer"/>'s: itself; for a layer left out
    /// because another repeats its ranking, the monotone activation that alone reads it or, for a max pooling, its
    /// input's. Null when no ranked layer ranks it (a layer without a grid, a sum read by several).
    /// </summary>
    public static string? RankedLayerFor(OnnxModel model, string layer)
    {
        ArgumentNullException.ThrowIfNull(model);
        var ranked = RankedLayers(model).ToHashSet(StringComparer.Ordinal);
        var readers = model.Nodes.SelectMany(n => n.Inputs.Select(i => (Input: i, Node: n))).ToLookup(r => r.Input, r => r.Node, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (seen.Add(layer))
        {
            if (ranked.Contains(layer))
                return layer;
            if (model.ProducerOf(layer) is { OpType: "MaxPool" or "GlobalMaxPool" } pool)
                layer = pool.Inputs[0];
            else if (readers[layer].ToList() is [{ Outputs.Length: > 0 } only] && Monotone.Contains(only.OpType))
                layer = only.Outputs[0];
            else
                return null;
        }
        return null;
    }

    /// <param name="model">The model; its input must have static channels, height and width.</param>
    /// <param name="layers">Tensors to rank for, each [batch, channels, height, width] (or [batch, channels]).</param>
    /// <param name="count">Dataset size.</param>
    /// <param name="fill">Writes dataset input <c>i</c>, preprocessed, into the span (channels × height × width).</param>
    public static IReadOnlyList<LayerExamples> Find(OnnxModel model, IReadOnlyList<string> layers, int count, DatasetFill fill, int top = 9,
                                                    int batch = 64, InferenceOptions? inference = null, IProgress<int>? progress = null,
                                                    CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(fill);
        if (layers.Count == 0)
            throw new GlassboxException("Name at least one layer to find examples for.");
        if (top < 1 || count < 1)
            throw new GlassboxException($"Top examples need a dataset ({count} inputs) and a number to keep ({top}), both at least 1.");
        var input = model.Inputs[0];
        if (input.Shape.Rank != 4 || Enumerable.Range(1, 3).Any(i => input.Shape[i] < 1))
            throw new GlassboxException($"Model input '{input.Name}' is {input.Shape}; top examples need [batch, channels, height, width] with a fixed size (--size for a free one).");
        int size = (int)(input.Shape[1] * input.Shape[2] * input.Shape[3]);
        // A model with a fixed batch of 1 runs one input at a time.
        string? batchName = input.Shape[0] < 0 ? input.Shape.SymbolAt(0) ?? "batch" : null;
        batch = batchName is null ? 1 : Math.Clamp(batch, 1, count);

        using var session = ModelSession.Open(model.WithExtraOutputs(layers), inference ?? InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu] });
        using var run = session.CreateRun(outputs: layers, dimensions: batchName is null ? null : new Dictionary<string, long> { [batchName] = batch });
        var rankers = new Ranker[layers.Count];
        for (int start = 0; start < count; start += batch)
        {
            cancellation.ThrowIfCancellationRequested();
            int n = Math.Min(batch, count - start);
            var inputs = run.Input<float>(input.Name);
            inputs.Clear();
            for (int i = 0; i < n; i++)
                fill(start + i, inputs.Slice(i * size, size));
            run.Execute();
            for (int l = 0; l < layers.Count; l++)
            {
                var values = run.Output<float>(layers[l]);
                var shape = run.OutputInfos.First(o => o.Name == layers[l]).Shape;
                rankers[l] ??= Ranker.For(layers[l], shape, top);
                rankers[l].Add(values, start, n);
            }
            progress?.Report(start + n);
        }
        return [.. rankers.Select(r => r.Result())];
    }

    /// <summary>Keeps, per channel, the best k (activation descending, index ascending).</summary>
    private sealed class Ranker(string layer, int channels, int height, int width, int top)
    {
        private readonly List<ChannelExample>[] _best = [.. Enumerable.Range(0, channels).Select(_ => new List<ChannelExample>(top + 1))];
        private readonly long[] _active = new long[channels];
        private long _seen;

        public static Ranker For(string layer, TensorShape shape, int top) => shape.Rank switch
        {
            4 => new Ranker(layer, (int)shape[1], (int)shape[2], (int)shape[3], top),
            2 => new Ranker(layer, (int)shape[1], 1, 1, top),
            _ => throw new GlassboxException($"Layer '{layer}' is {shape}; top examples rank channels of [batch, channels, height, width] or [batch, channels]."),
        };

        public void Add(ReadOnlySpan<float> values, int first, int n)
        {
            int plane = height * width, sample = channels * plane;
            for (int i = 0; i < n; i++)
            {
                for (int c = 0; c < channels; c++)
                {
                    var cell = values.Slice(i * sample + c * plane, plane);
                    int at = 0;
                    for (int p = 1; p < plane; p++)
                    {
                        if (cell[p] > cell[at])
                            at = p;
                    }
                    Offer(_best[c], new ChannelExample(first + i, cell[at], at % width, at / width));
                    if (cell[at] > 0f)
                        _active[c]++;
                }
            }
            _seen += n;
        }

        private void Offer(List<ChannelExample> best, ChannelExample candidate)
        {
            // Inputs arrive in index order, so an equal activation never displaces an earlier input.
            if (best.Count == top && !(candidate.Activation > best[^1].Activation))
                return;
            int position = best.Count;
            while (position > 0 && candidate.Activation > best[position - 1].Activation)
                position--;
            best.Insert(position, candidate);
            if (best.Count > top)
                best.RemoveAt(best.Count - 1);
        }

        public LayerExamples Result() => new(layer, channels, width, height, [.. _best.Select(b => b.ToArray())], [.. _active.Select(a => (float)((double)a / _seen))]);
    }
}
