using System.Diagnostics;
using Glassbox.Explain;
using Glassbox.Inference;

namespace Glassbox.Engine.Live;

/// <summary>What one run found, with the stage times the stats panel shows.</summary>
public sealed record InferenceResult(long Sequence, ExplainResult Explanation, TimeSpan PreprocessTime, TimeSpan ExplainTime, TimeSpan Latency);

/// <summary>
/// What an inference worker runs, as the scene named it: the model (package folder or .onnx file) with the model file's SHA-256, the
/// explanation methods as the explain tool spells them, the CAM layer ("auto" or a name), the target
/// ("top", a class, A-B), the provider preference with the thread count, and the intermediate tensors
/// returned with each result (they shape the session ONNX Runtime optimises). Enough to run the same
/// explanation again, bit for bit.
/// </summary>
public sealed record InferenceSettings(string ModelPath, string ModelSha256, IReadOnlyList<string> Methods, string Layer, string Target, string Ep, int Threads, IReadOnlyList<string> Taps)
{
    /// <summary>The explainer options these settings give; <paramref name="ep"/> replaces the provider preference.</summary>
    public ExplainerOptions ToExplainerOptions(string? ep = null) => ExplainerOptions.Default with
    {
        Layer = Layer,
        Inference = InferenceOptions.Default with { Providers = ExecutionProviders.ParsePreference(ep ?? Ep), IntraOpThreads = Threads },
    };
}

/// <summary>
/// The inference thread of the live loop: takes the latest input frame, runs the explainer (one
/// shared run plus each method's post-processing) and publishes the result to a latest-wins slot
/// the render thread reads without waiting. Owns its thread and the explainer. A failing run is kept
/// as <see cref="LastError"/> and the loop goes on with the next frame.
/// </summary>
internal sealed class InferenceWorker : IDisposable
{
    private readonly Explainer _explainer;
    private readonly IReadOnlyList<AttributionMethod> _methods;
    private readonly ExplanationTarget _target;
    private readonly IReadOnlyList<string> _taps;
    private readonly LatestSlot<InputBuffer> _inputs = new();
    // Three input buffers, reused: one the thread runs, one waiting, one to fill. Which is which is decided
    // under this lock, the same one the thread takes the waiting buffer under.
    private readonly InputBuffer[] _buffers;
    private readonly object _ownership = new();
    private InputBuffer? _running;
    private InputBuffer? _lastSubmitted;
    private readonly LatestSlot<InferenceResult> _results = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeProvider _clock;
    private readonly WatchedThread _thread;
    private volatile string? _lastError;
    private volatile bool _busy;
    private volatile string[] _gradients = [];
    private long _allocatedBytes;

    /// <param name="taps">Intermediate tensors to return with each result (feature maps to show).</param>
    /// <param name="clock">
    /// The clock frames are stamped with (capture times are its <c>GetElapsedTime(0)</c>), to measure latency, and progress
    /// is measured on; the system clock if null.
    /// </param>
    public InferenceWorker(Explainer explainer, IReadOnlyList<AttributionMethod> methods, ExplanationTarget target, IReadOnlyList<string>? taps = null, TimeProvider? clock = null)
    {
        _explainer = explainer;
        _methods = methods;
        _target = target;
        _taps = taps ?? [];
        _clock = clock ?? TimeProvider.System;
        // Sized for the model now, so which of them a frame lands in never decides whether a frame allocates.
        _buffers = [new(explainer.InputSize), new(explainer.InputSize), new(explainer.InputSize)];
        _thread = new WatchedThread("Glassbox inference", RunFrames, ReleaseResources, _clock);
        _thread.Start();
    }

    public Explainer Explainer => _explainer;

    /// <summary>
    /// A tensor whose gradient (of the explained score) each result carries from the next run on, in the explanation's
    /// gradients; null for none. The first run that asks for a tensor plans its session (the planner keeps it after).
    /// </summary>
    public string? GradientTap
    {
        get => _gradients is [var only] ? only : null;
        set
        {
            if (value != GradientTap)
                _gradients = value is null ? [] : [value];
        }
    }

    /// <summary>The newest result; null until the first run ends.</summary>
    public InferenceResult? Latest => _results.Latest;

    /// <summary>Frames replaced before the worker took them (the network was slower than the input).</summary>
    public long DroppedFrames => _inputs.Dropped;

    public long Completed => _results.Published;

    /// <summary>
    /// Managed bytes the thread allocated explaining frames so far (what each result holds, with the taps the
    /// scene asked for, and nothing else once the sessions are planned): a benchmark divides it by <see cref="Completed"/>.
    /// </summary>
    public long AllocatedBytes => Interlocked.Read(ref _allocatedBytes);

    public string? LastError => _lastError;

    /// <summary>
    /// Time since the thread last showed progress: it does between frames (at least every 50 ms) and after
    /// each run, so a long value means one run is stuck. A watchdog compares it with its limit.
    /// </summary>
    public TimeSpan SinceProgress => _thread.SinceProgress;

    /// <summary>
    /// True while a submitted frame waits for the thread (a run is in progress): preparing another now would
    /// only replace that one unexplained, so a live source may skip it.
    /// </summary>
    public bool InputWaiting => _inputs.HasWaiting;

    /// <summary>True while a run is in progress (a watchdog test waits for one before moving its clock).</summary>
    public bool Running => _busy;

    /// <summary>
    /// Hands a frame to the worker, copying <paramref name="tensor"/> into a buffer the worker owns (the caller may
    /// reuse its own at once); never blocks and, once the buffers have the tensor's size, allocates nothing.
    /// Call it from one thread.
    /// </summary>
    /// <param name="sequence">Increases with every frame of a source; the result carries it, and the overlay is matched to it.</param>
    /// <param name="capturedAt">When the frame was captured, on the worker's clock (latency is measured from it).</param>
    public void Submit(long sequence, ReadOnlySpan<float> tensor, TimeSpan capturedAt, TimeSpan preprocessTime)
    {
        var target = FreeBuffer();
        target.Fill(sequence, tensor, capturedAt, preprocessTime);
        _lastSubmitted = target;
        _inputs.Publish(target);
    }

    /// <summary>
    /// Hands a frame to the worker to prepare and explain: the pixels are copied into a buffer the worker owns (the
    /// caller may reuse its image at once) and <paramref name="prepare"/> turns them into the model's input on the
    /// inference thread, so the render thread only copies. Never blocks; allocates nothing once the buffers hold a
    /// frame of this size. Call it from the thread that calls <see cref="Submit"/>.
    /// </summary>
    /// <param name="prepare">Writes the model's input for a frame into the tensor (of the explainer's input size); called on the inference thread.</param>
    public void SubmitFrame(long sequence, RgbaImage frame, TimeSpan capturedAt, Action<RgbaImage, float[]> prepare)
    {
        var target = FreeBuffer();
        target.Fill(sequence, frame, capturedAt, prepare);
        _lastSubmitted = null;
        _inputs.Publish(target);
    }

    private InputBuffer FreeBuffer()
    {
        lock (_ownership)
        {
            var waiting = _inputs.Waiting;
            foreach (var buffer in _buffers)
            {
                if (!ReferenceEquals(buffer, _running) && !ReferenceEquals(buffer, waiting))
                    return buffer;
            }
        }
        throw new InvalidOperationException("No free input buffer: of three, one is always free.");
    }

    /// <summary>
    /// The tensor of the last <see cref="Submit"/>, as the worker keeps it; read it on the submitting thread (the
    /// next Submit may reuse its buffer).
    /// </summary>
    internal ReadOnlySpan<float> LastSubmitted => _lastSubmitted is { } last ? last.Tensor.AsSpan(0, last.Length) : default;

    /// <summary>
    /// Stops the thread. The loop checks for the stop at least every 50 ms and a run in progress finishes
    /// first; a run stuck for 5 s is abandoned: the thread (a background one) is left to end by itself and
    /// disposes the explainer then, since freeing a session under a running run would crash the process.
    /// </summary>
    public void Dispose()
    {
        _stop.Cancel();
        if (!_thread.Stop(TimeSpan.FromSeconds(5)))
            _lastError = "the inference thread did not stop within 5 s; it was abandoned and frees its session when its run ends";
    }

    private void ReleaseResources()
    {
        _inputs.Dispose();
        _results.Dispose();
        _explainer.Dispose();
        _stop.Dispose();
    }

    private void RunFrames()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            _thread.Beat();
            _inputs.Wait(TimeSpan.FromMilliseconds(50), token);
            InputBuffer? frame;
            lock (_ownership)
                frame = _running = _inputs.TryTake();
            if (frame is null)
                continue;
            _busy = true;
            try
            {
                long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                frame.PrepareIfFrame();
                long start = Stopwatch.GetTimestamp();
                var explanation = _explainer.Explain(frame.Tensor.AsSpan(0, frame.Length), _methods, _target, _taps, _gradients);
                var explainTime = Stopwatch.GetElapsedTime(start);
                _results.Publish(new InferenceResult(frame.Sequence, explanation, frame.PreprocessTime, explainTime, _clock.GetElapsedTime(0) - frame.CapturedAt));
                Interlocked.Add(ref _allocatedBytes, GC.GetAllocatedBytesForCurrentThread() - allocatedBefore);
                _lastError = null;
            }
            catch (GlassboxException e)
            {
                _lastError = e.Message;
            }
            finally
            {
                _busy = false;
            }
        }
    }

    /// <summary>One frame for the network: the model's input tensor and where it came from.</summary>
    private sealed class InputBuffer(int size)
    {
        public long Sequence { get; private set; }

        public float[] Tensor { get; private set; } = new float[size];

        public int Length { get; private set; }

        public TimeSpan CapturedAt { get; private set; }

        public TimeSpan PreprocessTime { get; private set; }

        // A frame submitted unprepared: its pixels (the buffer's own copy) and how to make the tensor of them.
        private RgbaImage? _frame;
        private Action<RgbaImage, float[]>? _prepare;

        public void Fill(long sequence, RgbaImage frame, TimeSpan capturedAt, Action<RgbaImage, float[]> prepare)
        {
            if (_frame is not { } copy || copy.Width != frame.Width || copy.Height != frame.Height)
                _frame = copy = new RgbaImage(frame.Width, frame.Height);
            frame.Pixels.AsSpan().CopyTo(copy.Pixels);
            _prepare = prepare;
            Length = size;
            Sequence = sequence;
            CapturedAt = capturedAt;
            PreprocessTime = TimeSpan.Zero;
        }

        /// <summary>On the inference thread: makes the tensor of a submitted frame, timing it as the preprocessing.</summary>
        public void PrepareIfFrame()
        {
            if (_prepare is not { } prepare)
                return;
            long start = Stopwatch.GetTimestamp();
            if (Tensor.Length < size)
                Tensor = new float[size];
            prepare(_frame!, Tensor);
            PreprocessTime = Stopwatch.GetElapsedTime(start);
        }

        public void Fill(long sequence, ReadOnlySpan<float> tensor, TimeSpan capturedAt, TimeSpan preprocessTime)
        {
            _prepare = null;
            if (Tensor.Length < tensor.Length)
                Tensor = new float[tensor.Length];
            tensor.CopyTo(Tensor);
            Length = tensor.Length;
            Sequence = sequence;
            CapturedAt = capturedAt;
            PreprocessTime = preprocessTime;
        }
    }
}
