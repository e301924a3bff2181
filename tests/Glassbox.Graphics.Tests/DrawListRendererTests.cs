using Glassbox.Graphics;
using Glassbox.Graphics.Passes;
using Glassbox.Visualisation;

namespace Glassbox.Tests;

public class DrawListRendererTests : GpuTest
{
    private GlContext _gl = null!;
    private ShaderLibrary _shaders = null!;
    private DrawListRenderer _renderer = null!;
    private BakedFont _font = null!;
    private Texture _fontTexture = null!;

    [OneTimeSetUp]
    public void CreateContext()
    {
        _gl = Gl;
        _shaders = new ShaderLibrary(RepoPaths.Shaders);
        _renderer = new DrawListRenderer(_gl, _shaders);
        _font = FontBaker.Bake(FontBaker.DefaultFontPath, 15f);
        _fontTexture = FontBaker.Upload(_gl, _font);
    }

    [OneTimeTearDown]
    public void DestroyContext()
    {
        _fontTexture.Dispose();
        _renderer.Dispose();
    }

    [Test]
    public void Fills_images_and_text_match_the_cpu_reference()
    {
        var source = new RgbaImage(7, 5);
        for (int i = 0; i < source.Pixels.Length; i++)
            source.Pixels[i] = RgbaImage.Pack((byte)(i * 9), (byte)(255 - i * 7), (byte)(i * 31), 255);
        var list = new DrawList();
        list.Fill(new PixelRect(0, 0, 97, 61), 0xFF202020);
        list.Image(new PixelRect(3, 4, 20, 11), 0);
        list.Image(new PixelRect(30, 2, 7, 5), 0);
        list.Fill(new PixelRect(10, 8, 40, 30), 0x80FF8000);
        list.Text(_font, "Grad-CAM 7: 98%", 4.3f, 50.6f, 0xFFFFFFFF);
        list.Text(_font, "gj|Q", 60f, 20f, 0xC040C0F0);

        AssertGpuMatchesCpu(list, 97, 61, [source]);
    }

    [Test]
    public void Probability_bars_match_the_cpu_reference()
    {
        var list = new DrawList();
        float[] probabilities = [0.01f, 0.02f, 0.0f, 0.05f, 0.0f, 0.0f, 0.0f, 0.9f, 0.01f, 0.01f];
        var (width, height) = ProbabilityBars.Draw(list, _font, Enumerable.Range(0, 10).Select(i => i.ToString()).ToArray(), probabilities, 0, 0, ProbabilityBarsOptions.Default);

        var cpu = AssertGpuMatchesCpu(list, width, height, []);
        // The top class's bar is drawn in the highlight colour, 90% of the track long.
        int rowY = ProbabilityBarsOptions.Default.Gap / 2 + 7 * ProbabilityBarsOptions.Default.RowHeight + ProbabilityBarsOptions.Default.RowHeight / 2;
        int barX = ProbabilityBarsOptions.Default.Gap + ProbabilityBarsOptions.Default.LabelWidth;
        Assert.That(cpu[barX + 5, rowY], Is.EqualTo(ProbabilityBarsOptions.Default.TopBar));
        Assert.That(cpu[barX + 143, rowY], Is.EqualTo(ProbabilityBarsOptions.Default.TopBar));
        Assert.That(cpu[barX + 145, rowY], Is.EqualTo(ProbabilityBarsOptions.Default.Track));
    }

    private RgbaImage AssertGpuMatchesCpu(DrawList list, int width, int height, RgbaImage[] images)
    {
        var cpu = new RgbaImage(width, height);
        Array.Fill(cpu.Pixels, 0xFF000000u);
        DrawListRasterizer.Render(list, cpu, images, _font);

        using var target = new Framebuffer(_gl, width, height);
        var textures = images.Select(image =>
        {
            var t = new Texture(_gl, image.Width, image.Height);
            t.Upload(image.Pixels);
            return t;
        }).ToList();
        _renderer.Render(list, target, textures, _fontTexture, clear: 0xFF000000u);
        var gpu = target.Read();
        textures.ForEach(t => t.Dispose());

        PixelAssert.WithinOneLsb(cpu.Pixels, gpu.Pixels, width, height);
        return cpu;
    }
}
