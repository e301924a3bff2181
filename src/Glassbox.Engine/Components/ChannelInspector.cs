using System.Globalization;
using Glassbox.Engine.Live;
using Glassbox.Explain;
using Glassbox.Onnx;
using Glassbox.Visualisation;

namespace Glassbox.Engine;

/// <summary>
/// The channel selected in a <see cref="NetworkView"/>, looked at six ways (Yosinski's Deep Visualization Toolbox, for
/// the user's own model): its live activation enlarged; its kernel (the first layer's filters as pictures, a deeper
/// layer's as a weight per input channel and kernel position); how much it contributes to the score the inference
/// explains now (gradient × activation summed over the channel, with its map and its rank in the layer); a live
/// histogram of its layer's values with the channel's own in colour; the nine dataset inputs that excite it most with
/// where it fired outlined (and how often it fires on the dataset, and how many of its layer's channels never do); and
/// an input synthesised to excite it, shown as the ascent converges.
/// The examples and the synthesis run in the background, with progress on screen, and are kept in the
/// <see cref="CacheFolder"/> by model and dataset hash: the live view never waits for them, and a second start reads them.
/// </summary>
public sealed class ChannelInspector : Component
{
    /// <summary>The view whose selected channel this shows: set in code, or in a scene file by the entity holding it ("view": "Network"); unset, the scene's only one.</summary>
    public NetworkView? View { get; set; }

    /// <summary>The inference this reads (the view's, unless set): set in code, or in a scene file by the entity holding it.</summary>
    public CnnInference? Inference { get; set; }

    public int X { get; set; } = 660;

    public int Y { get; set; } = 400;

    public int Width { get; set; } = 600;

    public int Height { get; set; } = 200;

    /// <summary>
    /// Where the top examples come from: an MNIST IDX image file or a folder of images (relative paths from the scene's
    /// folder), prepared as the model's package says; empty for none (the other four views still show).
    /// </summary>
    public string Examples { get; set; } = "";

    /// <summary>How many inputs of <see cref="Examples"/> to rank (0 for all).</summary>
    public int ExampleCount { get; set; }

    /// <summary>Where examples and synthesised inputs are kept between runs; empty keeps nothing.</summary>
    public string CacheFolder { get; set; } = InsightCache.DefaultFolder;

    /// <summary>Steps of gradient ascent for the synthesised input.</summary>
    public int FeatureSteps { get; set; } = 256;

    public ColormapKind Colormap { get; set; } = ColormapKind.Viridis;

    private const int Top = 9, Gap = 8, Line = 18, Panels = 6;

    // Characters that fit a panel's and the whole width's line in the baked font (about 8 pixels each, digits wider than letters).
    private int PanelCharacters => Math.Max(6, (Width - (Panels - 1) * Gap) / Panels / 8);

    private int TitleCharacters => Math.Max(16, Width / 8);

    /// <summary>What the background has made for the current selection; replaced whole, read by the render thread.</summary>
    private sealed class Findings
    {
        public RgbaImage? Kernel;
        public string KernelCaption = "";
        /// <summary>Why there is no kernel, in lines that fit the kernel's panel; empty when there is one.</summary>
        public string[] KernelReason = [];
        public RgbaImage? Examples;
        public string ExamplesCaption = "";
        public ChannelExample[] Top = [];
        public RgbaImage? Feature;
        public string FeatureCaption = "";
        public FeatureImage? FeatureImage;
        /// <summary>The title with what the dataset says of the channel and its layer; empty until the ranking is in.</summary>
        public string Title = "";
    }

    private (OnnxModel Model, string Layer, int Channel)? _selection;
    private volatile Findings _findings = new();
    private CancellationTokenSource? _selectionWork;
    private Task<Examined>? _examplesTask;
    private OnnxModel? _examplesFor;
    private CancellationTokenSource? _examplesWork;
    // What the selection's study and the dataset ranking are doing (or why they stopped), for the status line.
    private volatile string _status = "", _examplesStatus = "";
    private int _examplesDone, _examplesTotal, _featureStep;

    // The live part, refilled once per result into buffers sized per selection: a frame allocates nothing.
    private InferenceResult? _shown;
    private RgbaImage? _activation, _contributionMap;
    private FeatureAtlasOptions? _activationOptions;
    private float[] _channelSums = [];
    // The layer's current values in equal bins from its least to its largest, and the selected channel's share of each.
    private const int Bins = 24;
    private readonly int[] _layerBins = new int[Bins], _channelBins = new int[Bins];
    private int _largestBin;
    private string _histogramCaption = "";
    // The numbers under the panels are written at most ten times a second (and once more when results stop): text is
    // made of new strings, and a result a frame would allocate every frame while the drawing changes.
    private static readonly TimeSpan CaptionInterval = TimeSpan.FromMilliseconds(100);
    private TimeSpan _captionsAt = TimeSpan.MinValue;
    private bool _captionsStale;
    private float _largestValue;
    private double _offShare;
    private string _title = "", _activationCaption = "", _contributionCaption = "";
    private int _progressShown = -1, _featureShown = -1;
    private string _progressCaption = "", _featureProgressCaption = "";
    private string? _statusShown;
    private string[] _statusLines = [];

    /// <summary>The selected channel's contribution to the explained score in the latest result it was measured on (Σ gradient × activation); null before one.</summary>
    public float? Contribution { get; private set; }

    /// <summary>The channel's rank by contribution in its layer (1 contributes most); 0 before one is measured.</summary>
    public int ContributionRank { get; private set; }

    /// <summary>The selected channel's top examples over the dataset, best first (empty until found, or with no dataset).</summary>
    public IReadOnlyList<ChannelExample> TopExamples => _findings.Top;

    /// <summary>The synthesised input as far as it has converged (its last snapshot, then the result); null before the first.</summary>
    public FeatureImage? Feature => _findings.FeatureImage;

    /// <summary>True once the kernel, the examples (with a dataset) and the synthesis of the selection are all done (or said why not).</summary>
    public bool Settled => _selection is not null && _findings is var f && f.FeatureCaption.Length > 0 && (_examplesTask is null || f.ExamplesCaption.Length > 0);

    /// <summary>Background work in progress, in words ("top examples 4,096 of 10,000"); empty when none.</summary>
    public string Progress => string.Join("; ", new[] { _examplesStatus, _status }.Where(s => s.Length > 0));

    protected internal override void Update(FrameTime time)
    {
        var view = Referenced(View, "view");
        var inference = Inference is not null ? Referenced(Inference, "inference") : view?.Inference ?? Referenced(Inference, "inference");
        if (view is null || inference?.Worker?.Explainer is not { } explainer)
            return;
        var model = explainer.SizedModel;
        if (Examples.Length > 0 && !ReferenceEquals(model, _examplesFor))
            StartExamples(model, inference);
        if (view.Selected is not { } selected)
        {
            if (_selection is not null)
            {
                // The view let its selection go (another model): so does the inspector, and the gradient is no longer asked for.
                _selection = null;
                _selectionWork?.Cancel();
                _findings = new Findings();
                _status = "";
                inference.GradientTap = null;
            }
            return;
        }
        if (_selection is not { } known || !ReferenceEquals(known.Model, model) || known.Layer != selected.Layer || known.Channel != selected.Channel)
            Select(model, explainer, inference, selected.Layer, selected.Channel);
        inference.GradientTap = selected.Layer;
        if (inference.Latest is { } result && !ReferenceEquals(result, _shown))
            Measure(result, selected.Layer, selected.Channel);
        if (_captionsStale && (_captionsAt == TimeSpan.MinValue || time.Elapsed - _captionsAt >= CaptionInterval))
            WriteCaptions(time.Elapsed);
    }

    private void Select(OnnxModel model, Explainer explainer, CnnInference inference, string layer, int channel)
    {
        _selection = (model, layer, channel);
        _selectionWork?.Cancel();
        var work = _selectionWork = new CancellationTokenSource();
        _findings = new Findings();
        _shown = null;
        Contribution = null;
        ContributionRank = 0;
        _title = Short($"{layer}, channel {channel}", TitleCharacters);
        var shape = model.Layers().FirstOrDefault(l => l.Output == layer)?.Shape;
        var (channels, height, width) = NetworkView.GridOf(shape) ?? (1, 1, 1);
        _activation = new RgbaImage(Math.Max(1, width), Math.Max(1, height));
        _contributionMap = new RgbaImage(Math.Max(1, width), Math.Max(1, height));
        _channelSums = new float[channels];
        _activationOptions = NetworkView.GridOf(shape) is null || channel < 0 || channel >= channels ? null
            : (FeatureAtlasOptions.Default with { Channels = [channel], Columns = 1, Gutter = 0, Scale = 1, Colormap = Colormap }).Validate(channels);
        _activationCaption = "";
        _contributionCaption = "waiting";
        _captionsAt = TimeSpan.MinValue;
        string sha = inference.Package?.Sha256 ?? "";
        var black = explainer.BlackLevel.ToArray();
        var white = explainer.WhiteLevel.ToArray();
        var examples = _examplesTask;
        var options = FeatureVisualisationOptions.Default with { Steps = Math.Max(1, FeatureSteps) };
        string cacheFolder = CacheFolder;
        _ = Task.Run(() => Study(model, sha, layer, channel, black, white, examples, options, cacheFolder, work.Token));
    }

    /// <summary>The background part: kernel, then the examples (when a dataset is being ranked), then the synthesis, each published as it is made.</summary>
    private async Task Study(OnnxModel model, string sha, string layer, int channel, float[] black, float[] white,
                             Task<Examined>? examplesTask, FeatureVisualisationOptions options, string cacheFolder,
                             CancellationToken cancellation)
    {
        var findings = new Findings();
        void Publish()
        {
            if (!cancellation.IsCancellationRequested)
                _findings = new Findings
                {
                    Kernel = findings.Kernel, KernelCaption = findings.KernelCaption, KernelReason = findings.KernelReason, Examples = findings.Examples, ExamplesCaption = findings.ExamplesCaption,
                    Top = findings.Top, Feature = findings.Feature, FeatureCaption = findings.FeatureCaption, FeatureImage = findings.FeatureImage,
                    Title = findings.Title,
                };
        }
        try
        {
            var kernel = ChannelKernel.Of(model, layer, channel, out string reason);
            findings.Kernel = kernel is null ? null : KernelImage(kernel);
            findings.KernelCaption = kernel is null ? "none" : $"{kernel.InputChannels}×{kernel.KernelHeight}×{kernel.KernelWidth}";
            findings.KernelReason = kernel is null ? [.. Wrap(reason, PanelCharacters)] : [];
            Publish();

            (int X, int Y)? unit = null;
            if (examplesTask is not null && await examplesTask.ConfigureAwait(false) is { Dataset: { } dataset } examined)
            {
                var found = examined.Found;
                string? ranked = found is null ? null : ChannelExamples.RankedLayerFor(model, layer);
                var layerExamples = found?.FirstOrDefault(f => f.Layer == ranked);
                if (layerExamples is not null && channel < layerExamples.Channels)
                {
                    findings.Top = layerExamples.Top[channel];
                    // Dead units over the dataset: channels never positive on any of its inputs.
                    int dead = layerExamples.DeadChannels().Length;
                    findings.Title = Short(string.Create(CultureInfo.InvariantCulture,
                        $"{layer}, channel {channel}: fires on {layerExamples.ActiveShare[channel]:0%} of the dataset; {dead} of {layerExamples.Channels} channels{(ranked == layer ? "" : $" of {ranked}")} never do"),
                        TitleCharacters);
                    var input = model.Inputs[0].Shape;
                    findings.Examples = ExamplesImage(layerExamples, findings.Top, dataset, (int)Math.Max(input[2], input[3]));
                    findings.ExamplesCaption = findings.Top.Length > 0
                        ? string.Create(CultureInfo.InvariantCulture, $"best {findings.Top[0].Activation:0.##}{(ranked == layer ? "" : $" ({ranked})")}")
                        : "no examples";
                    // The synthesised unit is where the channel fires on its best example, on the selected layer's grid.
                    if (findings.Top.Length > 0 && model.Layers().FirstOrDefault(l => l.Output == layer)?.Shape is { Rank: 4 } s)
                        unit = ((int)Math.Min(s[3] - 1, findings.Top[0].X * s[3] / layerExamples.Width), (int)Math.Min(s[2] - 1, findings.Top[0].Y * s[2] / layerExamples.Height));
                    options = options with { InitialLevel = FeatureVisualisationOptions.LevelOf(dataset.MeanPixel) };
                    (black, white) = (dataset.BlackLevel, dataset.WhiteLevel);
                }
                else
                {
                    findings.ExamplesCaption = found is null ? "failed" : "none for this layer";
                }
                Publish();
            }
            else if (examplesTask is not null)
            {
                findings.ExamplesCaption = "no dataset";
                Publish();
            }

            cancellation.ThrowIfCancellationRequested();
            if (model.Layers().FirstOrDefault(l => l.Output == layer)?.Shape is not { Rank: 4 })
            {
                findings.FeatureCaption = "not a map";
                Publish();
                if (!cancellation.IsCancellationRequested)
                    _status = $"{layer} is a token sequence: feature visualisation maximises a channel of a [batch, channels, height, width] map.";
                return;
            }
            var channels = new[] { channel };
            IReadOnlyList<FeatureImage> Synthesise()
            {
                using var visualiser = new FeatureVisualiser(model, layer, black, white);
                var snapshots = new SnapshotSink(image =>
                {
                    findings.FeatureImage = image;
                    findings.Feature = image.ToPicture((int)model.Inputs[0].Shape[3], (int)model.Inputs[0].Shape[2]);
                    Interlocked.Exchange(ref _featureStep, (image.Progress.Length - 1) * 16);
                    Publish();
                });
                return visualiser.Synthesise(channels, options, cancellation: cancellation, units: unit is { } u ? [u] : null, snapshots: snapshots);
            }
            if (!cancellation.IsCancellationRequested)
                _status = $"feature visualisation of {layer} {channel}";
            string settings = InsightCache.FeatureSettings(options, black, white, channels, unit is { } at ? [at] : null);
            var result = cacheFolder.Length == 0 ? Synthesise() : new InsightCache(cacheFolder).Features(sha, layer, settings, Synthesise);
            findings.FeatureImage = result[0];
            findings.Feature = result[0].ToPicture((int)model.Inputs[0].Shape[3], (int)model.Inputs[0].Shape[2]);
            findings.FeatureCaption = string.Create(CultureInfo.InvariantCulture, $"reaches {result[0].Objective:0.##}");
            Publish();
            if (!cancellation.IsCancellationRequested)
                _status = "";
        }
        catch (OperationCanceledException)
        {
        }
        // The background job's boundary: whatever stopped it is said on screen (nobody awaits this task), and the view runs on.
        catch (Exception e) when (e is not OperationCanceledException)
        {
            findings.FeatureCaption = "failed";
            Publish();
            if (!cancellation.IsCancellationRequested)
                _status = $"{layer} {channel}: {e.Message}";
        }
    }

    /// <summary>
    /// Reads the dataset and ranks every channel of the model over it in the background (or reads the ranking from the
    /// cache): a folder of pictures or 10,000 digits is never read on the render thread.
    /// </summary>
    private void StartExamples(OnnxModel model, CnnInference inference)
    {
        _examplesFor = model;
        _examplesWork?.Cancel();
        var work = _examplesWork = new CancellationTokenSource();
        string path = Scene.ResolvePath(Examples), sha = inference.Package?.Sha256 ?? "", cacheFolder = CacheFolder;
        var preprocessing = inference.Package?.Preprocessing;
        int limit = ExampleCount;
        Interlocked.Exchange(ref _examplesDone, 0);
        Interlocked.Exchange(ref _examplesTotal, 0);
        _examplesStatus = $"reading {Examples}";
        _examplesTask = Task.Run<Examined>(() =>
        {
            try
            {
                if (preprocessing is null)
                    throw new GlassboxException("the model package says nothing of how to prepare images");
                var dataset = File.Exists(path) ? ExampleSet.Mnist(preprocessing, limit > 0 ? limit : int.MaxValue, path) : ExampleSet.Folder(preprocessing, path, TextWriter.Null);
                if (limit > 0 && dataset.Count > limit)
                    dataset = dataset with { Count = limit };
                Interlocked.Exchange(ref _examplesTotal, dataset.Count);
                _examplesStatus = $"top examples over {dataset.Description}";
                var layers = ChannelExamples.RankedLayers(model);
                var progress = new CountSink(n => Interlocked.Exchange(ref _examplesDone, n));
                IReadOnlyList<LayerExamples> Find() => ChannelExamples.Find(model, layers, dataset.Count, dataset.Fill, Top, progress: progress, cancellation: work.Token);
                var found = cacheFolder.Length == 0 ? Find() : new InsightCache(cacheFolder).TopExamples(sha, dataset.Hash, layers, Top, Find);
                Interlocked.Exchange(ref _examplesDone, dataset.Count);
                _examplesStatus = "";
                return new Examined(dataset, found);
            }
            catch (OperationCanceledException)
            {
                return new Examined(null, null);
            }
            // As the study's: said on screen, and the other views run on.
            catch (Exception e)
            {
                _examplesStatus = $"examples: {e.Message}";
                return new Examined(null, null);
            }
        });
    }

    /// <summary>The dataset as read and every ranked layer's top examples over it; nulls when either could not be had.</summary>
    private sealed record Examined(ExampleSet? Dataset, IReadOnlyList<LayerExamples>? Found);

    /// <summary>Per result: the channel's activation and contribution, into the selection's buffers.</summary>
    private void Measure(InferenceResult result, string layer, int channel)
    {
        var explanation = result.Explanation;
        if (!explanation.Tensors.TryGetValue(layer, out var values) || _activation is not { } activation || _contributionMap is not { } map
            || _activationOptions is not { } atlasOptions)
            return;
        int plane = activation.Width * activation.Height, channels = _channelSums.Length;
        if (values.Length < channels * plane || channel >= channels)
            return;
        _shown = result;
        var own = values.AsSpan(channel * plane, plane);
        // The channel alone as the view's atlas draws it: normalised over itself, colormapped.
        FeatureAtlas.Render(values.AsSpan(0, channels * plane), channels, activation.Height, activation.Width, atlasOptions, activation.Pixels);
        _largestValue = FeatureAtlas.MinMax(own).Max;
        Histogram(values.AsSpan(0, channels * plane), own);
        if (!explanation.Gradients.TryGetValue(layer, out var gradient) || gradient.Length != values.Length)
            return;
        for (int c = 0; c < channels; c++)
        {
            float sum = 0f;
            for (int i = c * plane; i < (c + 1) * plane; i++)
                sum += gradient[i] * values[i];
            _channelSums[c] = sum;
        }
        float contribution = _channelSums[channel], largest = 0f;
        int rank = 1;
        for (int c = 0; c < channels; c++)
        {
            if (_channelSums[c] > contribution)
                rank++;
        }
        for (int i = 0; i < plane; i++)
            largest = Math.Max(largest, Math.Abs(gradient[channel * plane + i] * own[i]));
        for (int i = 0; i < plane; i++)
            map.Pixels[i] = Colormaps.PackedRgba(ColormapKind.Diverging, Colormaps.IndexOf(largest > 0f ? 0.5f + 0.5f * gradient[channel * plane + i] * own[i] / largest : 0.5f));
        // The first contribution of a selection is written at once; later ones at the captions' pace.
        if (Contribution is null)
            _captionsAt = TimeSpan.MinValue;
        Contribution = contribution;
        ContributionRank = rank;
    }

    private void WriteCaptions(TimeSpan now)
    {
        _captionsAt = now;
        _captionsStale = false;
        _activationCaption = string.Create(CultureInfo.InvariantCulture, $"max {_largestValue:0.##}");
        _histogramCaption = string.Create(CultureInfo.InvariantCulture, $"{_offShare:0%} off");
        if (Contribution is { } contribution)
            _contributionCaption = string.Create(CultureInfo.InvariantCulture, $"{contribution:+0.##;-0.##;0}, #{ContributionRank}");
    }

    /// <summary>The live histogram of the layer (and the channel within it), and the share of the layer at zero or below ("off": a ReLU's silent units).</summary>
    private void Histogram(ReadOnlySpan<float> layer, ReadOnlySpan<float> channel)
    {
        var (low, high) = FeatureAtlas.MinMax(layer);
        int off = 0;
        foreach (float v in layer)
        {
            if (v <= 0f)
                off++;
        }
        Array.Clear(_layerBins, 0, Bins);
        Array.Clear(_channelBins, 0, Bins);
        float scale = high > low ? Bins / (high - low) : 0f;
        foreach (float v in layer)
            _layerBins[Math.Min(Bins - 1, (int)((v - low) * scale))]++;
        foreach (float v in channel)
            _channelBins[Math.Min(Bins - 1, (int)((v - low) * scale))]++;
        _largestBin = 0;
        foreach (int count in _layerBins)
            _largestBin = Math.Max(_largestBin, count);
        _offShare = off / (double)Math.Max(1, layer.Length);
        _captionsStale = true;
    }

    private void DrawHistogram(IRenderer renderer, int x, int y, int size)
    {
        if (_largestBin == 0)
            return;
        // Square-root heights: the bin at zero of a ReLU layer would flatten every other bar.
        int width = Math.Max(1, size / Bins);
        double top = Math.Sqrt(_largestBin);
        for (int b = 0; b < Bins; b++)
        {
            int h = (int)(size * Math.Sqrt(_layerBins[b]) / top), hc = (int)(size * Math.Sqrt(_channelBins[b]) / top);
            renderer.FillRect(x + b * width, y + size - h, Math.Max(1, width - 1), h, 0xFF909090u);
            renderer.FillRect(x + b * width, y + size - hc, Math.Max(1, width - 1), hc, 0xFF3CB4F0u);
        }
    }

    protected internal override void Render(IRenderer renderer)
    {
        if (_selection is null)
        {
            if (Referenced(View, "view") is not null)
                renderer.DrawText("Click a channel in the network to inspect it.", X, Y, 0xFFB0B0B0u);
            return;
        }
        var findings = _findings;
        int panel = Math.Max(16, Math.Min((Width - (Panels - 1) * Gap) / Panels, Height - 2 * Line - 2 * Line - 4));
        int top = Y + 2 * Line;
        renderer.DrawText(findings.Title.Length > 0 ? findings.Title : _title, X, Y, 0xFF3CB4F0u);
        for (int i = 0; i < Panels; i++)
        {
            int x = X + i * (panel + Gap);
            renderer.DrawText(i switch { 0 => "activation", 1 => "kernel", 2 => "contribution", 3 => "layer now", 4 => "top 9", _ => "synthesised" }, x, Y + Line, 0xFFB0B0B0u);
            renderer.FillRect(x, top, panel, panel, 0xFF303030u);
            if (i == 3)
                DrawHistogram(renderer, x, top, panel);
            for (int l = 0; i == 1 && l < findings.KernelReason.Length && (l + 1) * Line <= panel; l++)
                renderer.DrawText(findings.KernelReason[l], x + 2, top + l * Line, 0xFFB0B0B0u);
            RgbaImage? image = i switch { 0 => _shown is null ? null : _activation, 1 => findings.Kernel, 2 => Contribution is null ? null : _contributionMap, 3 => null, 4 => findings.Examples, _ => findings.Feature };
            if (image is not null)
            {
                // Whole image in the square, keeping its shape.
                float scale = Math.Min(panel / (float)image.Width, panel / (float)image.Height);
                int w = Math.Max(1, (int)(image.Width * scale)), h = Math.Max(1, (int)(image.Height * scale));
                renderer.DrawImage(image, x + (panel - w) / 2, top + (panel - h) / 2, w, h);
            }
            string caption = i switch { 0 => _activationCaption, 1 => findings.KernelCaption, 2 => _contributionCaption, 3 => _histogramCaption, 4 => ExamplesLine(findings), _ => FeatureLine(findings) };
            renderer.DrawText(caption, x, top + panel + 4, 0xFFFFFFFFu);
        }
        string status = _examplesStatus.Length > 0 ? _examplesStatus : _status;
        if (!ReferenceEquals(status, _statusShown))
        {
            // Wrapped once per change, at most two lines under the panels.
            _statusShown = status;
            _statusLines = [.. Wrap(status, Math.Max(16, Width / 7)).Take(2)];
        }
        for (int i = 0; i < _statusLines.Length; i++)
            renderer.DrawText(_statusLines[i], X, top + panel + 4 + (i + 1) * Line, 0xFFB0B0B0u);
    }

    private string ExamplesLine(Findings findings)
    {
        if (findings.ExamplesCaption.Length > 0 || _examplesTask is null)
            return _examplesTask is null ? "no dataset" : findings.ExamplesCaption;
        int done = Volatile.Read(ref _examplesDone), total = Math.Max(1, Volatile.Read(ref _examplesTotal));
        int percent = (int)(100L * done / total);
        if (percent != _progressShown)
        {
            _progressShown = percent;
            _progressCaption = string.Create(CultureInfo.InvariantCulture, $"ranking {percent}%");
        }
        return _progressCaption;
    }

    private string FeatureLine(Findings findings)
    {
        if (findings.FeatureCaption.Length > 0)
            return findings.FeatureCaption;
        int step = Volatile.Read(ref _featureStep);
        if (findings.FeatureImage is null)
            return "waiting";
        if (step != _featureShown)
        {
            _featureShown = step;
            _featureProgressCaption = string.Create(CultureInfo.InvariantCulture, $"step {step}/{Math.Max(1, FeatureSteps)}");
        }
        return _featureProgressCaption;
    }

    protected internal override void OnDestroy()
    {
        _selectionWork?.Cancel();
        _examplesWork?.Cancel();
    }

    /// <summary>Lines of at most <paramref name="width"/> characters, broken at spaces where there are any.</summary>
    private static IEnumerable<string> Wrap(string text, int width)
    {
        int start = 0;
        while (start < text.Length)
        {
            int end = Math.Min(text.Length, start + width);
            if (end < text.Length && text.LastIndexOf(' ', end - 1, end - start) is int space && space > start)
                end = space + 1;
            yield return text.Substring(start, end - start).TrimEnd();
            start = end;
        }
    }

    private static string Short(string text, int characters = 14) => text.Length <= characters ? text : text.Substring(0, characters - 3) + "...";

    /// <summary>
    /// The kernel as a picture: a first layer's filter over one or three input channels as a grey or colour image, a deeper
    /// one as a tile per input channel (kernel height × width), weights on the diverging scale (0 white, ± the largest |w|).
    /// </summary>
    internal static RgbaImage KernelImage(ChannelKernel kernel)
    {
        float largest = kernel.Weights.Length == 0 ? 0f : kernel.Weights.Max(Math.Abs);
        float Level(float w) => largest > 0f ? 0.5f + 0.5f * w / largest : 0.5f;
        int kh = kernel.KernelHeight, kw = kernel.KernelWidth;
        if (kernel.ReadsInput && kernel.InputChannels == 3)
        {
            var rgb = new RgbaImage(kw, kh);
            for (int y = 0; y < kh; y++)
                for (int x = 0; x < kw; x++)
                    rgb.Pixels[y * kw + x] = RgbaImage.Pack(Byte(Level(kernel[0, y, x])), Byte(Level(kernel[1, y, x])), Byte(Level(kernel[2, y, x])));
            return rgb;
        }
        int columns = (int)Math.Ceiling(Math.Sqrt(kernel.InputChannels)), rows = (kernel.InputChannels + columns - 1) / columns;
        int gutter = kh * kw > 1 ? 1 : 0;
        var image = new RgbaImage(columns * (kw + gutter) + gutter, rows * (kh + gutter) + gutter);
        Array.Fill(image.Pixels, 0xFF202020u);
        for (int c = 0; c < kernel.InputChannels; c++)
        {
            int ox = gutter + c % columns * (kw + gutter), oy = gutter + c / columns * (kh + gutter);
            for (int y = 0; y < kh; y++)
                for (int x = 0; x < kw; x++)
                    image.Pixels[(oy + y) * image.Width + ox + x] = Colormaps.PackedRgba(ColormapKind.Diverging, Colormaps.IndexOf(Level(kernel[c, y, x])));
        }
        return image;
    }

    private static byte Byte(float level) => (byte)Colormaps.IndexOf(level);

    /// <summary>The examples in a 3×3 grid, each in a square of the model's input size, where the channel fired outlined.</summary>
    private static RgbaImage ExamplesImage(LayerExamples layer, ChannelExample[] top, ExampleSet dataset, int tile)
    {
        const int Columns = 3;
        var sheet = new RgbaImage(Columns * (tile + 1) + 1, Columns * (tile + 1) + 1);
        Array.Fill(sheet.Pixels, 0xFF202020u);
        for (int k = 0; k < Math.Min(top.Length, Columns * Columns); k++)
            layer.DrawExample(sheet, 1 + k % Columns * (tile + 1), 1 + k / Columns * (tile + 1), tile, top[k], dataset.Picture(top[k].Index), 0xFF3CB4F0u);
        return sheet;
    }

    /// <summary>Hears progress on the reporting thread itself (<see cref="Progress{T}"/> would post it to the thread pool, out of order).</summary>
    private sealed class SnapshotSink(Action<FeatureImage> report) : IProgress<FeatureImage>
    {
        public void Report(FeatureImage value) => report(value);
    }

    private sealed class CountSink(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
