namespace Glassbox.Tests;

public class ImageToTensorTests
{
    private static RgbaImage Image(int width, int height, params uint[] pixels) => new(width, height, pixels);

    [Test]
    public void Stretch_samples_bilinearly_at_aligned_pixel_centres()
    {
        var image = Image(2, 1, RgbaImage.Pack(0, 0, 0), RgbaImage.Pack(255, 0, 0));
        var tensor = new float[3 * 4];
        ImageToTensor.Run(image, new ImageToTensorOptions { Width = 4, Height = 1 }, tensor);
        Assert.That(tensor[..4], Is.EqualTo(new[] { 0f, 0.25f, 0.75f, 1f }).Within(1e-6f), "red plane; the ends clamp");
        Assert.That(tensor[4..], Is.All.Zero);
    }

    [Test]
    public void Letterbox_pads_with_the_normalised_zero_and_keeps_the_aspect_ratio()
    {
        var pixels = Enumerable.Repeat(RgbaImage.Pack(255, 255, 255), 8).ToArray();
        var tensor = new float[4 * 4];
        ImageToTensor.Run(Image(4, 2, pixels), new ImageToTensorOptions { Width = 4, Height = 4, Channels = 1, Resize = ResizeMode.Letterbox, Mean = [0.5f], Std = [0.5f] }, tensor);
        Assert.That(tensor[..4], Is.All.Zero, "top padding");
        Assert.That(tensor[4..12], Is.All.EqualTo(1f).Within(1e-5f), "content: (1 − 0.5) / 0.5");
        Assert.That(tensor[12..], Is.All.Zero, "bottom padding");
    }

    [Test]
    public void Centre_crop_keeps_the_middle()
    {
        var image = Image(4, 2, Enumerable.Range(0, 8).Select(i => RgbaImage.Pack((byte)(i * 30), 0, 0)).ToArray());
        var tensor = new float[3 * 2 * 2];
        ImageToTensor.Run(image, new ImageToTensorOptions { Width = 2, Height = 2, Resize = ResizeMode.CentreCrop, Scale = 1f }, tensor);
        Assert.That(tensor[..4], Is.EqualTo(new[] { 30f, 60f, 150f, 180f }), "columns 1 and 2 of both rows");
    }

    [Test]
    public void Bgr_channels_last_and_inverted_luma_land_where_expected()
    {
        var pixel = Image(1, 1, RgbaImage.Pack(10, 20, 30));
        var bgr = new float[3];
        ImageToTensor.Run(pixel, new ImageToTensorOptions { Width = 1, Height = 1, Bgr = true, ChannelsLast = true, Scale = 1f }, bgr);
        Assert.That(bgr, Is.EqualTo(new[] { 30f, 20f, 10f }));

        var white = Image(2, 1, RgbaImage.Pack(255, 255, 255), RgbaImage.Pack(0, 0, 0));
        var luma = new float[2];
        ImageToTensor.Run(white, new ImageToTensorOptions { Width = 2, Height = 1, Channels = 1, Invert = true }, luma);
        Assert.That(luma, Is.EqualTo(new[] { 0f, 1f }).Within(1e-5f), "dark ink becomes light, as MNIST expects");
    }

    [Test]
    public void Bad_options_say_how_to_fix_them()
    {
        Assert.That(Assert.Throws<ArgumentException>(() => new ImageToTensorOptions { Width = 0, Height = 1 }.Validate())!.Message, Does.Contain("empty"));
        Assert.That(Assert.Throws<ArgumentException>(() => new ImageToTensorOptions { Width = 1, Height = 1, Mean = [1, 2] }.Validate())!.Message, Does.Contain("one per channel"));
    }
}
