using Glassbox.Visualisation;

namespace Glassbox.Graphics;

/// <summary>
/// Glassbox inside another engine's OpenGL renderer: the engine passes its context's getProcAddress and
/// a texture it owns (2D, RGBA8), and each <see cref="Render"/> draws a scene frame (canvas, feature
/// atlas, attribution overlay, bars, text) into that texture, on the engine's render thread, between its
/// own draws. Every piece of GL state Glassbox changes is read first and put back after
/// (<see cref="RestoredState"/>); the engine's context, texture and debug callback are never deleted or replaced.
/// The scene's row 0 lands at the texture's top (highest t), so a quad with ordinary UVs shows it upright.
/// </summary>
public sealed class GlEmbedding : IDisposable
{
    private readonly GlContext _context;
    private readonly SceneCanvasRenderer _renderer;

    private GlEmbedding(GlContext context, SceneCanvasRenderer renderer)
    {
        _context = context;
        _renderer = renderer;
    }

    /// <summary>What is read before and written back after each call: the rest of the context is untouched.</summary>
    public static IReadOnlyList<string> RestoredState { get; } =
    [
        "draw and read framebuffer bindings", "viewport", "current program", "vertex array binding",
        "active texture unit, and the 2D texture bound on unit 0 and on the active unit",
        "pixel-unpack buffer binding", "shader-storage buffer bindings (generic, and indexed bindings 0 to 4 with their ranges)",
        "unpack and pack alignment", "blend function (separate RGB and alpha)", "colour write mask", "clear colour",
        "GL_BLEND, GL_SCISSOR_TEST, GL_DEPTH_TEST, GL_STENCIL_TEST, GL_CULL_FACE and GL_FRAMEBUFFER_SRGB (disabled while Glassbox draws)",
    ];

    /// <summary>
    /// Prepares to draw into <paramref name="texture"/> (an RGBA8 2D texture of <paramref name="width"/> ×
    /// <paramref name="height"/>) on the context current on this thread. Call on the engine's render thread.
    /// </summary>
    public static GlEmbedding IntoTexture(Func<string, IntPtr> getProcAddress, uint texture, int width, int height, ShaderLibrary shaders, BakedFont font)
    {
        ArgumentNullException.ThrowIfNull(shaders);
        ArgumentNullException.ThrowIfNull(font);
        var context = GlContext.FromCurrent(getProcAddress);
        // Creating buffers, programs and the framebuffer binds things too: that is guarded like a frame.
        var state = GlStateGuard.Enter(context.Gl);
        try
        {
            var target = new Framebuffer(context, Texture.Wrap(context, texture, width, height));
            try
            {
                return new GlEmbedding(context, new SceneCanvasRenderer(context, shaders, font, target));
            }
            catch
            {
                target.Dispose();
                throw;
            }
        }
        catch
        {
            context.Dispose();
            throw;
        }
        finally
        {
            state.Exit();
        }
    }

    /// <summary>The engine's context as Glassbox sees it (renderer and version strings, thread checks).</summary>
    public GlContext Context => _context;

    public int Width => _renderer.Target.Width;

    public int Height => _renderer.Target.Height;

    /// <summary>A canvas to record scene frames into, of the texture's size.</summary>
    public SceneCanvas CreateCanvas(uint clearColor = 0xFF202020u) => _renderer.CreateCanvas(clearColor);

    /// <summary>Draws the recorded frame into the engine's texture and restores the GL state it changed.</summary>
    public void Render(SceneCanvas canvas)
    {
        _context.CheckThread();
        var state = GlStateGuard.Enter(_context.Gl);
        try
        {
            _renderer.Render(canvas);
        }
        finally
        {
            state.Exit();
        }
    }

    /// <summary>Deletes Glassbox's own GL objects (programs, buffers, its framebuffer); the engine's texture stays.</summary>
    public void Dispose()
    {
        var state = GlStateGuard.Enter(_context.Gl);
        try
        {
            _renderer.Dispose();
        }
        finally
        {
            state.Exit();
            _context.Dispose();
        }
    }
}
