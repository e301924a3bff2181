using Glassbox.Visualisation;

namespace Glassbox.Tests;

public class FeatureAtlasTests
{
    [Test]
    public void Layout_places_tiles_in_a_square_ish_grid_with_gutters()
    {
        var layout = FeatureAtlasLayout.For(10, 7, 13, FeatureAtlasOptions.Default with { Gutter = 2, Scale = 3 });
        Assert.That((layout.Columns, layout.Rows), Is.EqualTo((4, 3)));
        Assert.That((layout.TileWidth, layout.TileHeight), Is.EqualTo((39, 21)));
        Assert.That((layout.Width, layout.Height), Is.EqualTo((4 * 39 + 5 * 2, 3 * 21 + 4 * 2)));
    }

    [Test]
    public void Each_map_spans_the_whole_colormap_per_channel_and_shares_one_range_per_layer()
    {
        // Channel 0 holds 0..3, channel 1 holds 0..1 (2×2 maps, no gutter, two columns).
        float[] maps = [0, 1, 2, 3, 0, 0.25f, 0.5f, 1];
        var perChannel = new uint[4 * 2];
        FeatureAtlas.Render(maps, 2, 2, 2, FeatureAtlasOptions.Default with { Gutter = 0, Colormap = ColormapKind.Grayscale }, perChannel);
        Assert.That(perChannel.Select(p => p & 0xFF), Is.EqualTo(new uint[] { 0, 85, 0, 64, 170, 255, 128, 255 }));

        var perLayer = new uint[4 * 2];
        FeatureAtlas.Render(maps, 2, 2, 2, FeatureAtlasOptions.Default with { Gutter = 0, Colormap = ColormapKind.Grayscale, Normalisation = MapNormalisation.PerLayer }, perLayer);
        Assert.That(perLayer.Select(p => p & 0xFF), Is.EqualTo(new uint[] { 0, 85, 0, 21, 170, 255, 43, 85 }));
    }

    [Test]
    public void Channels_order_by_mean_activation()
    {
        float[] maps = [1, 1, 5, 5, 3, 3, 5, 5];
        Assert.That(FeatureAtlas.OrderByActivation(maps, 4, 1, 2), Is.EqualTo(new[] { 1, 3, 2, 0 }));
    }

    [Test]
    public void The_strongest_channels_are_the_start_of_a_stable_sort_by_mean()
    {
        var random = new Random(5);
        // Whole-number activations so that many channels tie, as ReLU layers full of zeros do.
        float[] maps = Enumerable.Range(0, 64 * 9).Select(_ => (float)random.Next(0, 4)).ToArray();
        var means = Enumerable.Range(0, 64).Select(c => maps.Skip(c * 9).Take(9).Average(v => (double)v)).ToArray();
        var reference = Enumerable.Range(0, 64).OrderByDescending(c => means[c]).ThenBy(c => c).ToArray();
        var strongest = new int[16];
        FeatureAtlas.StrongestChannels(maps, 64, 3, 3, strongest);
        Assert.That(strongest, Is.EqualTo(reference.Take(16)));
        Assert.That(FeatureAtlas.OrderByActivation(maps, 64, 3, 3), Is.EqualTo(reference));
        Assert.That(() => FeatureAtlas.StrongestChannels(maps, 64, 3, 3, new int[65]), Throws.ArgumentException.With.Message.Contains("has 64"));
    }

    [Test]
    public void Colormap_index_rounds_and_clamps()
    {
        Assert.That(Colormaps.IndexOf(0f), Is.Zero);
        Assert.That(Colormaps.IndexOf(1f), Is.EqualTo(255));
        Assert.That(Colormaps.IndexOf(0.5f), Is.EqualTo(128));
        Assert.That(Colormaps.IndexOf(-3f), Is.Zero);
        Assert.That(Colormaps.IndexOf(7f), Is.EqualTo(255));
        Assert.That(Colormaps.IndexOf(float.NaN), Is.Zero);
        Assert.That(Colormaps.PackedRgba(ColormapKind.Viridis, 0), Is.EqualTo(0xFF540144u), "viridis starts at #440154");
        Assert.That(Colormaps.Parse("Turbo"), Is.EqualTo(ColormapKind.Turbo));
        Assert.That(Assert.Throws<GlassboxException>(() => Colormaps.Parse("rainbow"))!.Message, Does.Contain("viridis, inferno, magma, turbo, grayscale, diverging"));
    }

    [Test]
    public void Bad_options_say_how_to_fix_them()
    {
        Assert.That(Assert.Throws<ArgumentException>(() => (FeatureAtlasOptions.Default with { Channels = [9] }).Validate(4))!.Message, Does.Contain("channels 0 to 3"));
        Assert.That(Assert.Throws<ArgumentException>(() => (FeatureAtlasOptions.Default with { Scale = 0 }).Validate(4))!.Message, Does.Contain("use 1 to 64"));
    }
}
