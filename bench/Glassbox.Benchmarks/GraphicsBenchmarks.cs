using BenchmarkDotNet.Attributes;
using Glassbox.Graphics;
using Glassbox.Graphics.Passes;
using Glassbox.Visualisation;

namespace Glassbox.Benchmarks;

/// <summary>
/// GPU passes on whatever OpenGL the display gives (under xvfb-run: Mesa llvmpipe), each timed
/// through glFinish so the figure is the work done, not the time to queue it. Targets: 64×56×56
/// atlas ≤ 2 ms; 512×7×7 → 640×480 overlay ≤ 3 ms; the 1280×720 live layout ≤ 12 ms; a 640×480
/// frame upload ≤ 0.5 ms. Needs a display: xvfb-run -a dotnet run -c Release -- --filter *Graphics*
/// </summary>
public class GraphicsBenchmarks
{
    private GlContext _gl = null!;
    private FeatureAtlasPass _atlas = null!;
    private HeatmapOverlayPass _overlay = null!;
    private LiveView _view = null!;
    private DrawListRenderer _renderer = null!;
    private Texture _frameTexture = null!;
    private Framebuffer _empty = null!;
    private float[] _features = null!, _layer4 = null!, _weights = null!, _cam = null!;
    private RgbaImage _frame = null!;
    private LiveViewFrame _scene = null!;
    private readonly DrawList _nothing = new();

    [GlobalSetup]
    public void Setup()
    {
        _gl = GlContext.CreateOffscreen();
        var shaders = ShaderLibrary.FindDefault();
        _atlas = new FeatureAtlasPass(_gl, shaders);
        _overlay = new HeatmapOverlayPass(_gl, shaders);
        _renderer = new DrawListRenderer(_gl, shaders);
        _view = new LiveView(_gl, shaders, BakedFont.Default);
        _frameTexture = new Texture(_gl, 640, 480);
        _empty = new Framebuffer(_gl, 1280, 720);
        var random = new Random(3);
        _features = Enumerable.Range(0, 64 * 56 * 56).Select(_ => (float)random.NextDouble()).ToArray();
        _layer4 = Enumerable.Range(0, 512 * 7 * 7).Select(_ => (float)random.NextDouble()).ToArray();
        _weights = Enumerable.Range(0, 512).Select(_ => (float)(random.NextDouble() - 0.3)).ToArray();
        _cam = new float[49];
        _frame = new RgbaImage(640, 480, Enumerable.Range(0, 640 * 480).Select(_ => (uint)random.Next() | 0xFF000000u).ToArray());
        _scene = new LiveViewFrame
        {
            Frame = _frame,
            Heatmap = _cam, HeatmapWidth = 7, HeatmapHeight = 7,
            Features = _features, FeatureChannels = 64, FeatureHeight = 56, FeatureWidth = 56,
            Labels = Enumerable.Range(0, 10).Select(i => i.ToString()).ToArray(),
            Probabilities = [0.01f, 0.02f, 0f, 0.03f, 0f, 0f, 0f, 0.91f, 0.02f, 0.01f],
            Status = ["Grad-CAM on layer4, class 7", "capture 0.4 ms  run 9.1 ms", "render 4.1 ms  60 FPS"],
        };
        WeightedCam();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _atlas.Dispose();
        _overlay.Dispose();
        _renderer.Dispose();
        _view.Dispose();
        _frameTexture.Dispose();
        _empty.Dispose();
        _gl.Dispose();
    }

    [Benchmark(Description = "atlas 64×56×56 (upload + ranges + tiles)")]
    public void Atlas()
    {
        _atlas.Run(_features, 64, 56, 56, FeatureAtlasOptions.Default);
        _gl.Finish();
    }

    [Benchmark(Description = "overlay 512×7×7 → 640×480 (CAM sum on CPU + GPU overlay)")]
    public void Overlay()
    {
        WeightedCam();
        _overlay.Run(_cam, 7, 7, _frame.Pixels, 640, 480, 640, HeatmapOverlayOptions.Default);
        _gl.Finish();
    }

    [Benchmark(Description = "upload a 640×480 frame")]
    public void Upload()
    {
        _frameTexture.Upload(_frame.Pixels);
        _gl.Finish();
    }

    [Benchmark(Description = "live layout 1280×720 (frame, overlay, atlas, bars, text)")]
    public void LiveLayout()
    {
        _view.Render(_scene, HeatmapOverlayOptions.Default with { Upsampling = Upsampling.Bicubic }, FeatureAtlasOptions.Default);
        _gl.Finish();
    }

    [Benchmark(Baseline = true, Description = "floor: clear an empty 1280×720 scene")]
    public void EmptyScene()
    {
        _renderer.Render(_nothing, _empty, [], null, clear: 0xFF000000u);
        _gl.Finish();
    }

    // Grad-CAM's combination: ReLU(Σ_c w_c · A_c) over a 512×7×7 layer.
    private void WeightedCam()
    {
        Array.Clear(_cam);
        for (int c = 0; c < 512; c++)
        {
            float w = _weights[c];
            var plane = _layer4.AsSpan(c * 49, 49);
            for (int i = 0; i < 49; i++)
                _cam[i] += w * plane[i];
        }
        for (int i = 0; i < 49; i++)
            _cam[i] = MathF.Max(0f, _cam[i]);
    }
}
