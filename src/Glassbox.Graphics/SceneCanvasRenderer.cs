using Glassbox.Visualisation;

namespace Glassbox.Graphics;

/// <summary>
/// Draws a <see cref="SceneCanvas"/> frame on the GPU into an offscreen framebuffer: its images
/// become textures (kept between frames and reused by size), then the draw-list renderer draws the
/// list. <see cref="SceneCanvas.RenderOnCpu"/> is its reference. Owned by one <see cref="GlContext"/>.
/// </summary>
public sealed class SceneCanvasRenderer : IDisposable
{
    private readonly GlContext _context;
    private readonly DrawListRenderer _renderer;
    private readonly Texture _fontTexture;
    private readonly List<Texture> _textures = [];

    public SceneCanvasRenderer(GlContext context, ShaderLibrary shaders, BakedFont font, int width, int height)
        : this(context, shaders, font, new Framebuffer(context, width, height))
    {
    }

    /// <summary>Draws into <paramref name="target"/>, which the renderer then owns (an embedding's wraps the engine's texture).</summary>
    internal SceneCanvasRenderer(GlContext context, ShaderLibrary shaders, BakedFont font, Framebuffer target)
    {
        _context = context;
        Font = font;
        Target = target;
        try
        {
            _renderer = new DrawListRenderer(context, shaders);
            _fontTexture = FontBaker.Upload(context, font);
        }
        catch
        {
            Target.Dispose();
            _renderer?.Dispose();
            throw;
        }
    }

    public Framebuffer Target { get; }

    public BakedFont Font { get; }

    /// <summary>A canvas to record frames into, of this renderer's size and font.</summary>
    public SceneCanvas CreateCanvas(uint clearColor = 0xFF202020u) => new(Target.Width, Target.Height, Font, clearColor);

    public void Render(SceneCanvas canvas)
    {
        ArgumentNullException.ThrowIfNull(canvas);
        _context.CheckThread();
        if (!ReferenceEquals(canvas.Font, Font) || canvas.Width != Target.Width || canvas.Height != Target.Height)
            throw new GlassboxException($"The canvas is {canvas.Width}×{canvas.Height} with another font; record into CreateCanvas() of this {Target.Width}×{Target.Height} renderer.");
        var images = canvas.Images;
        for (int i = 0; i < images.Count; i++)
        {
            if (i == _textures.Count)
                _textures.Add(new Texture(_context, images[i].Width, images[i].Height));
            else if (_textures[i].Width != images[i].Width || _textures[i].Height != images[i].Height)
            {
                _textures[i].Dispose();
                _textures[i] = new Texture(_context, images[i].Width, images[i].Height);
            }
            _textures[i].Upload(images[i].Pixels);
        }
        _renderer.Render(canvas.List, Target, _textures, _fontTexture, clear: canvas.ClearColor);
    }

    public void Dispose()
    {
        foreach (var texture in _textures)
            texture.Dispose();
        _renderer.Dispose();
        _fontTexture.Dispose();
        Target.Dispose();
    }
}
