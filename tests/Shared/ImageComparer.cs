namespace Glassbox.Tests;

/// <summary>What a comparison of two images found.</summary>
internal sealed record ImageComparison(int Width, int Height, int DifferentPixels, int LargestChannelDifference, double MeanDifference)
{
    /// <summary>Fraction of pixels above the per-pixel threshold.</summary>
    public double DifferentFraction => (double)DifferentPixels / (Width * Height);

    public override string ToString() =>
        $"{DifferentPixels} of {Width * Height} pixels differ ({DifferentFraction:P2}), largest channel difference {LargestChannelDifference}, mean difference {MeanDifference:0.###} per channel";
}

/// <summary>
/// Tolerant image comparison for reference-image tests: a pixel differs when any channel moves by more
/// than a threshold, and the images match when few pixels differ and the total difference over the
/// area stays small. Different renderers (or driver versions) shift edges by a pixel or a level; a real
/// change moves many pixels or moves some by a lot.
/// </summary>
internal sealed record ImageComparer
{
    public static ImageComparer Default { get; } = new();

    /// <summary>A pixel counts as different when a channel differs by more than this (0–255).</summary>
    public int PixelThreshold { get; init; } = 2;

    /// <summary>Largest fraction of different pixels that still matches.</summary>
    public double MaxDifferentFraction { get; init; } = 0.002;

    /// <summary>Largest mean absolute channel difference over the whole image that still matches.</summary>
    public double MaxMeanDifference { get; init; } = 0.25;

    public ImageComparison Compare(RgbaImage expected, RgbaImage actual)
    {
        if (expected.Width != actual.Width || expected.Height != actual.Height)
            throw new ArgumentException($"The images differ in size: expected {expected.Width}×{expected.Height}, actual {actual.Width}×{actual.Height}.");
        int different = 0, largest = 0;
        long total = 0;
        for (int i = 0; i < expected.Pixels.Length; i++)
        {
            uint a = expected.Pixels[i], b = actual.Pixels[i];
            int pixelLargest = 0;
            for (int shift = 0; shift < 32; shift += 8)
            {
                int d = Math.Abs((int)((a >> shift) & 0xFF) - (int)((b >> shift) & 0xFF));
                total += d;
                pixelLargest = Math.Max(pixelLargest, d);
            }
            largest = Math.Max(largest, pixelLargest);
            if (pixelLargest > PixelThreshold)
                different++;
        }
        return new ImageComparison(expected.Width, expected.Height, different, largest, (double)total / (expected.Pixels.Length * 4));
    }

    public bool Matches(ImageComparison comparison) =>
        comparison.DifferentFraction <= MaxDifferentFraction && comparison.MeanDifference <= MaxMeanDifference;
}
