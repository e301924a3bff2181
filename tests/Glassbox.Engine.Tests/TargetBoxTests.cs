using Glassbox.Engine;
using Glassbox.Explain;

namespace Glassbox.Tests;

/// <summary>A box dragged over a live feed becomes a region of the model's input: display → frame → tensor pixels.</summary>
public class TargetBoxTests
{
    [Test]
    public void A_drag_on_a_stretched_feed_maps_onto_the_model_input_in_proportion()
    {
        // A 640×480 frame shown at 320×240 from (20, 40), prepared by stretching to 128×96.
        var options = new ImageToTensorOptions { Width = 128, Height = 96, Resize = ResizeMode.Stretch };
        var box = FrameFeed.ToModelBox((20, 40, 320, 240), (640, 480), options, (60, 100, 180, 160));
        // Display x 60 → 40/320 of the width → 16 of 128; y 100 → 60/240 → 24 of 96.
        Assert.That(box, Is.EqualTo(new PixelBox(16, 24, 64, 48)));
    }

    [Test]
    public void A_drag_on_a_centre_cropped_feed_lands_where_the_crop_puts_those_pixels_and_is_clamped_to_the_input()
    {
        // 640×480 centre-cropped to 96×96: scale 0.2, the frame's columns 80–560 fill the width.
        var options = new ImageToTensorOptions { Width = 96, Height = 96, Resize = ResizeMode.CentreCrop };
        var box = FrameFeed.ToModelBox((0, 0, 640, 480), (640, 480), options, (0, 0, 320, 240));
        Assert.That(box, Is.EqualTo(new PixelBox(0, 0, 48, 48)), "from the left edge, cut off by the crop, to the middle");
        Assert.That(FrameFeed.ToModelBox((0, 0, 640, 480), (640, 480), options, (300, 200, 301, 260)), Is.Null, "a click is not a box");
    }

    [Test]
    public void The_mapping_agrees_with_where_preprocessing_puts_a_pixel()
    {
        var image = new RgbaImage(64, 48);
        image[40, 12] = RgbaImage.Pack(255, 255, 255);
        foreach (var resize in new[] { ResizeMode.Stretch, ResizeMode.CentreCrop, ResizeMode.Letterbox })
        {
            var options = new ImageToTensorOptions { Width = 32, Height = 32, Resize = resize };
            var tensor = new float[3 * 32 * 32];
            ImageToTensor.Run(image, options, tensor);
            int brightest = Enumerable.Range(0, 32 * 32).MaxBy(i => tensor[i]);
            // Pixel centres: the pixel at (40, 12) covers 40..41 × 12..13 of the frame.
            var (x, y) = ImageToTensor.MapPoint(64, 48, options, 40.5, 12.5);
            Assert.That(((int)Math.Floor(x), (int)Math.Floor(y)), Is.EqualTo((brightest % 32, brightest / 32)), resize.ToString());
        }
    }
}
