using System.Runtime.InteropServices;
using Glassbox.Visualisation;
using Silk.NET.OpenGL;

namespace Glassbox.Graphics;

/// <summary>
/// Draws a <see cref="DrawList"/> into a framebuffer, matching <see cref="DrawListRasterizer"/> (the
/// CPU reference) within 1 LSB. All commands go to the GPU in one buffer; each image is one draw and
/// each run of fills and glyphs between images is one instanced draw, because per-call overhead
/// dominates on software rasterisers. Owned by one <see cref="GlContext"/>.
/// </summary>
internal sealed unsafe class DrawListRenderer : IDisposable
{
    [StructLayout(LayoutKind.Sequential)]
    private struct Command
    {
        public int X, Y, Width, Height;
        public int SourceX, SourceY, Mode, Padding;
        public float R, G, B, A;
    }

    private readonly GlContext _context;
    private readonly ShaderProgram _program;
    private Command[] _commands = new Command[256];
    private StorageBuffer? _buffer;
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
            gl.Clear(ClearBufferMask.ColorBufferBit);
        }
        int count = list.Commands.Count;
        if (count == 0)
        {
            gl.BindFramebuffer(GLEnum.Framebuffer, 0);
            return;
        }
        if (_commands.Length < count)
            Array.Resize(ref _commands, Math.Max(count, _commands.Length * 2));
        for (int i = 0; i < count; i++)
            _commands[i] = Encode(list.Commands[i], images, font);
        long bytes = (long)count * sizeof(Command);
        if (_buffer is null || _buffer.SizeInBytes < bytes)
        {
            _buffer?.Dispose();
            _buffer = new StorageBuffer(_context, Math.Max(bytes, _commands.Length * (long)sizeof(Command)));
        }
        _buffer.Write<Command>(_commands.AsSpan(0, count));

        gl.BindVertexArray(_vertexArray);
        gl.ActiveTexture(GLEnum.Texture0);
        // Colour blends by alpha; the target keeps its own alpha (as the CPU reference does).
        gl.BlendFuncSeparate(GLEnum.SrcAlpha, GLEnum.OneMinusSrcAlpha, GLEnum.Zero, GLEnum.One);
        _program.Use().Set("u_target", target.Width, target.Height).Bind(0, _buffer);
        int run = 0;
        for (int i = 0; i <= count; i++)
        {
            bool isImage = i < count && list.Commands[i].Kind == DrawCommandKind.Image;
            if (i < count && !isImage)
                continue;
            if (i > run)
            {
                // Fills and glyphs since the last image: one instanced draw, blended.
                gl.Enable(GLEnum.Blend);
                gl.BindTexture(GLEnum.Texture2D, font?.Id ?? 0);
                _program.Set("u_first", run);
                gl.DrawArraysInstanced(GLEnum.TriangleStrip, 0, 4, (uint)(i - run));
            }
            if (isImage)
            {
                gl.Disable(GLEnum.Blend);
                gl.BindTexture(GLEnum.Texture2D, images[list.Commands[i].Image].Id);
                _program.Set("u_first", i);
                gl.DrawArraysInstanced(GLEnum.TriangleStrip, 0, 4, 1);
            }
            run = i + 1;
        }
        gl.Disable(GLEnum.Blend);
        gl.BindTexture(GLEnum.Texture2D, 0);
        gl.BindVertexArray(0);
        gl.BindFramebuffer(GLEnum.Framebuffer, 0);
    }

    public void Dispose()
    {
        _program.Dispose();
        _buffer?.Dispose();
        if (_vertexArray != 0)
        {
            uint vao = _vertexArray;
            _context.Gl.DeleteVertexArrays(1, &vao);
            _vertexArray = 0;
        }
    }

    private static Command Encode(DrawCommand command, IReadOnlyList<Texture> images, Texture? font)
    {
        switch (command.Kind)
        {
            case DrawCommandKind.Image:
                var texture = images[command.Image];
                return Rect(command.Rect, 0) with { SourceX = texture.Width, SourceY = texture.Height };
            case DrawCommandKind.Fill:
                return Color(Rect(command.Rect, 1), command.Color);
            case DrawCommandKind.Glyph:
                if (font is null)
                    throw new InvalidOperationException("The list draws text but no font texture was given.");
                return Color(Rect(command.Rect, 2), command.Color) with { SourceX = command.SourceX, SourceY = command.SourceY };
            default:
                throw new ArgumentOutOfRangeException(nameof(command), command.Kind, null);
        }
    }

    private static Command Rect(PixelRect r, int mode) => new() { X = r.X, Y = r.Y, Width = r.Width, Height = r.Height, Mode = mode };

    private static Command Color(Command command, uint color) =>
        command with { R = (color & 0xFF) / 255f, G = ((color >> 8) & 0xFF) / 255f, B = ((color >> 16) & 0xFF) / 255f, A = (color >> 24) / 255f };
}
