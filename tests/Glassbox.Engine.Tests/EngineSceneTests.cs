namespace Glassbox.Tests;

/// <summary>The component layer as an engine uses it: its own pixels in, a picture drawn on the CPU out.</summary>
public class EngineSceneTests
{
    [Test]
    public void A_scene_fed_an_engines_pixels_draws_the_overlay_and_bars_the_netstandard_build_draws_too()
    {
        var outcome = EngineSceneSpecimen.Run(Path.Combine(RepoPaths.Root, "models", "mnist-cnn"));

        Assert.That(outcome.PredictedClass, Is.EqualTo(7));
        // Exactly: the netstandard2.1 test compares its own drawing with the same file.
        ReferenceImages.AssertMatches(outcome.Picture, EngineSceneSpecimen.ReferenceName, new ImageComparer { PixelThreshold = 0, MaxDifferentFraction = 0, MaxMeanDifference = 0 });
    }
}
