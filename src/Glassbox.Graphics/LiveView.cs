using Glassbox.Graphics.Passes;
using Glassbox.Visualisation;

namespace Glassbox.Graphics;

/// <summary>
/// Draws the <see cref="LiveLayout"/> on the GPU into an offscreen framebuffer: the overlay and atlas
/// passes make images 0 and 1 of the layout's draw list, which the quad renderer then draws.
/// <see cref="LiveLayout.RenderOnCpu"/> draws the same picture with the CPU references. Owned by one <see cref="GlContext"/>.
/// </summary>
public sealed class LiveView : IDisposable
{
    private readonly GlContext _context;
    private readonly HeatmapOverlayPass _overlay;
    private readonly FeatureAtlasPass _atlas;
    private readonly DrawListRenderer _renderer;
    private readonly BakedFont _font;
    private readonly Texture _fontTexture;
    private readonly DrawList _list = new();
    private Texture? _frameTexture, _atlasTexture;

    public LiveView(GlContext context, ShaderLibrary shaders, BakedFont font, int width = 1280, int height = 720)
    {
        _context = context;
        _font = font;
        Target = new Framebuffer(context, width, height);
        _overlay = new HeatmapOverlayPass(context, shaders);
        _atlas = new FeatureAtlasPass(context, shaders);
        _renderer = new DrawListRenderer(context, shaders);
        _fontTexture = FontBaker.Upload(context, font);
    }

    public Framebuffer Target { get; }

    /// <summary>The rectangle the frame is drawn in (for mapping pointer input onto the frame).</summary>
    public PixelRect FrameRect { get; private set; }

    public void Render(LiveViewFrame frame, HeatmapOverlayOptions overlay, FeatureAtlasOptions atlas)
    {
        _context.CheckThread();
        var plan = LiveLayout.For(Target.Width, Target.Height);
        var image = frame.Frame;
        _frameTexture = Fit(_frameTexture, image.Width, image.Height);
        if (frame.Heatmap is { } map)
        {
            _overlay.Run(map, frame.HeatmapWidth, frame.HeatmapHeight, image.Pixels, image.Width, image.Height, image.Width, overlay);
            _frameTexture.CopyFrom(_overlay.Output);
        }
        else
        {
            _frameTexture.Upload(image.Pixels);
        }
        FeatureAtlasLayout? layout = null;
        if (frame.Features is { } features)
        {
            layout = _atlas.Run(features, frame.FeatureChannels, frame.FeatureHeight, frame.FeatureWidth, LiveLayout.AtlasOptions(plan, frame, atlas));
            _atlasTexture = Fit(_atlasTexture, layout.Value.Width, layout.Value.Height);
            _atlasTexture.CopyFrom(_atlas.Output);
        }
        FrameRect = LiveLayout.Draw(_list, plan, frame, _font, layout);
        var textures = new List<Texture> { _frameTexture };
        if (layout is not null && _atlasTexture is not null)
            textures.Add(_atlasTexture);
        _renderer.Render(_list, Target, textures, _fontTexture, clear: LiveLayout.Background);
    }

    public void Dispose()
    {
        _overlay.Dispose();
        _atlas.Dispose();
        _renderer.Dispose();
        _fontTexture.Dispose();
        _frameTexture?.Dispose();
        _atlasTexture?.Dispose();
        Target.Dispose();
    }

    private Texture Fit(Texture? texture, int width, int height)
    {
        if (texture is not null && texture.Width == width && texture.Height == height)
            return texture;
        texture?.Dispose();
        return new Texture(_context, width, height);
    }
}
