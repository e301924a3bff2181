using Glassbox.Graphics.Native;
using Glassbox.Visualisation;

namespace Glassbox.Graphics;

/// <summary>
/// Draws a <see cref="DrawList"/> into a framebuffer with one quad per command, matching
/// <see cref="DrawListRasterizer"/> (the CPU reference) within 1 LSB. Owned by one <see cref="GlContext"/>.
/// </summary>
public sealed unsafe class DrawListRenderer : IDisposable
{
    private readonly GlContext _context;
    private readonly ShaderProgram _program;
    private uint _vertexArray;

    public DrawListRenderer(GlContext context, ShaderLibrary shaders)
    {
        _context = context;
        _program = shaders.Render(context, "quad.vert", "quad.frag");
        uint vao;
        context.Gl.GenVertexArrays(1, &vao);
        _vertexArray = vao;
    }

    /// <param name="images">Textures the list's image commands refer to by index.</param>
    /// <param name="font">The baked font's coverage texture (R8), for text.</param>
    /// <param name="clear">Colour to clear the target with first, RGBA8 packed; null keeps its contents.</param>
    public void Render(DrawList list, Framebuffer target, IReadOnlyList<Texture> images, Texture? font, uint? clear = null)
    {
        _context.CheckThread();
        var gl = _context.Gl;
        target.Bind();
        if (clear is uint c)
        {
            gl.ClearColor((c & 0xFF) / 255f, ((c >> 8) & 0xFF) / 255f, ((c >> 16) & 0xFF) / 255f, (c >> 24) / 255f);
            gl.Clear(Gl.ColorBufferBit);
        }
        gl.BindVertexArray(_vertexArray);
        gl.ActiveTexture(Gl.Texture0);
        // Colour blends by alpha; the target keeps its own alpha (as the CPU reference does).
        gl.BlendFuncSeparate(Gl.SrcAlpha, Gl.OneMinusSrcAlpha, Gl.Zero, Gl.One);
        _program.Use().Set("u_target", target.Width, target.Height);
        foreach (var command in list.Commands)
        {
            switch (command)
            {
                case ImageCommand image:
                    var texture = images[image.Image];
                    gl.Disable(Gl.Blend);
                    gl.BindTexture(Gl.Texture2D, texture.Id);
                    Draw(0, image.Destination, 0).Set("u_source_size", texture.Width, texture.Height);
                    break;
                case FillCommand fill:
                    gl.Enable(Gl.Blend);
                    Draw(1, fill.Rect, fill.Color);
                    break;
                case GlyphCommand glyph:
                    if (font is null)
                        throw new InvalidOperationException("The list draws text but no font texture was given.");
                    gl.Enable(Gl.Blend);
                    gl.BindTexture(Gl.Texture2D, font.Id);
                    Draw(2, glyph.Destination, glyph.Color).Set("u_source_origin", glyph.SourceX, glyph.SourceY);
                    break;
            }
            gl.DrawArrays(Gl.TriangleStrip, 0, 4);
        }
        gl.Disable(Gl.Blend);
        gl.BindTexture(Gl.Texture2D, 0);
        gl.BindVertexArray(0);
        gl.BindFramebuffer(Gl.Framebuffer, 0);
    }

    public void Dispose()
    {
        _program.Dispose();
        if (_vertexArray != 0)
        {
            uint vao = _vertexArray;
            _context.Gl.DeleteVertexArrays(1, &vao);
            _vertexArray = 0;
        }
    }

    private ShaderProgram Draw(int mode, PixelRect rect, uint color) =>
        _program.Set("u_mode", mode).Set("u_rect", rect.X, rect.Y, rect.Width, rect.Height)
            .Set("u_color", (color & 0xFF) / 255f, ((color >> 8) & 0xFF) / 255f, ((color >> 16) & 0xFF) / 255f, (color >> 24) / 255f);
}
