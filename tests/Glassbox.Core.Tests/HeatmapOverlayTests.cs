using Glassbox.Visualisation;

namespace Glassbox.Tests;

public class HeatmapOverlayTests
{
    [Test]
    public void Percentile_range_interpolates_between_order_statistics()
    {
        var map = Enumerable.Range(0, 101).Select(i => (float)i).Reverse().ToArray();
        Assert.That(HeatmapOverlay.Range(map, HeatmapOverlayOptions.Default), Is.EqualTo((1f, 99f)));
        Assert.That(HeatmapOverlay.Range(map, HeatmapOverlayOptions.Default with { LowPercentile = 0, HighPercentile = 100 }), Is.EqualTo((0f, 100f)));
        Assert.That(HeatmapOverlay.Range([0f, 10f], HeatmapOverlayOptions.Default with { LowPercentile = 25, HighPercentile = 50 }), Is.EqualTo((2.5f, 5f)));
        Assert.That(HeatmapOverlay.Range([-3f, 1f], HeatmapOverlayOptions.Default with { Symmetric = true }), Is.EqualTo((-3f, 3f)));
    }

    [Test]
    public void Upsampling_to_the_same_size_returns_the_map_and_matches_known_midpoints()
    {
        float[] map = [0, 1, 2, 3];
        for (int y = 0; y < 2; y++)
        {
            for (int x = 0; x < 2; x++)
            {
                Assert.That(HeatmapOverlay.Sample(map, 2, 2, 2, 2, x, y, Upsampling.Bilinear), Is.EqualTo(map[y * 2 + x]));
                Assert.That(HeatmapOverlay.Sample(map, 2, 2, 2, 2, x, y, Upsampling.Bicubic), Is.EqualTo(map[y * 2 + x]).Within(1e-6f));
            }
        }
        // 2 → 4 wide, pixel centres aligned: output x = 1 samples source x = 0.25 (PyTorch align_corners=False).
        Assert.That(HeatmapOverlay.Sample([0f, 4f], 2, 1, 4, 1, 1, 0, Upsampling.Bilinear), Is.EqualTo(1f));
        Assert.That(HeatmapOverlay.Sample([0f, 4f], 2, 1, 4, 1, 0, 0, Upsampling.Bilinear), Is.EqualTo(0f), "edges clamp");
    }

    [Test]
    public void Blend_mixes_per_channel_and_rounds()
    {
        uint under = 0xFF000000u | 200u | 100u << 8;
        uint mixed = HeatmapOverlay.Blend(under, 0, 255, 51, 0.5f);
        Assert.That(mixed & 0xFF, Is.EqualTo(100));
        Assert.That((mixed >> 8) & 0xFF, Is.EqualTo(178), "100·½ + 255·½ = 177.5 rounds up");
        Assert.That((mixed >> 16) & 0xFF, Is.EqualTo(26));
        Assert.That(mixed >> 24, Is.EqualTo(255));
    }

    [Test]
    public void Bad_options_say_how_to_fix_them()
    {
        Assert.That(Assert.Throws<ArgumentException>(() => (HeatmapOverlayOptions.Default with { Opacity = 1.5f }).Validate())!.Message, Does.Contain("from 0"));
        Assert.That(Assert.Throws<ArgumentException>(() => (HeatmapOverlayOptions.Default with { LowPercentile = 90, HighPercentile = 10 }).Validate())!.Message, Does.Contain("0 ≤ low < high ≤ 100"));
        Assert.That(Assert.Throws<ArgumentException>(() => (HeatmapOverlayOptions.Default with { ContourLevel = 1f }).Validate())!.Message, Does.Contain("strictly between 0 and 1"));
    }
}
