using BenchmarkDotNet.Attributes;
using Glassbox.Graphics;
using Glassbox.Graphics.Passes;
using Glassbox.Visualisation;

namespace Glassbox.Benchmarks;

/// <summary>
/// GPU passes on whatever OpenGL the display gives (under xvfb-run: Mesa llvmpipe), each timed
/// through glFinish so the figure is the work done, not the time to queue it. Targets: 64×56×56
/// atlas ≤ 2 ms; 512×7×7 → 640×480 overlay ≤ 3 ms; a 1280×720 scene frame ≤ 12 ms; a 640×480
/// frame upload ≤ 0.5 ms. Needs a display: xvfb-run -a dotnet run -c Release -- --filter *Graphics*
/// </summary>
public class GraphicsBenchmarks
{
    private GlContext _gl = null!;
    private FeatureAtlasPass _atlas = null!;
    private HeatmapOverlayPass _overlay = null!;
    private SceneCanvasRenderer _renderer = null!;
    private SceneCanvas _sceneFrame = null!, _emptyFrame = null!;
    private RgbaImage _atlasImage = null!;
    private Texture _frameTexture = null!;
    private float[] _features = null!, _layer4 = null!, _weights = null!, _cam = null!;
    private RgbaImage _frame = null!;

    [GlobalSetup]
    public void Setup()
    {
        _gl = GlContext.CreateOffscreen();
        var shaders = ShaderLibrary.FindDefault();
        _atlas = new FeatureAtlasPass(_gl, shaders);
        _overlay = new HeatmapOverlayPass(_gl, shaders);
        _renderer = new SceneCanvasRenderer(_gl, shaders, BakedFont.Default, 1280, 720);
        _sceneFrame = _renderer.CreateCanvas();
        _emptyFrame = _renderer.CreateCanvas();
        _frameTexture = new Texture(_gl, 640, 480);
        var random = new Random(3);
        _features = Enumerable.Range(0, 64 * 56 * 56).Select(_ => (float)random.NextDouble()).ToArray();
        _layer4 = Enumerable.Range(0, 512 * 7 * 7).Select(_ => (float)random.NextDouble()).ToArray();
        _weights = Enumerable.Range(0, 512).Select(_ => (float)(random.NextDouble() - 0.3)).ToArray();
        _cam = new float[49];
        _frame = new RgbaImage(640, 480, Enumerable.Range(0, 640 * 480).Select(_ => (uint)random.Next() | 0xFF000000u).ToArray());
        // The 16 strongest of 64 channels as the feature-map grid draws them (a 4×4 atlas of 56×56 tiles).
        var strongest = FeatureAtlas.OrderByActivation(_features, 64, 56, 56)[..16];
        var atlasOptions = FeatureAtlasOptions.Default with { Channels = strongest };
        var atlasLayout = FeatureAtlasLayout.For(16, 56, 56, atlasOptions);
        _atlasImage = new RgbaImage(atlasLayout.Width, atlasLayout.Height);
        FeatureAtlas.Render(_features, 64, 56, 56, atlasOptions, _atlasImage.Pixels);
        WeightedCam();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _atlas.Dispose();
        _overlay.Dispose();
        _renderer.Dispose();
        _frameTexture.Dispose();
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

    [Benchmark(Description = "scene frame 1280×720 (frame, overlay, atlas, bars, text)")]
    public void SceneFrame()
    {
        var canvas = _sceneFrame;
        canvas.Begin();
        canvas.DrawImage(_frame, 16, 16, 800, 600);
        canvas.DrawHeatmap(_cam, 7, 7, 16, 16, 800, 600, HeatmapOverlayOptions.Default with { Upsampling = Upsampling.Bicubic });
        canvas.DrawImage(_atlasImage, 832, 16, 432, 432);
        for (int i = 0; i < 10; i++)
        {
            canvas.DrawText(Digits[i], 832, 480 + i * 20, 0xFFE0E0E0u);
            canvas.FillRect(852, 484 + i * 20, 40 + i * 30, 12, 0xFF3CB4F0u);
        }
        canvas.DrawText("Grad-CAM on layer4, class 7", 16, 640, 0xFFE0E0E0u);
        canvas.DrawText("capture 0.4 ms  run 9.1 ms  render 4.1 ms  60 FPS", 16, 664, 0xFF9A9A9Au);
        _renderer.Render(canvas);
        _gl.Finish();
    }

    private static readonly string[] Digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    [Benchmark(Baseline = true, Description = "floor: clear an empty 1280×720 scene")]
    public void EmptyScene()
    {
        _emptyFrame.Begin();
        _renderer.Render(_emptyFrame);
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
