using System.Diagnostics;
using Glassbox.Engine.Live;
using Glassbox.Explain;
using Glassbox.Inference;
using Glassbox.Media;

namespace Glassbox.Engine;

/// <summary>
/// A model package running on its own thread: input components submit frames, overlays and bars
/// read the latest result. Settings are read when the component wakes; a model that cannot load
/// leaves <see cref="Status"/> saying why and the rest of the scene running.
/// </summary>
public sealed class CnnInference : Component
{
    private IReadOnlyList<AttributionMethod> _methods = [];
    private ExplanationTarget _target = ExplanationTarget.TopClass;
    private long _sequence;
    private Task<ModelPackage>? _pending;
    // The last input submitted, so a new worker (another method, a restart) or a resume explains a still drawing
    // at once. While a worker holds it (its own copy) this component copies it only when that worker is let go.
    private InferenceWorker? _lastHeldBy;
    private float[] _lastInput = [];
    private int _lastLength;
    private TimeSpan _lastPreprocessTime;
    private long _explained;
    private bool _paused;
    // How a frame becomes this package's input, made once per package and run on the inference thread.
    private ModelPackage? _preparedFor;
    private Action<RgbaImage, float[]>? _prepareDigit, _prepareResized;
    private bool _wantsFrame;

    /// <summary>Model package folder or .onnx file.</summary>
    [RequiredField]
    public string Model { get; set; } = "";

    /// <summary>auto, directml, webgpu, cuda or cpu.</summary>
    public string Ep { get; set; } = "auto";

    public int Threads { get; set; }

    /// <summary>Explanation methods, as the explain tool names them ("grad-cam", "rise:masks=200").</summary>
    public string[] Methods { get; set; } = ["grad-cam"];

    /// <summary>Layer for CAM methods; auto for the last spatial feature map.</summary>
    public string Layer { get; set; } = "auto";

    /// <summary>
    /// top, a class, or A-B; for dense outputs box:X0,Y0,X1,Y1[:CLASS] (model input pixels),
    /// detection:K[:CLASS] or step:T[:CLASS]. A feed sets a box when the user drags one over it.
    /// </summary>
    public string Target { get; set; } = "top";

    /// <summary>Intermediate tensors to return with each result; the scene's feature grids add their layers.</summary>
    public string[] Taps { get; set; } = [];

    /// <summary>
    /// A tensor whose gradient (of the explained score) each result carries too, in the explanation's gradients: the layer
    /// a <see cref="ChannelInspector"/> shows contributions for. Null for none; a tensor the model lacks is not asked for.
    /// </summary>
    public string? GradientTap
    {
        get => _gradientTap;
        set
        {
            // Cheap to set every frame: only a change asks the worker for another gradient.
            if (value == _gradientTap)
                return;
            _gradientTap = value;
            if (Worker is { } worker)
                ApplyGradientTap(worker);
        }
    }

    private string? _gradientTap;

    // The tap the worker is asked for: a tensor the model lacks is not.
    private string? ResolvedGradientTap => _gradientTap is { } tap && Package?.Model.HasTensor(tap) == true ? tap : null;

    private void ApplyGradientTap(InferenceWorker worker)
    {
        string? tap = ResolvedGradientTap;
        if (tap == worker.GradientTap)
            return;
        worker.GradientTap = tap;
        // A still input (a finished drawing, a picture) is explained again so its result carries the new gradient.
        if (_paused || _sequence == 0)
            return;
        if (ReferenceEquals(_lastHeldBy, worker))
            worker.Submit(_sequence, worker.LastSubmitted, Scene.Now, _lastPreprocessTime);
        else if (HoldsInputFor(worker))
            SubmitLast(worker);
        else
            _wantsFrame = true;
    }

    /// <summary>Seconds one run may take before the inference thread is taken as stuck and replaced; 0 turns the watchdog off.</summary>
    public float WatchdogSeconds { get; set; } = 10f;

    /// <summary>
    /// While true, inputs are kept but not explained: the last result stays on show (a guide can talk over a frozen
    /// explanation) and the network's cores are free. Set false again, the latest input is explained at once.
    /// </summary>
    public bool Paused
    {
        get => _paused;
        set
        {
            if (_paused == value)
                return;
            _paused = value;
            if (!value && Worker is { } worker)
            {
                // A kept drawing is explained at once if it changed while paused; a feed hands over the frame it shows.
                if (HoldsInputFor(worker))
                {
                    if (_sequence > _explained)
                        SubmitLast(worker);
                }
                else
                {
                    _wantsFrame = true;
                }
            }
        }
    }

    /// <summary>Times the watchdog replaced a stuck inference thread.</summary>
    public int WatchdogRestarts { get; private set; }

    public ModelPackage? Package { get; private set; }

    /// <summary>Why the model is not running, or null while it is.</summary>
    public string? Status { get; private set; }

    // The thread behind this component: plumbing, so only the engine and its tests see it; the component says what it did.
    internal InferenceWorker? Worker { get; private set; }

    /// <summary>Results the running inference thread has produced (it starts again at 0 when the thread is replaced).</summary>
    public long Completed => Worker?.Completed ?? 0;

    /// <summary>Inputs replaced before the inference thread took them (the network was slower than the input).</summary>
    public long DroppedFrames => Worker?.DroppedFrames ?? 0;

    /// <summary>Why the last run failed, or null when it succeeded; the thread goes on with the next input.</summary>
    public string? LastError => Worker?.LastError;

    /// <summary>The explainer the inference thread runs (its model, session and provider); null while none runs.</summary>
    public Explainer? Explainer => Worker?.Explainer;

    /// <summary>Managed bytes the inference thread allocated over its <see cref="Completed"/> runs (a benchmark divides them).</summary>
    public long AllocatedBytes => Worker?.AllocatedBytes ?? 0;

    /// <summary>What the running <see cref="Worker"/> was started with (its results were made with these); null without one.</summary>
    public InferenceSettings? Settings { get; private set; }

    /// <summary>The newest result; null until one arrives.</summary>
    public InferenceResult? Latest => Worker?.Latest;

    /// <summary>True while a new model is loading in the background after <see cref="Reconfigure"/>.</summary>
    public bool Reconfiguring => _pending is not null;

    /// <summary>
    /// Switches model, methods or layer while the scene runs: settings are checked at once, a new
    /// model loads in the background, and the running worker keeps producing results until the new
    /// one replaces it. A model that fails to load leaves the old one running and says why in Status.
    /// </summary>
    public void Reconfigure(string? model = null, string[]? methods = null, string? layer = null)
    {
        var parsed = methods?.Select(AttributionMethods.Parse).ToList();
        string newModel = model ?? Model;
        if (methods is not null)
            Methods = methods;
        if (layer is not null)
            Layer = layer;
        if (parsed is not null)
            _methods = parsed;
        if (newModel != Model || Package is null)
        {
            Model = newModel;
            string resolved = Scene.ResolvePath(newModel);
            _pending = Task.Run(() => ModelPackage.Load(resolved));
            return;
        }
        Restart();
    }

    /// <summary>
    /// Explains another part of the output from the next result on (the syntax of <see cref="Target"/>):
    /// checked at once, then the worker starts again with it and the latest input is explained at once.
    /// </summary>
    public void Retarget(string target)
    {
        _target = ExplanationTarget.Parse(target, Package?.Labels);
        Target = target;
        Restart();
    }

    /// <summary>True when the model's output is a dense map [batch, classes, height, width], which a box on the input can target.</summary>
    public bool ExplainsRegions => Package?.Model.Outputs.FirstOrDefault()?.Shape.Rank == 4;

    /// <summary>
    /// Hands the model's input tensor to the inference thread (copied: the caller may reuse its buffer at once);
    /// returns its sequence number. Allocates nothing once a tensor of this size has been submitted.
    /// </summary>
    public long Submit(ReadOnlySpan<float> tensor, TimeSpan capturedAt, TimeSpan preprocessTime)
    {
        long sequence = ++_sequence;
        _lastPreprocessTime = preprocessTime;
        if (!_paused && Worker is { } worker)
        {
            worker.Submit(sequence, tensor, capturedAt, preprocessTime);
            _explained = sequence;
            _lastHeldBy = worker;
        }
        else
        {
            Keep(tensor);
        }
        return sequence;
    }

    /// <summary>
    /// Hands a frame to the inference thread, which prepares it as the package says (a digit on paper for a
    /// one-channel 28×28 model, unless <paramref name="asDigit"/> is false; else resized and normalised) and
    /// explains it: the render thread only copies the pixels. Returns the sequence number the result will carry
    /// (the feed shows the result over this frame). Allocates nothing once a frame of this size has been submitted.
    /// </summary>
    public long SubmitFrame(RgbaImage frame, TimeSpan capturedAt, bool asDigit = true)
    {
        ArgumentNullException.ThrowIfNull(frame);
        long sequence = ++_sequence;
        // A frame replaces a kept tensor as the latest input: a restart must not explain an older drawing.
        _lastLength = 0;
        _lastHeldBy = null;
        _wantsFrame = false;
        if (!_paused && Worker is { } worker && Package is { } package)
        {
            worker.SubmitFrame(sequence, frame, capturedAt, FramePreparer(package, asDigit));
            _explained = sequence;
        }
        return sequence;
    }

    /// <summary>
    /// True when the inference would explain a frame now and has none (a new thread started, or it was resumed, after
    /// frames were submitted): a feed whose source has gone still submits the frame it shows again.
    /// </summary>
    public bool WantsFrame => _wantsFrame && !_paused && Worker is not null;

    private Action<RgbaImage, float[]> FramePreparer(ModelPackage package, bool asDigit)
    {
        if (!ReferenceEquals(_preparedFor, package) || _prepareResized is null)
        {
            var p = package.Preprocessing;
            var options = p.ToImageOptions();
            _prepareResized = (image, tensor) => ImageToTensor.Run(image, options, tensor);
            _prepareDigit = p.Channels == 1 && p.Height == 28 && p.Width == 28
                ? (image, tensor) => p.NormaliseGray(PaperDigit.ToMnist(image), tensor)
                : _prepareResized;
            _preparedFor = package;
        }
        return asDigit ? _prepareDigit! : _prepareResized;
    }

    private bool HoldsInputFor(InferenceWorker worker) =>
        _lastLength > 0 && _lastLength == worker.Explainer.InputSize;

    private void Keep(ReadOnlySpan<float> tensor)
    {
        if (_lastInput.Length < tensor.Length)
            _lastInput = new float[tensor.Length];
        tensor.CopyTo(_lastInput);
        _lastLength = tensor.Length;
        _lastHeldBy = null;
    }

    // Lets the worker go, keeping the last input it was given.
    private InferenceWorker? Detach()
    {
        var old = Worker;
        if (old is not null && ReferenceEquals(_lastHeldBy, old))
            Keep(old.LastSubmitted);
        Worker = null;
        Settings = null;
        return old;
    }

    private void SubmitLast(InferenceWorker worker)
    {
        worker.Submit(_sequence, _lastInput.AsSpan(0, _lastLength), Scene.Now, _lastPreprocessTime);
        _explained = _sequence;
    }

    protected internal override void Awake()
    {
        if (!(WatchdogSeconds >= 0f))
            throw new GlassboxException($"CnnInference needs watchdogSeconds ≥ 0 (0 turns the watchdog off); got {WatchdogSeconds}.");
        try
        {
            Package = ModelPackage.Load(Scene.ResolvePath(Model));
            _methods = Methods.Select(AttributionMethods.Parse).ToList();
            _target = ExplanationTarget.Parse(Target, Package.Labels);
        }
        catch (GlassboxException e)
        {
            Status = e.Message;
            throw;
        }
    }

    // The worker starts on the first frame, when every component of the scene has woken and the
    // feature grids and the network view have said which layers they show.
    protected internal override void Start() => StartWorker();

    protected internal override void OnEnable()
    {
        if (Started)
            StartWorker();
    }

    // A reader that names this inference, or names none (it then reads the scene's only one).
    private bool Reads(CnnInference? named) => named is null || ReferenceEquals(named, this);

    private void StartWorker()
    {
        if (Package is null || Worker is not null)
            return;
        try
        {
            // A grid whose layer this model does not have (the demo's relu2 on the ViT) says so itself; it taps nothing.
            var settings = new InferenceSettings(Scene.ResolvePath(Model), Package.Sha256, [.. Methods], Layer, Target, Ep, Threads, []);
            var explainer = Explainer.Create(Package, settings.ToExplainerOptions());
            List<string> taps;
            try
            {
                taps = [.. Taps.Concat(Scene.Active<FeatureMapGrid>().Where(g => Reads(g.Inference)).Select(g => g.Layer).Where(Package.Model.HasTensor))
                // Every layer when the scene has a network view, shown or not: showing it then needs no new session. The
                // layers of the model at the size it runs: a model exported with a free height and width has them all too.
                .Concat(Scene.Entities().SelectMany(e => e.Components).OfType<NetworkView>().Any(v => Reads(v.Inference)) ? NetworkView.LayersOf(explainer.SizedModel) : []).Distinct()];
            }
            catch (GlassboxException)
            {
                explainer.Dispose();
                throw;
            }
            settings = settings with { Taps = taps };
            // A new worker starts with the tap; the still input is submitted to it below.
            Worker = new InferenceWorker(explainer, _methods, _target, taps, Scene.Clock) { GradientTap = ResolvedGradientTap };
            Settings = settings;
            Status = null;
            _explained = 0;
            // A still input (a finished drawing) is explained again by the new settings at once; after frames, the
            // feed submits the one it shows (see WantsFrame).
            if (!_paused && _sequence > 0 && _lastLength == Package.Preprocessing.Channels * Package.Preprocessing.Height * Package.Preprocessing.Width)
                SubmitLast(Worker);
            else if (_sequence > 0)
                _wantsFrame = true;
        }
        catch (GlassboxException e)
        {
            Status = e.Message;
            throw;
        }
    }

    protected internal override void Update(FrameTime time)
    {
        if (WatchdogSeconds > 0f && Worker is { } worker && worker.SinceProgress is var stuck && stuck > TimeSpan.FromSeconds(WatchdogSeconds))
        {
            // A run that never returns (a driver hang, a provider deadlock) would freeze every overlay;
            // a fresh thread with its own session takes over and the stuck one is let go.
            WatchdogRestarts++;
            Scene.Report(ToString(), "Watchdog", new GlassboxException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"The inference thread made no progress for {stuck.TotalSeconds:0.0} s (limit {WatchdogSeconds:0.#} s); a fresh one replaced it.")));
            Restart();
        }
        if (_pending is not { IsCompleted: true } pending)
            return;
        _pending = null;
        if (pending.IsCompletedSuccessfully)
        {
            Package = pending.Result;
            _target = ExplanationTarget.Parse(Target, Package.Labels);
            Restart();
        }
        else
        {
            Status = pending.Exception?.InnerException?.Message ?? "the model could not be loaded";
        }
    }

    /// <summary>Replaces the worker with one for the current settings; the old one stops in the background.</summary>
    public void Restart()
    {
        if (Detach() is { } old)
            Task.Run(old.Dispose);
        if (IsActive)
            StartWorker();
    }

    protected internal override void OnDisable()
    {
        Detach()?.Dispose();
    }
}
