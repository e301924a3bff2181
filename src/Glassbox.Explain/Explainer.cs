using System.Collections.Immutable;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Glassbox.Inference;
using Glassbox.Inference.Planning;
using Glassbox.Onnx;

namespace Glassbox.Explain;

/// <summary>
/// Explains one image-input model: collects what the active methods need, asks the run planner for
/// one session serving all of them, runs the input once (forward, taps and gradients together) and
/// lets each method finish from there, with batched extra runs where a method perturbs the input.
/// Owns its sessions; one thread at a time.
/// </summary>
public sealed class Explainer : IDisposable
{
    private readonly RunPlanner _planner;
    private readonly float[] _blackLevel;
    private readonly float[] _whiteLevel;
    // One context per planned session, refilled by each run on it.
    private readonly Dictionary<PlannedSession, ExplainContext> _contexts = [];
    // What the last Explain call's methods and taps needed: a live loop asks with the same lists every frame.
    private (AttributionMethod[] Methods, string[] Taps, string[] Gradients, PlannedSession Session, RunNeeds? Serves)? _lastPlan;
    private string? _layer;

    private Explainer(OnnxModel model, ExplainerOptions options, IReadOnlyList<string> labels)
    {
        Model = model;
        Options = options;
        Labels = labels.ToImmutableArray();
        Output = options.Output ?? model.Outputs.FirstOrDefault()?.Name ?? throw new GlassboxException($"Model '{model.Source}' has no outputs.");
        if (model.Inputs.Length != 1)
            throw new GlassboxException($"Model '{model.Source}' has {model.Inputs.Length} inputs; the explainer works with models that take one image tensor.");
        Input = model.Inputs[0];
        var shape = Input.Shape;
        if (shape.Rank != 4 || shape[1] < 1)
            throw new GlassboxException($"Input '{Input.Name}' of '{model.Source}' has shape {shape}; the explainer needs an image tensor, batch × channels × height × width, with a known channel count. Export the model with its image input (reshape inside the model if it wants a flat vector).");
        if (Input.ElementType != TensorElementType.Float32)
            throw new GlassboxException($"Input '{Input.Name}' holds {Input.ElementType.OnnxName()}; the explainer needs a float32 image tensor.");
        Channels = (int)shape[1];
        Height = SizeOf(shape, 2, options.InputHeight, "height", model.Source);
        Width = SizeOf(shape, 3, options.InputWidth, "width", model.Source);
        bool freeSize = shape[2] == TensorShape.Dynamic || shape[3] == TensorShape.Dynamic;
        var black = options.BlackLevel.IsDefault ? [0f] : options.BlackLevel;
        if (black.Length != 1 && black.Length != Channels)
            throw new GlassboxException($"BlackLevel has {black.Length} values; give one per input channel ({Channels}) or one for all.");
        _blackLevel = Enumerable.Range(0, Channels).Select(c => black[black.Length == 1 ? 0 : c]).ToArray();
        var white = options.WhiteLevel.IsDefault ? [1f] : options.WhiteLevel;
        if (white.Length != 1 && white.Length != Channels)
            throw new GlassboxException($"WhiteLevel has {white.Length} values; give one per input channel ({Channels}) or one for all.");
        _whiteLevel = Enumerable.Range(0, Channels).Select(c => white[white.Length == 1 ? 0 : c]).ToArray();
        var outputShape = model.Outputs.First(o => o.Name == Output).Shape;
        // Class scores [batch, classes]; a dense map [batch, classes, height, width]; detections
        // [batch, boxes, 4 + classes] or a sequence [batch, steps, classes], which the target tells apart.
        long classes = ClassAxis(outputShape);
        _planner = new RunPlanner(model, Output, options.Inference, freeSize ? TensorShape.Of(Channels, Height, Width) : null);
        if (classes == TensorShape.Dynamic && outputShape.Rank is 2 or 3 or 4)
        {
            // The exporter left even the class axis unnamed (sizes computed at run time): one run of the plain model tells it.
            outputShape = new TensorShape([TensorShape.Dynamic, .. _planner.For(RunNeeds.None).OutputSampleShape.Dimensions]);
            classes = ClassAxis(outputShape);
        }
        if (classes < 1)
        {
            _planner.Dispose();
            throw new GlassboxException($"Output '{Output}' is {outputShape}; the explainer reads class scores [batch, classes], a dense map [batch, classes, height, width], " +
                                        "detections [batch, boxes, 4 + classes] or a sequence [batch, steps, classes]. Pick another output with --output.");
        }
        Classes = (int)classes;
        OutputShape = outputShape;
    }

    // Class scores [batch, classes]; a dense map [batch, classes, height, width]; detections
    // [batch, boxes, 4 + classes] or a sequence [batch, steps, classes], which the target tells apart.
    private static long ClassAxis(TensorShape output) => output.Rank switch { 2 or 4 => output[1], 3 => output[2], _ => 0 };

    /// <summary>A spatial size: the model's own, or the one the options give where the model leaves it free.</summary>
    private static int SizeOf(TensorShape shape, int axis, int? given, string what, string source)
    {
        long own = shape[axis];
        if (own == TensorShape.Dynamic)
        {
            return given ?? throw new GlassboxException(
                $"Model '{source}' leaves its input {what} free ({shape}); say which size to run it at: ExplainerOptions.InputWidth and InputHeight, --size WxH, or the package manifest's preprocessing.");
        }
        if (own < 1 || own > int.MaxValue)
            throw new GlassboxException($"Model '{source}' has an input {what} of {own}; an image needs at least one pixel.");
        if (given is { } g && g != own)
            throw new GlassboxException($"Model '{source}' fixes its input {what} at {own}; {g} was asked for. Drop the size, or give the model's.");
        return (int)own;
    }

    public OnnxModel Model { get; }

    /// <summary>
    /// The model with its input fixed at the size it runs at (the model itself when the file fixes it): every layer's
    /// shape is then known, for what lays layers out or runs one alone (the network view, top examples, feature
    /// visualisation) on a model exported with a free height and width.
    /// </summary>
    public OnnxModel SizedModel => _sizedModel ??= Input.Shape[2] > 0 && Input.Shape[3] > 0
        ? Model
        : Model.WithInputShape(Input.Name, TensorShape.Of(Input.Shape[0] > 0 ? Input.Shape[0] : 1, Channels, Height, Width));

    private OnnxModel? _sizedModel;

    public ExplainerOptions Options { get; }

    public ImmutableArray<string> Labels { get; }

    /// <summary>The class-score output.</summary>
    public string Output { get; }

    public TensorInfo Input { get; }

    public int Channels { get; }

    public int Height { get; }

    public int Width { get; }

    /// <summary>Class scores per output sample: a classifier's classes, a dense map's channels, a sequence's classes (a detection row has 4 fewer).</summary>
    public int Classes { get; }

    /// <summary>The explained output's shape as the model declares it.</summary>
    public TensorShape OutputShape { get; }

    /// <summary>Elements of one input: channels × height × width.</summary>
    public int InputSize => Channels * Height * Width;

    public RunPlanner Planner => _planner;

    /// <summary>The input tensor's value for a black pixel, per channel.</summary>
    public ReadOnlySpan<float> BlackLevel => _blackLevel;

    /// <summary>The input tensor's value for a full-intensity pixel, per channel.</summary>
    public ReadOnlySpan<float> WhiteLevel => _whiteLevel;

    /// <summary>The layer CAM methods read, with "auto" resolved to the last spatial feature map.</summary>
    public string Layer => _layer ??= ResolveLayer();

    public static Explainer Create(OnnxModel model, ExplainerOptions? options = null, IReadOnlyList<string>? labels = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new Explainer(model, (options ?? ExplainerOptions.Default).Validate(), labels ?? []);
    }

    /// <summary>A package's model with its labels; black is what its preprocessing makes of a 0 pixel.</summary>
    public static Explainer Create(ModelPackage package, ExplainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(package);
        options ??= ExplainerOptions.Default;
        if (options.BlackLevel.IsDefault)
            options = options with { BlackLevel = BlackLevelOf(package.Preprocessing) };
        if (options.WhiteLevel.IsDefault)
            options = options with { WhiteLevel = WhiteLevelOf(package.Preprocessing) };
        // A model with a free input size runs at the size its manifest prepares images to.
        var input = package.Model.Inputs.FirstOrDefault()?.Shape;
        if (input is { Rank: 4 } && options.InputHeight is null && options.InputWidth is null && (input[2] == TensorShape.Dynamic || input[3] == TensorShape.Dynamic))
            options = options with { InputHeight = package.Preprocessing.Height, InputWidth = package.Preprocessing.Width };
        return Create(package.Model, options, package.Labels);
    }

    /// <summary>The normalised value of a zero pixel per channel: (0 − mean) / std.</summary>
    public static ImmutableArray<float> BlackLevelOf(ModelPreprocessing preprocessing) => LevelOf(preprocessing, 0f);

    /// <summary>The normalised value of a full-intensity pixel per channel: (1 − mean) / std.</summary>
    public static ImmutableArray<float> WhiteLevelOf(ModelPreprocessing preprocessing) => LevelOf(preprocessing, 1f);

    private static ImmutableArray<float> LevelOf(ModelPreprocessing preprocessing, float pixel)
    {
        int channels = Math.Max(preprocessing.Mean.Length, preprocessing.Std.Length);
        return Enumerable.Range(0, channels)
            .Select(c => (pixel - preprocessing.Mean[Math.Min(c, preprocessing.Mean.Length - 1)]) / preprocessing.Std[Math.Min(c, preprocessing.Std.Length - 1)])
            .ToImmutableArray();
    }

    /// <summary>
    /// Explains <paramref name="input"/> (one sample, channels × height × width, as the model takes
    /// it) with each method. One shared run, then each method's own batched runs, if any.
    /// </summary>
    /// <param name="taps">Intermediate tensors to return as well (feature maps to show), computed in the same shared run.</param>
    /// <param name="gradients">
    /// Tensors to return the explained score's gradient with respect to as well (a layer whose channels' contributions,
    /// gradient × activation, are shown), computed in the same shared run.
    /// </param>
    public ExplainResult Explain(ReadOnlySpan<float> input, IReadOnlyList<AttributionMethod> methods, ExplanationTarget? target = null, IReadOnlyList<string>? taps = null,
                                 IReadOnlyList<string>? gradients = null)
    {
        ArgumentNullException.ThrowIfNull(methods);
        if (methods.Count == 0 && (taps is null || taps.Count == 0) && (gradients is null || gradients.Count == 0))
            throw new GlassboxException("Name at least one method to explain with (or a tensor to tap).");
        var (session, serves) = SessionFor(methods, taps, gradients);
        var context = Run(input, session, target ?? ExplanationTarget.TopClass);
        context.AlsoServes = serves;
        // What the result holds is its own: the context's arrays are refilled by the next run.
        var maps = new AttributionMap[methods.Count];
        for (int i = 0; i < maps.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            var runsBefore = context.RunTime;
            var map = methods[i].Compute(context);
            var runTime = context.RunTime - runsBefore;
            maps[i] = map with { RunTime = runTime, PostProcessTime = Stopwatch.GetElapsedTime(start) - runTime };
        }
        var tensors = Copies(taps, context.Tensor);
        var gradientsOut = Copies(gradients, context.Gradient);
        return new ExplainResult(ImmutableArray.Create(context.Scores), ImmutableArray.Create(context.Probabilities), context.TargetClass,
            context.Target.Contrast, context.TargetScore, ImmutableCollectionsMarshal.AsImmutableArray(maps), context.SharedRunTime, context.Session.Session.Providers.Selected)
        {
            Tensors = tensors,
            Gradients = gradientsOut,
        };
    }

    /// <summary>Copies of the context's arrays by name (the context refills its own with the next run).</summary>
    private static ImmutableDictionary<string, float[]> Copies(IReadOnlyList<string>? names, Func<string, float[]> read)
    {
        if (names is not { Count: > 0 })
            return ImmutableDictionary<string, float[]>.Empty;
        var builder = ImmutableDictionary.CreateBuilder<string, float[]>(StringComparer.Ordinal);
        for (int i = 0; i < names.Count; i++)
            builder[names[i]] = read(names[i]).ToArray();
        return builder.ToImmutable();
    }

    /// <summary>
    /// The session of the shared run, and the own-run needs it also serves: when the methods need nothing from the
    /// shared run but the target and taps, and all run the same pass of their own (LRP alone, say), that pass's run
    /// is the shared run too, so a frame makes one run instead of a forward run and then the pass.
    /// </summary>
    private (PlannedSession Session, RunNeeds? Serves) SessionFor(IReadOnlyList<AttributionMethod> methods, IReadOnlyList<string>? taps, IReadOnlyList<string>? gradients)
    {
        taps ??= [];
        gradients ??= [];
        if (_lastPlan is { } last && Same(last.Methods, methods) && Same(last.Taps, taps) && Same(last.Gradients, gradients))
            return (last.Session, last.Serves);
        var extra = (taps.Count > 0 ? RunNeeds.ForTaps([.. taps]) : RunNeeds.None).Merge(gradients.Count > 0 ? RunNeeds.ForGradients([.. gradients]) : RunNeeds.None);
        var shared = methods.Aggregate(extra, (all, m) => all.Merge(m.Needs(this)));
        var own = new List<RunNeeds>();
        foreach (var needs in methods.SelectMany(m => m.OwnRunNeeds(this)))
        {
            if (!own.Any(known => ReferenceEquals(known, needs)))
                own.Add(needs);
        }
        RunNeeds? serves = !shared.NeedsGradients && shared.ChannelGate is null && own.Count == 1 ? own[0] : null;
        // The pass's graph carries the forward pass too, so taps (feature maps to show) come from the same run.
        var session = _planner.For(serves?.Merge(shared) ?? shared);
        _lastPlan = ([.. methods], [.. taps], [.. gradients], session, serves);
        return (session, serves);
    }

    // Element by element, without allocating: the caller may have changed a list it passes again.
    private static bool Same<T>(T[] known, IReadOnlyList<T> asked) where T : class
    {
        if (known.Length != asked.Count)
            return false;
        for (int i = 0; i < known.Length; i++)
        {
            if (!Equals(known[i], asked[i]))
                return false;
        }
        return true;
    }

    /// <summary>
    /// Runs <paramref name="input"/> once on a session serving <paramref name="needs"/>: the
    /// context methods compute from. Valid until the next call on this explainer.
    /// </summary>
    public ExplainContext Run(ReadOnlySpan<float> input, RunNeeds needs, ExplanationTarget target)
    {
        ArgumentNullException.ThrowIfNull(needs);
        ArgumentNullException.ThrowIfNull(target);
        return Run(input, _planner.For(needs), target);
    }

    /// <summary>The planned session serving <paramref name="needs"/> (built once, then cached by the planner).</summary>
    internal PlannedSession SessionFor(RunNeeds needs) => _planner.For(needs);

    internal ExplainContext Run(ReadOnlySpan<float> input, PlannedSession session, ExplanationTarget target)
    {
        if (input.Length != InputSize)
            throw new GlassboxException($"The input has {input.Length} values; the model takes {Channels}×{Height}×{Width} = {InputSize}.");
        if (!_contexts.TryGetValue(session, out var context))
            _contexts[session] = context = new ExplainContext(this, session);
        return context.Reset(input, target);
    }

    public void Dispose() => _planner.Dispose();

    private string ResolveLayer()
    {
        if (!Options.Layer.Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            if (!Model.HasTensor(Options.Layer) || Model.Inputs.Any(i => i.Name == Options.Layer))
                throw new GlassboxException($"Model '{Model.Source}' has no layer '{Options.Layer}'. Spatial layers: {string.Join(", ", SpatialLayers().Take(12))}.");
            return Options.Layer;
        }
        // The last feature map that is not itself an output: a segmentation net's own map is what is explained.
        return Model.Layers().LastOrDefault(l => l.IsSpatial && Model.Outputs.All(o => o.Name != l.Output))?.Output
               ?? throw new GlassboxException($"Model '{Model.Source}' has no spatial feature map (rank 4, height and width above 1) for layer \"auto\"; name a layer, or use a pixel method (gradient, occlusion, RISE).");
    }

    private IEnumerable<string> SpatialLayers() => Model.Layers().Where(l => l.IsSpatial).Select(l => $"'{l.Output}'");
}

/// <summary>What <see cref="Explainer.Explain"/> found: the scores and one map per method.</summary>
public sealed record ExplainResult(
    ImmutableArray<float> Scores,
    ImmutableArray<float> Probabilities,
    int TargetClass,
    int? ContrastClass,
    float TargetScore,
    ImmutableArray<AttributionMap> Maps,
    TimeSpan SharedRunTime,
    ExecutionProvider Provider)
{
    public int PredictedClass => ExplanationTarget.ArgMax(Scores.AsSpan());

    /// <summary>The tensors asked for with the explain call's taps (batch row 0), by name.</summary>
    public ImmutableDictionary<string, float[]> Tensors { get; init; } = ImmutableDictionary<string, float[]>.Empty;

    /// <summary>The explained score's gradient with respect to the tensors the explain call asked for (batch row 0), by name.</summary>
    public ImmutableDictionary<string, float[]> Gradients { get; init; } = ImmutableDictionary<string, float[]>.Empty;
}
