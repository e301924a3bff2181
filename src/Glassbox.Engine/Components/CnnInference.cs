using System.Diagnostics;
using Glassbox.Engine.Live;
using Glassbox.Explain;
using Glassbox.Inference;

namespace Glassbox.Engine;

/// <summary>
/// A model package running on its own thread: input components submit frames, overlays and bars
/// read the latest result. Settings are read when the component wakes; a model that cannot load
/// leaves <see cref="Status"/> saying why and the rest of the scene running.
/// </summary>
public sealed class CnnInference : Component
{
    private static readonly Stopwatch SharedClock = Stopwatch.StartNew();
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
            if (!value && _sequence > _explained && Worker is { } worker)
                SubmitLast(worker);
        }
    }

    /// <summary>Times the watchdog replaced a stuck inference thread.</summary>
    public int WatchdogRestarts { get; private set; }

    public ModelPackage? Package { get; private set; }

    /// <summary>Why the model is not running, or null while it is.</summary>
    public string? Status { get; private set; }

    public InferenceWorker? Worker { get; private set; }

    /// <summary>What the running <see cref="Worker"/> was started with (its results were made with these); null without one.</summary>
    public InferenceSettings? Settings { get; private set; }

    /// <summary>The newest result; null until one arrives.</summary>
    public InferenceResult? Latest => Worker?.Latest;

    /// <summary>The clock input frames are stamped with.</summary>
    public static TimeSpan Now => SharedClock.Elapsed;

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
        worker.Submit(_sequence, _lastInput.AsSpan(0, _lastLength), Now, _lastPreprocessTime);
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

    private void StartWorker()
    {
        if (Package is null || Worker is not null)
            return;
        try
        {
            // A grid whose layer this model does not have (the demo's relu2 on the ViT) says so itself; it taps nothing.
            var taps = Taps.Concat(Scene.Active<FeatureMapGrid>().Select(g => g.Layer).Where(Package.Model.HasTensor))
                // Every layer when the scene has a network view, shown or not: showing it then needs no new session.
                .Concat(Scene.Entities().SelectMany(e => e.Components).OfType<NetworkView>().Any() ? NetworkView.LayersOf(Package.Model) : []).Distinct().ToList();
            var settings = new InferenceSettings(Scene.ResolvePath(Model), Package.Sha256, [.. Methods], Layer, Target, Ep, Threads, taps);
            Worker = new InferenceWorker(Explainer.Create(Package, settings.ToExplainerOptions()), _methods, _target, taps, SharedClock);
            Settings = settings;
            Status = null;
            _explained = 0;
            // A still input (a finished drawing) is explained again by the new settings at once.
            if (!_paused && _sequence > 0 && _lastLength == Package.Preprocessing.Channels * Package.Preprocessing.Height * Package.Preprocessing.Width)
                SubmitLast(Worker);
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
