using Glassbox.Graphics;
using Glassbox.Graphics.Passes;
using Glassbox.Visualisation;

namespace Glassbox.Tests;

public class FeatureAtlasPassTests : GpuTest
{
    private GlContext _gl = null!;
    private FeatureAtlasPass _pass = null!;

    [OneTimeSetUp]
    public void CreateContext()
    {
        _gl = Gl;
        _pass = new FeatureAtlasPass(_gl, new ShaderLibrary(RepoPaths.Shaders));
    }

    [OneTimeTearDown]
    public void DestroyContext()
    {
        _pass.Dispose();
    }

    public static IEnumerable<TestCaseData> Layers()
    {
        yield return new TestCaseData(63, 7, 13, FeatureAtlasOptions.Default).SetName("63 channels of 7×13, per channel");
        yield return new TestCaseData(63, 7, 13, FeatureAtlasOptions.Default with { Normalisation = MapNormalisation.PerLayer, Colormap = ColormapKind.Turbo, Gutter = 3 })
            .SetName("63 channels of 7×13, per layer, turbo, gutter 3");
        yield return new TestCaseData(1, 1, 1, FeatureAtlasOptions.Default with { Colormap = ColormapKind.Inferno }).SetName("one 1×1 map");
        yield return new TestCaseData(64, 56, 56, FeatureAtlasOptions.Default with { Colormap = ColormapKind.Magma }).SetName("64 channels of 56×56");
        yield return new TestCaseData(16, 5, 6, FeatureAtlasOptions.Default with { Channels = [15, 3, 3, 0], Columns = 3, Scale = 4, Colormap = ColormapKind.Grayscale })
            .SetName("channel subset, 3 columns, scale 4");
        yield return new TestCaseData(8, 9, 9, FeatureAtlasOptions.Default with { Channels = [5], Scale = 16, Gutter = 0, Colormap = ColormapKind.Diverging })
            .SetName("one channel zoomed ×16");
    }

    [TestCaseSource(nameof(Layers))]
    public void Gpu_atlas_equals_the_cpu_reference(int channels, int height, int width, FeatureAtlasOptions options)
    {
        var random = new Random(channels * 7919 + height * 31 + width);
        var maps = new float[channels * height * width];
        for (int i = 0; i < maps.Length; i++)
            maps[i] = (float)(random.NextDouble() * 6 - 1);
        // A flat channel must not divide by zero.
        Array.Fill(maps, 0.25f, 0, height * width);

        var layout = FeatureAtlasLayout.For(options.Channels?.Count ?? channels, height, width, options);
        var expected = new uint[layout.Width * layout.Height];
        FeatureAtlas.Render(maps, channels, height, width, options, expected);
        var gpuLayout = _pass.Run(maps, channels, height, width, options);
        var actual = new uint[layout.Width * layout.Height];
        _pass.Output.Read<uint>(actual);

        Assert.That(gpuLayout, Is.EqualTo(layout));
        PixelAssert.WithinOneLsb(expected, actual, layout.Width, layout.Height);
    }

    [TestCase(MapNormalisation.PerChannel)]
    [TestCase(MapNormalisation.PerLayer)]
    public void Maps_already_on_the_gpu_get_their_ranges_from_the_gpu_reduction(MapNormalisation normalisation)
    {
        const int channels = 63, height = 7, width = 13;
        var random = new Random(42);
        var maps = Enumerable.Range(0, channels * height * width).Select(_ => (float)(random.NextDouble() * 9 - 4)).ToArray();
        var options = FeatureAtlasOptions.Default with { Normalisation = normalisation, Channels = Enumerable.Range(0, channels).Reverse().ToArray() };
        var layout = FeatureAtlasLayout.For(channels, height, width, options);
        var expected = new uint[layout.Width * layout.Height];
        FeatureAtlas.Render(maps, channels, height, width, options, expected);

        using var onGpu = new StorageBuffer(_gl, maps.Length * sizeof(float));
        onGpu.Write<float>(maps);
        _pass.Run(onGpu, channels, height, width, options);
        var actual = new uint[expected.Length];
        _pass.Output.Read<uint>(actual);

        PixelAssert.WithinOneLsb(expected, actual, layout.Width, layout.Height);
    }
}
