using Glassbox.Graphics.Passes;
using Glassbox.Visualisation;

namespace Glassbox.Graphics;

/// <summary>
/// Draws a <see cref="SceneCanvas"/> frame on the GPU into an offscreen framebuffer: its images
/// become textures (kept between frames and reused by size), its heatmap overlays are blended by the
/// overlay compute pass straight into theirs (only when an overlay's inputs changed), then the
/// draw-list renderer draws the list. <see cref="SceneCanvas.RenderOnCpu()"/> is its reference.
/// Owned by one <see cref="GlContext"/>.
/// </summary>
public sealed class SceneCanvasRenderer : IDisposable
{
    private readonly GlContext _context;
    private readonly DrawListRenderer _renderer;
    private readonly Texture _fontTexture;
    private readonly ShaderLibrary _shaders;
    private readonly List<Texture> _textures = [];
    // Per texture slot: the overlay version it holds, so an unchanged overlay is neither blended nor uploaded again.
    private readonly List<(SceneCanvas.Overlay? Overlay, long Version)> _holds = [];
    private readonly List<SceneCanvas.Overlay?> _overlayAt = [];
    private HeatmapOverlayPass? _overlayPass;

    public SceneCanvasRenderer(GlContext context, ShaderLibrary shaders, BakedFont font, int width, int height)
        : this(context, shaders, font, new Framebuffer(context, width, height))
    {
    }

    /// <summary>Draws into <paramref name="target"/>, which the renderer then owns (an embedding's wraps the engine's texture).</summary>
    internal SceneCanvasRenderer(GlContext context, ShaderLibrary shaders, BakedFont font, Framebuffer target)
    {
        _context = context;
        _shaders = shaders;
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
        var images = canvas.RecordedImages;
        _overlayAt.Clear();
        for (int i = 0; i < images.Count; i++)
            _overlayAt.Add(null);
        var overlays = canvas.Overlays;
        for (int i = 0; i < overlays.Count; i++)
            _overlayAt[overlays[i].ImageIndex] = overlays[i];
        for (int i = 0; i < images.Count; i++)
        {
            if (i == _textures.Count)
            {
                _textures.Add(new Texture(_context, images[i].Width, images[i].Height));
                _holds.Add(default);
            }
            else if (_textures[i].Width != images[i].Width || _textures[i].Height != images[i].Height)
            {
                _textures[i].Dispose();
                _textures[i] = new Texture(_context, images[i].Width, images[i].Height);
                _holds[i] = default;
            }
            var overlayHere = _overlayAt[i];
            if (overlayHere is null)
            {
                _textures[i].Upload(images[i].Pixels);
                _holds[i] = default;
            }
            else if (_holds[i] != (overlayHere, overlayHere.Version))
            {
                Blend(overlayHere, _textures[i], canvas.ClearColor);
                _holds[i] = (overlayHere, overlayHere.Version);
            }
        }
        _renderer.Render(canvas.List, Target, _textures, _fontTexture, clear: canvas.ClearColor);
    }

    // The pass blends over the image under the overlay (its pixels uploaded) and the texture copies its output on
    // the GPU. An overlay the CPU has already blended (someone read the canvas's images) is uploaded as it is.
    private void Blend(SceneCanvas.Overlay overlay, Texture texture, uint clearColor)
    {
        var result = overlay.Result;
        if (overlay.BlendedOnCpu)
        {
            texture.Upload(result.Pixels);
            return;
        }
        if (overlay.Under is null)
            Array.Fill(result.Pixels, clearColor);
        var frame = overlay.Under?.Pixels ?? result.Pixels;
        _overlayPass ??= new HeatmapOverlayPass(_context, _shaders);
        _overlayPass.Run(overlay.Map, overlay.MapWidth, overlay.MapHeight, frame, result.Width, result.Height, result.Width, overlay.Options);
        texture.CopyFrom(_overlayPass.Output);
    }

    public void Dispose()
    {
        _overlayPass?.Dispose();
        foreach (var texture in _textures)
            texture.Dispose();
        _renderer.Dispose();
        _fontTexture.Dispose();
        Target.Dispose();
    }
}
