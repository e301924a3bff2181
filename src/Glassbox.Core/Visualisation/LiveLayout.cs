namespace Glassbox.Visualisation;

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
/// The live layout: the frame with its heatmap overlay on the left, the feature-map atlas on the
/// right, probability bars and the stats panel below. It produces one <see cref="DrawList"/> whose
/// image 0 is the (overlaid) frame and image 1 the atlas, so the GPU (Glassbox.Graphics.LiveView)
/// and the CPU (<see cref="RenderOnCpu"/>) draw the same picture.
/// </summary>
public static class LiveLayout
{
    public const int Margin = 16;
    public const uint Background = 0xFF121212, Panel = 0xFF1C1C1C, TextColor = 0xFFE0E0E0, Dim = 0xFF9A9A9A;

    /// <summary>Where things go on a target of the given size.</summary>
    public sealed record Plan(int Width, int Height, PixelRect FrameArea, PixelRect AtlasArea, PixelRect StatsArea, int BarsY);

    public static Plan For(int width, int height)
    {
        int leftWidth = (width - 3 * Margin) / 2;
        int viewHeight = height - 3 * Margin - 200;
        int bottom = 2 * Margin + viewHeight;
        var atlasArea = new PixelRect(2 * Margin + leftWidth, Margin, width - 3 * Margin - leftWidth, viewHeight);
        return new Plan(width, height, new PixelRect(Margin, Margin, leftWidth, viewHeight), atlasArea,
            new PixelRect(atlasArea.X, bottom, atlasArea.Width, height - bottom - Margin), bottom);
    }

    /// <summary>The largest whole scale at which the atlas fits its area (at most 64).</summary>
    public static FeatureAtlasOptions AtlasOptions(Plan plan, LiveViewFrame frame, FeatureAtlasOptions atlas)
    {
        int tiles = atlas.Channels?.Count ?? frame.FeatureChannels;
        var unscaled = FeatureAtlasLayout.For(tiles, frame.FeatureHeight, frame.FeatureWidth, atlas with { Scale = 1 });
        int scale = Math.Min((plan.AtlasArea.Width - unscaled.Gutter * (unscaled.Columns + 1)) / (unscaled.Columns * frame.FeatureWidth),
                             (plan.AtlasArea.Height - unscaled.Gutter * (unscaled.Rows + 1)) / (unscaled.Rows * frame.FeatureHeight));
        return atlas with { Scale = Math.Clamp(scale, 1, 64) };
    }

    /// <summary>
    /// Fills <paramref name="list"/> with the layout; returns the rectangle the frame is drawn in. The
    /// target must already hold <see cref="Background"/> (both renderers clear to it; a full-screen
    /// fill would cost a million blended fragments on a software rasteriser for nothing).
    /// </summary>
    public static PixelRect Draw(DrawList list, Plan plan, LiveViewFrame frame, BakedFont font, FeatureAtlasLayout? atlas)
    {
        list.Clear();
        var frameRect = FitInto(frame.Frame.Width, frame.Frame.Height, plan.FrameArea);
        list.Image(frameRect, 0);
        list.Fill(plan.AtlasArea, Panel);
        if (atlas is { } layout)
            list.Image(FitInto(layout.Width, layout.Height, plan.AtlasArea), 1);
        if (frame.Probabilities.Length > 0)
        {
            var bars = ProbabilityBarsOptions.Default with { RowHeight = Math.Max(10, (plan.Height - plan.BarsY - Margin) / Math.Max(1, frame.Probabilities.Length)) };
            ProbabilityBars.Draw(list, font, frame.Labels, frame.Probabilities, Margin, plan.BarsY, bars);
        }
        var stats = plan.StatsArea;
        list.Fill(stats, Panel);
        float line = font.PixelHeight * 1.35f;
        for (int i = 0; i < frame.Status.Count && (i + 1) * line < stats.Height; i++)
            list.Text(font, frame.Status[i], stats.X + 10, stats.Y + 8 + (i + 1) * line - line * 0.3f, i == 0 ? TextColor : Dim);
        return frameRect;
    }

    /// <summary>The whole view drawn by the CPU references: for machines without a GPU or a display.</summary>
    public static RgbaImage RenderOnCpu(LiveViewFrame frame, HeatmapOverlayOptions overlay, FeatureAtlasOptions atlas, BakedFont font, int width = 1280, int height = 720)
    {
        var plan = For(width, height);
        var image = frame.Frame;
        var overlaid = new RgbaImage(image.Width, image.Height, (uint[])image.Pixels.Clone());
        if (frame.Heatmap is { } map)
            HeatmapOverlay.Render(map, frame.HeatmapWidth, frame.HeatmapHeight, image.Pixels, image.Width, image.Height, image.Width, overlay, overlaid.Pixels);
        var images = new List<RgbaImage> { overlaid };
        FeatureAtlasLayout? layout = null;
        if (frame.Features is { } features)
        {
            var options = AtlasOptions(plan, frame, atlas);
            var l = FeatureAtlasLayout.For(options.Channels?.Count ?? frame.FeatureChannels, frame.FeatureHeight, frame.FeatureWidth, options);
            var atlasImage = new RgbaImage(l.Width, l.Height);
            FeatureAtlas.Render(features, frame.FeatureChannels, frame.FeatureHeight, frame.FeatureWidth, options, atlasImage.Pixels);
            images.Add(atlasImage);
            layout = l;
        }
        var list = new DrawList();
        Draw(list, plan, frame, font, layout);
        var target = new RgbaImage(width, height);
        Array.Fill(target.Pixels, Background);
        DrawListRasterizer.Render(list, target, images, font);
        return target;
    }

    /// <summary>The largest rectangle with the source's aspect ratio centred in the area.</summary>
    public static PixelRect FitInto(int sourceWidth, int sourceHeight, PixelRect area)
    {
        double scale = Math.Min((double)area.Width / sourceWidth, (double)area.Height / sourceHeight);
        int w = Math.Max(1, (int)(sourceWidth * scale)), h = Math.Max(1, (int)(sourceHeight * scale));
        return new PixelRect(area.X + (area.Width - w) / 2, area.Y + (area.Height - h) / 2, w, h);
    }
}
