using BenchmarkDotNet.Attributes;
using Glassbox.Media;

namespace Glassbox.Benchmarks;

/// <summary>
/// Live input: pulling and copying a 640×480 frame from GStreamer (target ≤ 0.1 ms), rasterising the
/// canvas and preparing the MNIST input (≤ 0.5 ms), and a 640×480 frame to a 224² tensor (≤ 1 ms).
/// </summary>
[MemoryDiagnoser]
public class MediaBenchmarks
{
    private GStreamerSource _source = null!;
    private readonly FrameBuffer _frame = new();
    private DrawingCanvas _canvas = null!;
    private RgbaImage _camera = null!;
    private readonly float[] _tensor = new float[3 * 224 * 224];
    private readonly ImageToTensorOptions _resnetInput = new()
    {
        Width = 224, Height = 224, Resize = ResizeMode.CentreCrop, Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f],
    };

    [GlobalSetup]
    public void Setup()
    {
        // Not live: the pipeline runs as fast as it can and the one-frame sink always holds a fresh frame,
        // so the figure is the pull and the copy, not the wait for the next frame of a camera.
        _source = GStreamerSource.Open("videotestsrc pattern=black ! video/x-raw,format=RGBA,width=640,height=480");
        _source.TryRead(TimeSpan.FromSeconds(5), _frame);
        _canvas = new DrawingCanvas(280, 280, 22f);
        _canvas.BeginStroke(new(70, 50));
        _canvas.ContinueStroke(new(210, 50));
        _canvas.ContinueStroke(new(120, 240));
        _canvas.EndStroke();
        var random = new Random(1);
        _camera = new RgbaImage(640, 480, Enumerable.Range(0, 640 * 480).Select(_ => (uint)random.Next()).ToArray());
    }

    [GlobalCleanup]
    public void Cleanup() => _source.Dispose();

    [Benchmark(Description = "pull + copy a 640×480 frame")]
    public bool PullFrame() => _source.TryRead(TimeSpan.FromSeconds(1), _frame);

    [Benchmark(Description = "canvas rasterise + MNIST preprocess")]
    public byte[] Canvas() => DigitPreprocess.ToMnist(_canvas.Rasterise(), 280, 280);

    [Benchmark(Description = "640×480 → 224² tensor (centre crop, normalise)")]
    public void Tensor() => ImageToTensor.Run(_camera, _resnetInput, _tensor);
}
