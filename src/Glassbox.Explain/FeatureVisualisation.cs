using System.Collections.Immutable;
using Glassbox.Inference;
using Glassbox.Onnx;
using Glassbox.Onnx.Gradients;

namespace Glassbox.Explain;

/// <summary>What a synthesised input maximises.</summary>
public enum FeatureObjective
{
    /// <summary>
    /// One unit of the channel: at the centre of its grid (the unit Yosinski's Deep Visualization Toolbox shows), or
    /// where <see cref="Synthesise"/> is told (where the channel fires most on a dataset, say).
    /// </summary>
    CentreUnit,
    /// <summary>The channel's mean over its grid (Lucid's "channel" objective).</summary>
    ChannelMean,
}

/// <summary>
/// Settings of feature visualisation by gradient ascent (Olah et al. 2017, "Feature Visualization"): the image is
/// parametrised as a sum of a Laplacian-like pyramid of resolutions (a frequency parametrisation: coarse structure is
/// cheap, high frequencies are damped) and, for three-channel models, in decorrelated colour; each step sees it jittered,
/// scaled and rotated (transformation robustness) and total variation is penalised.
/// </summary>
public sealed record FeatureVisualisationOptions
{
    public FeatureObjective Objective { get; init; } = FeatureObjective.CentreUnit;
    public int Steps { get; init; } = 256;
    public float LearningRate { get; init; } = 0.05f;
    /// <summary>Largest shift, in pixels, each step (both axes).</summary>
    public int Jitter { get; init; } = 1;
    /// <summary>Scales drawn from, each step.</summary>
    public ImmutableArray<float> Scales { get; init; } = [1f, 0.975f, 1.025f, 0.95f, 1.05f];
    /// <summary>Rotations drawn from, in degrees, each step.</summary>
    public ImmutableArray<float> Rotations { get; init; } = [-5f, -2.5f, 0f, 2.5f, 5f];
    /// <summary>Weight of the total-variation penalty on the 0–1 image, relative to the objective's gradient (scaled to unit RMS).</summary>
    public float TotalVariation { get; init; } = 0.05f;
    /// <summary>
    /// Weight of an L2 pull towards the starting level, relative to the objective's gradient (scaled to unit RMS): 0 lets
    /// pixels saturate; about 2 keeps a linear unit's maximiser proportional to its filter.
    /// </summary>
    public float Decay { get; init; } = 0.1f;

    /// <summary>Pyramid levels (1 is plain pixels).</summary>
    public int Levels { get; init; } = 3;
    /// <summary>Standard deviation of the seeded noise the parameters start from (0: plain grey).</summary>
    public float InitialNoise { get; init; } = 0.5f;

    /// <summary>
    /// The starting pixel level as a logit (0: grey, as Lucid starts; the logit of a dataset's mean pixel starts where
    /// its images live, near black for MNIST); <see cref="LevelOf"/> turns a 0–1 level into it.
    /// </summary>
    public float InitialLevel { get; init; }

    /// <summary>The <see cref="InitialLevel"/> of a 0–1 pixel level.</summary>
    public static float LevelOf(float pixel)
    {
        float p = Math.Clamp(pixel, 0.01f, 0.99f);
        return MathF.Log(p / (1f - p));
    }

    public int Seed { get; init; }
    /// <summary>Channels optimised together in one batch.</summary>
    public int Batch { get; init; } = 32;

    public static FeatureVisualisationOptions Default { get; } = new();
}

/// <summary>
/// One channel's synthesised input: pixels in 0–1 ([channels, height, width], the model's own channel order), the
/// objective on the final image as it is (no transform), and the objective every 16 steps of the ascent.
/// </summary>
public sealed record FeatureImage(int Channel, float[] Pixels, float Objective, float[] Progress)
{
    /// <summary>
    /// The image as a picture of <paramref name="width"/> × <paramref name="height"/> (the model's input size): grey for
    /// one channel, colour from the first three otherwise.
    /// </summary>
    public RgbaImage ToPicture(int width, int height)
    {
        int plane = width * height, channels = Pixels.Length / Math.Max(1, plane);
        if (channels < 1 || channels * plane != Pixels.Length)
            throw new GlassboxException($"A synthesised image of {Pixels.Length} values is not {width}×{height} pixels of whole channels.");
        var picture = new RgbaImage(width, height);
        for (int p = 0; p < plane; p++)
        {
            byte Level(int channel) => (byte)Colormaps.IndexOf(Pixels[Math.Min(channel, channels - 1) * plane + p]);
            picture.Pixels[p] = RgbaImage.Pack(Level(0), Level(1), Level(2));
        }
        return picture;
    }
}

/// <summary>
/// Synthesises inputs that maximise channels of one layer through Glassbox's own gradient graph, seeded at the layer
/// (not the logits). Holds the derived graph's session; one instance serves any channels of its layer.
/// </summary>
public sealed class FeatureVisualiser : IDisposable
{
    /// <summary>Lucid's square root of ImageNet's colour correlation (an SVD), columns normalised by the largest norm.</summary>
    private static readonly float[] ColourCorrelation = Normalised([0.26f, 0.09f, 0.02f, 0.27f, 0.00f, -0.05f, 0.27f, -0.09f, 0.03f]);

    private readonly ModelSession _session;
    private readonly GradientGraph _graph;
    private readonly string _input, _layer;
    private readonly bool _fixedBatch;
    private readonly float[] _black, _white;
    private readonly int _channels, _height, _width, _layerChannels, _layerHeight, _layerWidth;

    public FeatureVisualiser(OnnxModel model, string layer, ReadOnlySpan<float> blackLevel, ReadOnlySpan<float> whiteLevel, InferenceOptions? inference = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var input = model.Inputs[0];
        if (input.Shape.Rank != 4 || Enumerable.Range(1, 3).Any(i => input.Shape[i] < 1))
            throw new GlassboxException($"Model input '{input.Name}' is {input.Shape}; feature visualisation needs [batch, channels, height, width] with a fixed size.");
        (_input, _layer) = (input.Name, layer);
        _fixedBatch = input.Shape[0] > 0;
        (_channels, _height, _width) = ((int)input.Shape[1], (int)input.Shape[2], (int)input.Shape[3]);
        _black = Levels(blackLevel, _channels, 0f);
        _white = Levels(whiteLevel, _channels, 1f);
        // A ReLU's output has no gradient where the unit is off (everywhere, on a grey start): ascend on its input,
        // which has the same maximiser where the unit is on, and report the output.
        string ascended = model.ProducerOf(layer) is { OpType: "Relu" } relu ? relu.Inputs[0] : layer;
        _graph = GradientGraph.Derive(model.UpTo(ascended == layer ? [layer] : [layer, ascended]), ascended, [input.Name]);
        _session = ModelSession.Open(_graph.Model, inference ?? InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu] });
        var shape = _session.Inputs.First(i => i.Name == _graph.SeedInput).Shape;
        if (shape.Rank != 4 || Enumerable.Range(1, 3).Any(i => shape[i] < 1))
            throw new GlassboxException($"Layer '{layer}' is {shape}; feature visualisation maximises channels of a [batch, channels, height, width] feature map.");
        (_layerChannels, _layerHeight, _layerWidth) = ((int)shape[1], (int)shape[2], (int)shape[3]);
    }

    public int LayerChannels => _layerChannels;

    /// <summary>The inputs that maximise <paramref name="channels"/>, in their order; <paramref name="progress"/> hears each finished step.</summary>
    /// <param name="units">For the unit objective, the grid cell (x, y) of each channel's unit; null for the centre.</param>
    /// <param name="snapshots">
    /// Hears each channel's image as it converges: every 16 steps, the image so far with the objective on it (as the
    /// ascent saw it, transformed) and the objective history; a live view shows them.
    /// </param>
    public IReadOnlyList<FeatureImage> Synthesise(IReadOnlyList<int> channels, FeatureVisualisationOptions? options = null, IProgress<int>? progress = null,
                                                  CancellationToken cancellation = default, IReadOnlyList<(int X, int Y)>? units = null,
                                                  IProgress<FeatureImage>? snapshots = null)
    {
        ArgumentNullException.ThrowIfNull(channels);
        options ??= FeatureVisualisationOptions.Default;
        if (channels.Any(c => c < 0 || c >= _layerChannels))
            throw new GlassboxException($"Layer '{_layer}' has channels 0 to {_layerChannels - 1}; {string.Join(", ", channels.Where(c => c < 0 || c >= _layerChannels))} is not one.");
        if (units is not null && (units.Count != channels.Count || units.Any(u => u.X < 0 || u.Y < 0 || u.X >= _layerWidth || u.Y >= _layerHeight)))
            throw new GlassboxException($"Give one unit per channel, inside the {_layerWidth}×{_layerHeight} grid of '{_layer}'.");
        if (options.Steps < 1 || options.Levels < 1 || options.Batch < 1)
            throw new GlassboxException("Feature visualisation needs at least one step, one pyramid level and a batch of one.");
        var results = new List<FeatureImage>();
        int done = 0;
        // A model whose batch is fixed at 1 takes one channel at a time.
        int batch = _fixedBatch ? 1 : options.Batch;
        for (int start = 0; start < channels.Count; start += batch)
        {
            var chunk = channels.Skip(start).Take(batch).ToArray();
            var cells = Enumerable.Range(start, chunk.Length).Select(i => units?[i] ?? (_layerWidth / 2, _layerHeight / 2)).ToArray();
            results.AddRange(Ascend(chunk, cells, options, new Progress(progress, done, options.Steps), cancellation, snapshots));
            done += options.Steps;
        }
        return results;
    }

    private sealed class Progress(IProgress<int>? inner, int offset, int steps)
    {
        public void Step(int step) => inner?.Report(offset + step + 1);
        public int Steps => steps;
    }

    private IReadOnlyList<FeatureImage> Ascend(int[] channels, (int X, int Y)[] cells, FeatureVisualisationOptions options, Progress progress, CancellationToken cancellation,
                                               IProgress<FeatureImage>? snapshots)
    {
        int rows = channels.Length, plane = _height * _width, size = _channels * plane;
        var pyramid = new Pyramid(_height, _width, options.Levels);
        var parameters = new float[rows * _channels * pyramid.Size];
        var adam = new Adam(parameters.Length, options.LearningRate);
        var random = new Random(options.Seed);
        for (int i = 0; i < parameters.Length; i++)
            parameters[i] = options.InitialNoise * (float)random.NextGaussian() + (pyramid.IsFinest(i % pyramid.Size) ? options.InitialLevel : 0f);
        // Whole shapes, whatever the model calls its batch axis.
        using var run = _session.CreateRun(inputShapes: new Dictionary<string, TensorShape>
        {
            [_input] = TensorShape.Of(rows, _channels, _height, _width),
            [_graph.SeedInput] = TensorShape.Of(rows, _layerChannels, _layerHeight, _layerWidth),
        });
        FillSeed(run.Input<float>(_graph.SeedInput), channels, cells, options.Objective);

        float start = 1f / (1f + MathF.Exp(-options.InitialLevel));
        var image = new float[rows * size];          // 0–1, before the transform
        var logits = new float[rows * size];         // before the sigmoid
        var transforms = Enumerable.Range(0, rows).Select(_ => new Resampler(_height, _width)).ToArray();
        var gradient = new float[parameters.Length];
        var imageGradient = new float[rows * size];
        var scaled = new float[plane];
        var history = Enumerable.Range(0, rows).Select(_ => new List<float>()).ToArray();
        for (int step = 0; step <= options.Steps; step++)
        {
            cancellation.ThrowIfCancellationRequested();
            bool last = step == options.Steps;
            Render(parameters, pyramid, rows, logits, image);
            var input = run.Input<float>(_input);
            for (int r = 0; r < rows; r++)
            {
                if (last)
                    transforms[r].Set(0, 0, 1, 0);
                else
                    transforms[r].SetRandom(options, random);
                for (int c = 0; c < _channels; c++)
                {
                    var target = input.Slice(r * size + c * plane, plane);
                    transforms[r].Apply(image.AsSpan(r * size + c * plane, plane), target);
                    float black = _black[c], range = _white[c] - _black[c];
                    for (int i = 0; i < plane; i++)
                        target[i] = black + range * target[i];
                }
            }
            run.Execute();
            var activations = run.Output<float>(_layer);
            for (int r = 0; r < rows; r++)
            {
                if (step % 16 == 0 || last)
                {
                    history[r].Add(Objective(activations, r, channels[r], cells[r], options.Objective));
                    if (!last)
                        snapshots?.Report(new FeatureImage(channels[r], image.AsSpan(r * size, size).ToArray(), history[r][^1], [.. history[r]]));
                }
            }
            if (last)
                break;

            // d objective / d image: back through the transform, then the penalty; then through the sigmoid and the parametrisation.
            var inputGradient = run.Output<float>(_graph.GradientOutputs[_input]);
            Array.Clear(imageGradient, 0, imageGradient.Length);
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < _channels; c++)
                {
                    var g = inputGradient.Slice(r * size + c * plane, plane);
                    float range = _white[c] - _black[c];
                    for (int i = 0; i < plane; i++)
                        scaled[i] = range * g[i];
                    transforms[r].Adjoint(scaled, imageGradient.AsSpan(r * size + c * plane, plane));
                }
                // The objective's gradient scaled to unit RMS: the penalties' weights mean the same on every model and layer.
                var rowGradient = imageGradient.AsSpan(r * size, size);
                double squares = 0;
                foreach (float g in rowGradient)
                    squares += (double)g * g;
                float rms = (float)Math.Sqrt(squares / size);
                if (rms > 0f)
                {
                    for (int i = 0; i < size; i++)
                        rowGradient[i] /= rms;
                }
                for (int c = 0; c < _channels; c++)
                {
                    var pixels = image.AsSpan(r * size + c * plane, plane);
                    var pixelGradient = imageGradient.AsSpan(r * size + c * plane, plane);
                    TotalVariationGradient(pixels, pixelGradient, options.TotalVariation);
                    // L2 towards the starting level (Simonyan et al. 2014): without it a linear unit's maximiser is its filter's sign pattern.
                    for (int i = 0; i < plane; i++)
                        pixelGradient[i] -= options.Decay * (pixels[i] - start) * 2f;
                }
            }
            for (int i = 0; i < image.Length; i++)
                imageGradient[i] *= image[i] * (1f - image[i]);
            Unrender(imageGradient, pyramid, rows, gradient);
            adam.Ascend(parameters, gradient);
            progress.Step(step);
        }
        return [.. Enumerable.Range(0, rows).Select(r => new FeatureImage(channels[r], image.AsSpan(r * size, size).ToArray(), history[r][^1], [.. history[r]]))];
    }

    private void FillSeed(Span<float> seed, int[] channels, (int X, int Y)[] cells, FeatureObjective objective)
    {
        seed.Clear();
        int plane = _layerHeight * _layerWidth, sample = _layerChannels * plane;
        for (int r = 0; r < channels.Length; r++)
        {
            var target = seed.Slice(r * sample + channels[r] * plane, plane);
            if (objective == FeatureObjective.ChannelMean)
                target.Fill(1f / plane);
            else
                target[cells[r].Y * _layerWidth + cells[r].X] = 1f;
        }
    }

    private float Objective(ReadOnlySpan<float> activations, int row, int channel, (int X, int Y) cell, FeatureObjective objective)
    {
        int plane = _layerHeight * _layerWidth;
        var values = activations.Slice(row * _layerChannels * plane + channel * plane, plane);
        if (objective == FeatureObjective.CentreUnit)
            return values[cell.Y * _layerWidth + cell.X];
        float sum = 0f;
        foreach (float v in values)
            sum += v;
        return sum / plane;
    }

    /// <summary>Parameters → image: the pyramid summed to full size, decorrelated colour mixed (three channels), a sigmoid.</summary>
    private void Render(float[] parameters, Pyramid pyramid, int rows, float[] logits, float[] image)
    {
        int plane = _height * _width, size = _channels * plane;
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < _channels; c++)
                pyramid.Compose(parameters.AsSpan((r * _channels + c) * pyramid.Size, pyramid.Size), logits.AsSpan(r * size + c * plane, plane));
            if (_channels == 3)
                MixColour(logits.AsSpan(r * size, size), plane, transpose: false);
        }
        for (int i = 0; i < image.Length; i++)
            image[i] = 1f / (1f + MathF.Exp(-logits[i]));
    }

    /// <summary>The adjoint of <see cref="Render"/> before the sigmoid: image gradients → parameter gradients.</summary>
    private void Unrender(float[] imageGradient, Pyramid pyramid, int rows, float[] gradient)
    {
        int plane = _height * _width, size = _channels * plane;
        for (int r = 0; r < rows; r++)
        {
            if (_channels == 3)
                MixColour(imageGradient.AsSpan(r * size, size), plane, transpose: true);
            for (int c = 0; c < _channels; c++)
                pyramid.Decompose(imageGradient.AsSpan(r * size + c * plane, plane), gradient.AsSpan((r * _channels + c) * pyramid.Size, pyramid.Size));
        }
    }

    private static void MixColour(Span<float> rgb, int plane, bool transpose)
    {
        for (int i = 0; i < plane; i++)
        {
            float a = rgb[i], b = rgb[plane + i], c = rgb[2 * plane + i];
            for (int o = 0; o < 3; o++)
            {
                rgb[o * plane + i] = transpose
                    ? ColourCorrelation[o] * a + ColourCorrelation[3 + o] * b + ColourCorrelation[6 + o] * c
                    : ColourCorrelation[o * 3] * a + ColourCorrelation[o * 3 + 1] * b + ColourCorrelation[o * 3 + 2] * c;
            }
        }
    }

    /// <summary>Adds −weight · ∂TV/∂x for TV = Σ |x(i+1,j) − x(i,j)| + |x(i,j+1) − x(i,j)| (smoothed: √(d² + 1e-4)).</summary>
    private void TotalVariationGradient(ReadOnlySpan<float> x, Span<float> gradient, float weight)
    {
        if (weight == 0f)
            return;
        for (int y = 0; y < _height; y++)
        {
            for (int c = 0; c < _width; c++)
            {
                int i = y * _width + c;
                if (c + 1 < _width)
                {
                    float d = x[i + 1] - x[i], g = weight * d / MathF.Sqrt(d * d + 1e-4f);
                    gradient[i + 1] -= g;
                    gradient[i] += g;
                }
                if (y + 1 < _height)
                {
                    float d = x[i + _width] - x[i], g = weight * d / MathF.Sqrt(d * d + 1e-4f);
                    gradient[i + _width] -= g;
                    gradient[i] += g;
                }
            }
        }
    }

    public void Dispose() => _session.Dispose();

    private static float[] Levels(ReadOnlySpan<float> levels, int channels, float fallback) =>
        levels.Length == channels ? levels.ToArray() : levels.Length == 1 ? Enumerable.Repeat(levels[0], channels).ToArray() : Enumerable.Repeat(fallback, channels).ToArray();

    private static float[] Normalised(float[] matrix)
    {
        float largest = Enumerable.Range(0, 3).Max(col => MathF.Sqrt(Enumerable.Range(0, 3).Sum(row => matrix[row * 3 + col] * matrix[row * 3 + col])));
        return [.. matrix.Select(v => v / largest)];
    }

    /// <summary>
    /// The image as a sum of levels at full, half, quarter … resolution, each level repeated over its blocks (nearest
    /// upsampling); the adjoint sums each block's gradient. Coarse levels move whole regions at once.
    /// </summary>
    private sealed class Pyramid
    {
        private readonly int _height, _width;
        private readonly (int Height, int Width, int Factor, int Offset)[] _levels;

        public Pyramid(int height, int width, int levels)
        {
            (_height, _width) = (height, width);
            var list = new List<(int, int, int, int)>();
            int offset = 0;
            for (int k = 0, factor = 1; k < levels && (factor == 1 || (height >= factor * 2 && width >= factor * 2)); k++, factor *= 2)
            {
                int h = (height + factor - 1) / factor, w = (width + factor - 1) / factor;
                list.Add((h, w, factor, offset));
                offset += h * w;
            }
            _levels = [.. list];
            Size = offset;
        }

        public int Size { get; }

        /// <summary>Whether parameter <paramref name="index"/> belongs to the full-resolution level.</summary>
        public bool IsFinest(int index) => index < _levels[0].Height * _levels[0].Width;

        // Factors are powers of two: a shift finds a pixel's block (this runs three times per pixel per step).
        public void Compose(ReadOnlySpan<float> parameters, Span<float> image)
        {
            image.Clear();
            foreach (var (h, w, factor, offset) in _levels)
            {
                int shift = Log2(factor);
                for (int y = 0; y < _height; y++)
                {
                    var row = image.Slice(y * _width, _width);
                    var level = parameters.Slice(offset + (y >> shift) * w, w);
                    for (int x = 0; x < row.Length; x++)
                        row[x] += level[x >> shift];
                }
            }
        }

        public void Decompose(ReadOnlySpan<float> gradient, Span<float> parameters)
        {
            parameters.Clear();
            foreach (var (h, w, factor, offset) in _levels)
            {
                int shift = Log2(factor);
                for (int y = 0; y < _height; y++)
                {
                    var row = gradient.Slice(y * _width, _width);
                    var level = parameters.Slice(offset + (y >> shift) * w, w);
                    for (int x = 0; x < row.Length; x++)
                        level[x >> shift] += row[x];
                }
            }
        }

        private static int Log2(int factor)
        {
            int shift = 0;
            while (1 << shift < factor)
                shift++;
            return shift;
        }
    }

    /// <summary>
    /// Bilinear resampling by a shift, scale and rotation about the centre, with its exact adjoint (pixels outside read
    /// 0.5, grey). One per batch row, set again each step: its tables are the size of the image.
    /// </summary>
    private sealed class Resampler
    {
        private readonly int _height, _width;
        private readonly int[] _index;
        private readonly float[] _weight;
        private readonly float[] _constant;

        public Resampler(int height, int width)
        {
            (_height, _width) = (height, width);
            _index = new int[height * width * 4];
            _weight = new float[height * width * 4];
            _constant = new float[height * width];
            Set(0, 0, 1, 0);
        }

        public void Set(float shiftX, float shiftY, float scale, float degrees)
        {
            Array.Clear(_index, 0, _index.Length);
            Array.Clear(_weight, 0, _weight.Length);
            Array.Clear(_constant, 0, _constant.Length);
            double angle = degrees * Math.PI / 180, cos = Math.Cos(angle), sin = Math.Sin(angle);
            double cx = (_width - 1) / 2.0, cy = (_height - 1) / 2.0;
            for (int y = 0; y < _height; y++)
            {
                for (int x = 0; x < _width; x++)
                {
                    // Where output (x, y) reads from: the inverse of shift ∘ rotate ∘ scale about the centre.
                    double dx = x - cx - shiftX, dy = y - cy - shiftY;
                    double sx = (cos * dx + sin * dy) / scale + cx, sy = (-sin * dx + cos * dy) / scale + cy;
                    int x0 = (int)Math.Floor(sx), y0 = (int)Math.Floor(sy);
                    float fx = (float)(sx - x0), fy = (float)(sy - y0);
                    int o = y * _width + x;
                    for (int t = 0; t < 4; t++)
                    {
                        int tx = x0 + (t & 1), ty = y0 + (t >> 1);
                        float w = ((t & 1) == 0 ? 1 - fx : fx) * ((t >> 1) == 0 ? 1 - fy : fy);
                        if (tx >= 0 && tx < _width && ty >= 0 && ty < _height)
                        {
                            _index[o * 4 + t] = ty * _width + tx;
                            _weight[o * 4 + t] = w;
                        }
                        else
                        {
                            _constant[o] += 0.5f * w;
                        }
                    }
                }
            }
        }

        public void SetRandom(FeatureVisualisationOptions options, Random random) =>
            Set(random.Next(-options.Jitter, options.Jitter + 1), random.Next(-options.Jitter, options.Jitter + 1),
                options.Scales.IsDefaultOrEmpty ? 1f : options.Scales[random.Next(options.Scales.Length)],
                options.Rotations.IsDefaultOrEmpty ? 0f : options.Rotations[random.Next(options.Rotations.Length)]);

        public void Apply(ReadOnlySpan<float> source, Span<float> target)
        {
            for (int o = 0; o < target.Length; o++)
            {
                float v = _constant[o];
                for (int t = 0; t < 4; t++)
                    v += _weight[o * 4 + t] * source[_index[o * 4 + t]];
                target[o] = v;
            }
        }

        public void Adjoint(ReadOnlySpan<float> targetGradient, Span<float> sourceGradient)
        {
            for (int o = 0; o < targetGradient.Length; o++)
                for (int t = 0; t < 4; t++)
                    sourceGradient[_index[o * 4 + t]] += _weight[o * 4 + t] * targetGradient[o];
        }
    }

    /// <summary>Adam (Kingma and Ba 2015) ascending: the learning rate is a step size per parameter, whatever the gradient's scale.</summary>
    private sealed class Adam(int count, float learningRate)
    {
        private readonly float[] _m = new float[count], _v = new float[count];
        private int _t;

        public void Ascend(float[] parameters, float[] gradient)
        {
            _t++;
            float c1 = 1f - MathF.Pow(0.9f, _t), c2 = 1f - MathF.Pow(0.999f, _t);
            for (int i = 0; i < parameters.Length; i++)
            {
                _m[i] = 0.9f * _m[i] + 0.1f * gradient[i];
                _v[i] = 0.999f * _v[i] + 0.001f * gradient[i] * gradient[i];
                parameters[i] += learningRate * (_m[i] / c1) / (MathF.Sqrt(_v[i] / c2) + 1e-8f);
            }
        }
    }
}
