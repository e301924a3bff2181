using Glassbox.Graphics;
using Glassbox.Graphics.Passes;
using Glassbox.Visualisation;

namespace Glassbox.Tests;

public class HeatmapOverlayPassTests : GpuTest
{
    private GlContext _gl = null!;
    private HeatmapOverlayPass _pass = null!;

    [OneTimeSetUp]
    public void CreateContext()
    {
        _gl = Gl;
        _pass = new HeatmapOverlayPass(_gl, new ShaderLibrary(RepoPaths.Shaders));
    }

    [OneTimeTearDown]
    public void DestroyContext()
    {
        _pass.Dispose();
    }

    public static IEnumerable<TestCaseData> Overlays()
    {
        yield return new TestCaseData(7, 7, 640, 480, 640, HeatmapOverlayOptions.Default).SetName("7×7 map on 640×480, bilinear");
        yield return new TestCaseData(7, 7, 640, 480, 648, HeatmapOverlayOptions.Default with { Upsampling = Upsampling.Bicubic, Colormap = ColormapKind.Inferno, Opacity = 0.7f })
            .SetName("7×7 map on 640×480 with padded rows, bicubic");
        yield return new TestCaseData(13, 7, 61, 37, 61, HeatmapOverlayOptions.Default with { ContourLevel = 0.6f, LowPercentile = 5, HighPercentile = 95 })
            .SetName("13×7 map on 61×37, contour at 0.6");
        yield return new TestCaseData(1, 1, 9, 5, 9, HeatmapOverlayOptions.Default).SetName("1×1 map");
        yield return new TestCaseData(28, 28, 280, 280, 280, HeatmapOverlayOptions.Default with { Symmetric = true, Colormap = ColormapKind.Diverging, Upsampling = Upsampling.Bicubic })
            .SetName("signed 28×28 map, diverging, bicubic");
    }

    [TestCaseSource(nameof(Overlays))]
    public void Gpu_overlay_equals_the_cpu_reference(int mapWidth, int mapHeight, int frameWidth, int frameHeight, int stride, HeatmapOverlayOptions options)
    {
        var random = new Random(mapWidth * 1000 + frameWidth);
        var map = Enumerable.Range(0, mapWidth * mapHeight).Select(_ => (float)(random.NextDouble() * 4 - (options.Symmetric ? 2 : 0.5))).ToArray();
        var frame = Enumerable.Range(0, stride * frameHeight).Select(_ => (uint)random.Next() | 0xFF000000u).ToArray();

        var expected = new uint[frameWidth * frameHeight];
        HeatmapOverlay.Render(map, mapWidth, mapHeight, frame, frameWidth, frameHeight, stride, options, expected);
        _pass.Run(map, mapWidth, mapHeight, frame, frameWidth, frameHeight, stride, options);
        var actual = new uint[expected.Length];
        _pass.Output.Read<uint>(actual);

        PixelAssert.WithinOneLsb(expected, actual, frameWidth, frameHeight);
        if (options.ContourLevel is not null)
            Assert.That(expected.Count(p => p == options.ContourColor), Is.GreaterThan(0), "the contour is drawn");
    }
}
