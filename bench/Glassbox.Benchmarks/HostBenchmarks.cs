using System.Globalization;
using BenchmarkDotNet.Attributes;
using Glassbox.Engine;
using Glassbox.Graphics;
using Glassbox.Host;
using Glassbox.Media;

namespace Glassbox.Benchmarks;

/// <summary>
/// The live demo's frame on llvmpipe under Xvfb (run with xvfb-run), 1280×720, vsync off, CPU provider:
/// canvas + Grad-CAM overlay + feature grid + bars + stats, with the drawing changing every frame so
/// inference never rests. Targets: ≥ 60 FPS rendered; overlay latency (stroke → a frame showing its
/// result) p95 ≤ 50 ms, printed at the end.
/// </summary>
public class HostBenchmarks
{
    private LiveHost _host = null!;
    private DrawingCanvasInput _canvas = null!;
    private CnnInference _inference = null!;
    private readonly List<double> _latencies = [];
    private readonly Dictionary<long, TimeSpan> _submitted = [];
    private long _lastShown;
    private int _step;

    [GlobalSetup]
    public void Setup()
    {
        var (scene, canvas, inference) = BenchScene.Build(threads: 1);
        _canvas = canvas;
        _inference = inference;
        _host = LiveHost.Open(scene, LiveHostOptions.Default with
        {
            Window = GlWindowOptions.Default with { VSync = false, Title = "Glassbox bench" },
            SceneWidth = BenchScene.Width,
            SceneHeight = BenchScene.Height,
        });
        _canvas.AddStroke([new StrokePoint(70, 50), new StrokePoint(210, 50), new StrokePoint(120, 240)]);
        for (int i = 0; i < 60; i++)
            Frame();
        _latencies.Clear();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        double P(double q) => EndToEnd.Percentile(_latencies, q);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"// overlay latency over {_latencies.Count} strokes: p50 {P(0.5):0.0} ms, p95 {P(0.95):0.0} ms, max {(_latencies.Count == 0 ? double.NaN : _latencies.Max()):0.0} ms; " +
            $"last frame: update {_host.LastFrame.Update.TotalMilliseconds:0.00} ms, record {_host.LastFrame.Record.TotalMilliseconds:0.00} ms, draw {_host.LastFrame.Draw.TotalMilliseconds:0.00} ms, present {_host.LastFrame.Present.TotalMilliseconds:0.00} ms"));
        _host.Dispose();
    }

    [Benchmark(Description = "live frame: stroke, update, record, draw, present")]
    public void Frame()
    {
        // A short stroke each frame: the input changes, so a new inference is always under way.
        float x = 60 + _step % 160;
        _step++;
        _canvas.AddStroke([new StrokePoint(x, 260), new StrokePoint(x + 2, 262)]);
        var before = _inference.Scene.Now;
        _host.RunFrame();
        if (_canvas.LastSequence > 0)
            _submitted.TryAdd(_canvas.LastSequence, before);
        if (_inference.Latest is { } latest && latest.Sequence > _lastShown)
        {
            if (_submitted.TryGetValue(latest.Sequence, out var at))
                _latencies.Add((_inference.Scene.Now - at).TotalMilliseconds);
            _lastShown = latest.Sequence;
        }
    }
}
