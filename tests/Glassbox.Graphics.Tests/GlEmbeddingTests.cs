using GL = Silk.NET.OpenGL.GL;
using GLEnum = Silk.NET.OpenGL.GLEnum;
using Glassbox.Graphics;
using Glassbox.Graphics.Native;
using Glassbox.Visualisation;

namespace Glassbox.Tests;

/// <summary>
/// Glassbox embedded in an engine's GL context: a context of our own stands in for the engine's, with
/// its state set the way a game leaves it (its framebuffer, program, blending, scissor, culling...).
/// </summary>
public unsafe class GlEmbeddingTests : GpuTest
{
    private static BakedFont Font => BakedFont.Default;

    /// <summary>Every value in <see cref="GlEmbedding.RestoredState"/>, read back from the context.</summary>
    private static string State(GL gl)
    {
        int I(GLEnum name) => gl.GetInteger(name);
        int active = I(GLEnum.ActiveTexture);
        int activeBinding = I(GLEnum.TextureBinding2D);
        gl.ActiveTexture(GLEnum.Texture0);
        int unit0 = I(GLEnum.TextureBinding2D);
        gl.ActiveTexture((GLEnum)active);
        int* viewport = stackalloc int[4], mask = stackalloc int[4];
        float* clear = stackalloc float[4];
        gl.GetInteger(GLEnum.Viewport, viewport);
        gl.GetInteger(GLEnum.ColorWritemask, mask);
        gl.GetFloat(GLEnum.ColorClearValue, clear);
        // Indexed storage bindings 0–4: the draw list binds 0, the overlay pass 0 to 4.
        var storage = new List<string>();
        for (uint index = 0; index < 5; index++)
        {
            int buffer;
            long start, size;
            gl.GetInteger(GLEnum.ShaderStorageBufferBinding, index, &buffer);
            gl.GetInteger64(GLEnum.ShaderStorageBufferStart, index, &start);
            gl.GetInteger64(GLEnum.ShaderStorageBufferSize, index, &size);
            storage.Add($"ssbo[{index}] {buffer} +{start} ({size})");
        }
        GLEnum[] switches = [GLEnum.Blend, GLEnum.ScissorTest, GLEnum.DepthTest, GLEnum.StencilTest, GLEnum.CullFace, GLEnum.FramebufferSrgb];
        return string.Join(", ",
            $"draw fb {I(GLEnum.DrawFramebufferBinding)}", $"read fb {I(GLEnum.ReadFramebufferBinding)}", $"program {I(GLEnum.CurrentProgram)}",
            $"vao {I(GLEnum.VertexArrayBinding)}", $"active unit {active - (int)GLEnum.Texture0}", $"texture on it {activeBinding}", $"texture on unit 0 {unit0}",
            $"unpack buffer {I(GLEnum.PixelUnpackBufferBinding)}", $"ssbo {I(GLEnum.ShaderStorageBufferBinding)}", string.Join(", ", storage),
            $"alignment {I(GLEnum.UnpackAlignment)}/{I(GLEnum.PackAlignment)}",
            $"blend {I(GLEnum.BlendSrcRgb):X} {I(GLEnum.BlendDstRgb):X} {I(GLEnum.BlendSrcAlpha):X} {I(GLEnum.BlendDstAlpha):X}",
            $"viewport {viewport[0]} {viewport[1]} {viewport[2]} {viewport[3]}", $"mask {mask[0]}{mask[1]}{mask[2]}{mask[3]}",
            $"clear {clear[0]} {clear[1]} {clear[2]} {clear[3]}",
            $"on {string.Concat(switches.Select(s => gl.IsEnabled(s) ? "1" : "0"))}");
    }

    [Test]
    public void It_draws_the_frame_into_the_engines_texture_and_puts_back_every_state_it_changes()
    {
        using var engine = OpenContext();
        var gl = engine.Gl;
        var shaders = new ShaderLibrary(RepoPaths.Shaders);
        using var engineTexture = new Texture(engine, 320, 200);
        using var engineFramebuffer = new Framebuffer(engine, 64, 64);
        using var engineProgram = shaders.Compute(engine, "feature_ranges.comp");
        using var otherTexture = new Texture(engine, 4, 4);
        using var engineBuffer = new StorageBuffer(engine, 1024);
        uint vao;
        gl.GenVertexArrays(1, &vao);

        // A game's state mid-frame, chosen so that each would spoil Glassbox's drawing if left alone.
        gl.BindFramebuffer(GLEnum.Framebuffer, engineFramebuffer.Id);
        gl.Viewport(3, 4, 50, 60);
        engineProgram.Use();
        gl.BindVertexArray(vao);
        gl.ActiveTexture(GLEnum.Texture0);
        gl.BindTexture(GLEnum.Texture2D, otherTexture.Id);
        gl.ActiveTexture(GLEnum.Texture0 + 3);
        gl.BindTexture(GLEnum.Texture2D, otherTexture.Id);
        gl.BindBufferRange(GLEnum.ShaderStorageBuffer, 0, engineBuffer.Id, 256, 512);
        gl.BindBufferBase(GLEnum.ShaderStorageBuffer, 1, engineBuffer.Id);
        gl.BindBufferRange(GLEnum.ShaderStorageBuffer, 3, engineBuffer.Id, 512, 256);
        gl.BindBufferBase(GLEnum.ShaderStorageBuffer, 4, engineBuffer.Id);
        gl.BindBuffer(GLEnum.ShaderStorageBuffer, engineBuffer.Id);
        gl.PixelStore(GLEnum.UnpackAlignment, 8);
        gl.PixelStore(GLEnum.PackAlignment, 2);
        gl.Enable(GLEnum.Blend);
        gl.BlendFuncSeparate(GLEnum.One, GLEnum.One, GLEnum.One, GLEnum.Zero);
        gl.Enable(GLEnum.ScissorTest);
        gl.Enable(GLEnum.CullFace);
        gl.Enable(GLEnum.DepthTest);
        gl.ColorMask(true, false, true, false);
        gl.ClearColor(0.1f, 0.2f, 0.3f, 0.4f);
        string before = State(gl);

        using var embedding = GlEmbedding.IntoTexture(GlContext.GlfwProcAddress, engineTexture.Id, 320, 200, shaders, Font);
        Assert.That(State(gl), Is.EqualTo(before), "creating the embedding leaves the state as it was");

        var canvas = embedding.CreateCanvas();
        var paper = new RgbaImage(28, 28);
        for (int i = 0; i < paper.Pixels.Length; i++)
            paper.Pixels[i] = RgbaImage.Pack((byte)(i * 7), (byte)(255 - i), 200);
        for (int frame = 0; frame < 2; frame++)
        {
            canvas.Begin();
            canvas.DrawImage(paper, 10, 10, 140, 140);
            canvas.DrawHeatmap([0f, 1f, 2f, 3f, 2f, 1f, 0f, 1f, 4f], 3, 3, 10, 10, 140, 140, HeatmapOverlayOptions.Default with { Opacity = 0.6f });
            canvas.FillRect(170, 20, 100 + frame * 30, 16, 0xFF3CB4F0u);
            canvas.DrawText($"frame {frame}: 7 (98.1%)", 170, 60, 0xFFFFFFFFu);
            embedding.Render(canvas);
            Assert.That(State(gl), Is.EqualTo(before), $"frame {frame}: every state back as the engine left it");

            // The engine's texture holds the frame, exactly as the CPU reference draws it.
            using var readBack = new Framebuffer(engine, Texture.Wrap(engine, engineTexture.Id, 320, 200));
            var pixels = readBack.Read();
            // (Reading back is the test's doing: the engine's state goes back for the next frame's check.)
            gl.BindFramebuffer(GLEnum.Framebuffer, engineFramebuffer.Id);
            gl.PixelStore(GLEnum.PackAlignment, 2);
            gl.Viewport(3, 4, 50, 60);
            var comparison = new ImageComparer { PixelThreshold = 1, MaxDifferentFraction = 0, MaxMeanDifference = 0.05 }.Compare(canvas.RenderOnCpu(), pixels);
            Assert.That(comparison.DifferentPixels, Is.Zero, $"frame {frame}: {comparison}");
        }
        gl.DeleteVertexArrays(1, &vao);
    }

    [Test]
    public void A_texture_of_the_wrong_size_or_format_or_none_at_all_is_named()
    {
        using var engine = OpenContext();
        var shaders = new ShaderLibrary(RepoPaths.Shaders);
        using var small = new Texture(engine, 64, 32);
        using var gray = new Texture(engine, 320, 200, TextureFormat.R8);
        Assert.That(() => GlEmbedding.IntoTexture(GlContext.GlfwProcAddress, small.Id, 320, 200, shaders, Font), Throws.TypeOf<GlassboxException>().With.Message.EqualTo(
            $"Texture {small.Id} is 64×32 with internal format 0x8058; Glassbox renders into a 320×200 RGBA8 (0x8058) 2D texture. Create it with glTexStorage2D(GL_TEXTURE_2D, 1, GL_RGBA8, 320, 200)."));
        Assert.That(() => GlEmbedding.IntoTexture(GlContext.GlfwProcAddress, gray.Id, 320, 200, shaders, Font), Throws.TypeOf<GlassboxException>().With.Message.Contains("internal format 0x8229"));
        Assert.That(() => GlEmbedding.IntoTexture(GlContext.GlfwProcAddress, 4242, 320, 200, shaders, Font), Throws.TypeOf<GlassboxException>().With.Message.EqualTo(
            "4242 is not a texture of this OpenGL context; pass the name (id) of an RGBA8 texture the engine created."));
    }
}
