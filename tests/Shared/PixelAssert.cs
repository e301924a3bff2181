using Glassbox.Visualisation;

namespace Glassbox.Tests;

/// <summary>GPU-versus-CPU comparisons: every pixel within 1 LSB in every channel (ImageComparer with threshold 1).</summary>
internal static class PixelAssert
{
    private static readonly ImageComparer OneLsb = new() { PixelThreshold = 1 };

    public static void WithinOneLsb(uint[] expected, uint[] actual, int width, int height)
    {
        var comparison = OneLsb.Compare(new RgbaImage(width, height, expected[..(width * height)]), new RgbaImage(width, height, actual[..(width * height)]));
        Assert.That(comparison.DifferentPixels, Is.Zero, $"pixels more than 1 LSB apart: {comparison}");
    }
}
