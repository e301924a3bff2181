using Glassbox.Graphics;
using Glassbox.Visualisation;

namespace Glassbox.Tests;

/// <summary>The font atlas Glassbox.Core ships, checked against the baker and drawn on the CPU.</summary>
public class DefaultFontTests
{
    [Test]
    public void The_shipped_atlas_is_what_the_baker_makes_from_dejavu_sans_at_16_px()
    {
        var fresh = FontBaker.Bake(FontBaker.DefaultFontPath, 16f);
        var shipped = BakedFont.Default;
        Assert.That(shipped.Source, Is.EqualTo(fresh.Source),
            "the shipped atlas was baked from another font file; run tools/bake-default-font.sh and commit the result");
        Assert.That((shipped.PixelHeight, shipped.AtlasWidth, shipped.AtlasHeight, shipped.FirstCharacter),
            Is.EqualTo((fresh.PixelHeight, fresh.AtlasWidth, fresh.AtlasHeight, fresh.FirstCharacter)));
        Assert.That(shipped.Glyphs, Is.EqualTo(fresh.Glyphs));
        Assert.That(shipped.Coverage, Is.EqualTo(fresh.Coverage), "coverage differs: bake it again with tools/bake-default-font.sh");
    }

    [Test]
    public void The_cpu_draws_the_specimen_with_the_shipped_font_exactly_as_its_reference() =>
        ReferenceImages.AssertMatches(CanvasSpecimen.Draw(), CanvasSpecimen.ReferenceName, new ImageComparer { PixelThreshold = 0, MaxDifferentFraction = 0, MaxMeanDifference = 0 });
}
