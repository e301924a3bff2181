using Glassbox.Graphics.Passes;
using Glassbox.Visualisation;

namespace Glassbox.Graphics;

/// <summary>Everything one frame of the live view shows.</summary>
public sealed record LiveViewFrame
{
    /// <summary>The input frame the network saw.</summary>
    public required RgbaImage Frame { get; init; }

    /// <summary>Attribution map (row-major Height × Width) drawn over the frame; null shows the frame alone.</summary>
    public float[]? Heatmap { get; init; }
    public int HeatmapWidth { get; init; }
    public int HeatmapHeight { get; init; }

    /// <summary>Feature maps of the chosen layer, planar Channels × Height × Width; null hides the atlas.</summary>
    public float[]? Features { get; init; }
    public int FeatureChannels { get; init; }
    public int FeatureHeight { get; init; }
    public int FeatureWidth { get; init; }

    public IReadOnlyList<string> Labels { get; init; } = [];
    public float[] Probabilities { get; init; } = [];

    /// <summary>Lines of text for the stats panel (method, layer, timings, execution provider).</summary>
    public IReadOnlyList<string> Status { get; init; } = [];
}

/// <summary>
/// Composes the live layout into an offscreen framebuffer: the frame with its heatmap overlay on the
/// left, the feature-map atlas on the right, probability bars and the stats panel below. Every part
/// is a GPU pass with a CPU reference; this class only places them. Owned by one <see cref="GlContext"/>.
/// </summary>
public sealed class LiveView : IDisposable
{
    public const int Margin = 16;
    private const uint Background = 0xFF121212, Panel = 0xFF1C1C1C, TextColor = 0xFFE0E0E0, Dim = 0xFF9A9A9A;

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
        int width = Target.Width, height = Target.Height;
        int leftWidth = (width - 3 * Margin) / 2;
        int viewHeight = height - 3 * Margin - 200;
        _list.Clear();
        _list.Fill(new PixelRect(0, 0, width, height), Background);

        // Frame and overlay, fitted into the left half keeping the aspect ratio.
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
        FrameRect = FitInto(image.Width, image.Height, new PixelRect(Margin, Margin, leftWidth, viewHeight));
        _list.Image(FrameRect, 0);

        // Feature-map atlas in the right half, at the largest whole scale that fits.
        var atlasArea = new PixelRect(2 * Margin + leftWidth, Margin, width - 3 * Margin - leftWidth, viewHeight);
        _list.Fill(atlasArea, Panel);
        if (frame.Features is { } features)
        {
            int tiles = atlas.Channels?.Count ?? frame.FeatureChannels;
            var unscaled = FeatureAtlasLayout.For(tiles, frame.FeatureHeight, frame.FeatureWidth, atlas with { Scale = 1 });
            int scale = Math.Max(1, Math.Min((atlasArea.Width - unscaled.Gutter * (unscaled.Columns + 1)) / (unscaled.Columns * frame.FeatureWidth),
                                             (atlasArea.Height - unscaled.Gutter * (unscaled.Rows + 1)) / (unscaled.Rows * frame.FeatureHeight)));
            var layout = _atlas.Run(features, frame.FeatureChannels, frame.FeatureHeight, frame.FeatureWidth, atlas with { Scale = Math.Min(scale, 64) });
            _atlasTexture = Fit(_atlasTexture, layout.Width, layout.Height);
            _atlasTexture.CopyFrom(_atlas.Output);
            _list.Image(FitInto(layout.Width, layout.Height, atlasArea), 1);
        }

        // Probability bars and the stats panel along the bottom.
        int bottom = 2 * Margin + viewHeight;
        if (frame.Probabilities.Length > 0)
        {
            var bars = ProbabilityBarsOptions.Default with { RowHeight = Math.Max(10, (height - bottom - Margin) / Math.Max(1, frame.Probabilities.Length)) };
            ProbabilityBars.Draw(_list, _font, frame.Labels, frame.Probabilities, Margin, bottom, bars);
        }
        var statsArea = new PixelRect(2 * Margin + leftWidth, bottom, atlasArea.Width, height - bottom - Margin);
        _list.Fill(statsArea, Panel);
        float line = _font.PixelHeight * 1.35f;
        for (int i = 0; i < frame.Status.Count && (i + 1) * line < statsArea.Height; i++)
            _list.Text(_font, frame.Status[i], statsArea.X + 10, statsArea.Y + 8 + (i + 1) * line - line * 0.3f, i == 0 ? TextColor : Dim);

        var textures = new List<Texture> { _frameTexture };
        if (_atlasTexture is not null)
            textures.Add(_atlasTexture);
        _renderer.Render(_list, Target, textures, _fontTexture, clear: Background);
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

    /// <summary>The largest rectangle with the source's aspect ratio centred in the area.</summary>
    public static PixelRect FitInto(int sourceWidth, int sourceHeight, PixelRect area)
    {
        double scale = Math.Min((double)area.Width / sourceWidth, (double)area.Height / sourceHeight);
        int w = Math.Max(1, (int)(sourceWidth * scale)), h = Math.Max(1, (int)(sourceHeight * scale));
        return new PixelRect(area.X + (area.Width - w) / 2, area.Y + (area.Height - h) / 2, w, h);
    }
}
