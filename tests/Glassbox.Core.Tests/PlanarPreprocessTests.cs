namespace Glassbox.Tests;

public class PlanarPreprocessTests
{
    [Test]
    public void Rgb_planes_are_normalised_per_channel_with_row_0_at_the_top()
    {
        // 2×2 image, stride padded to 12 bytes; pixel (x, y) has R = 10x + 100y, G = 50, B = 255.
        byte[] rgba =
        [
            0, 50, 255, 255, 10, 50, 255, 255, 99, 99, 99, 99,
            100, 50, 255, 255, 110, 50, 255, 255, 99, 99, 99, 99,
        ];
        var options = new PlanarPreprocessOptions { Channels = 3, Mean = [0.5f, 0f, 1f], Std = [0.5f, 1f, 2f] };
        var tensor = new float[12];

        PlanarPreprocess.Run(rgba, 2, 2, 12, options, tensor);

        float R(int v) => (v / 255f - 0.5f) * 2f;
        Assert.That(tensor[..4], Is.EqualTo(new[] { R(0), R(10), R(100), R(110) }).Within(1e-6f));
        Assert.That(tensor[4..8], Is.All.EqualTo(50 / 255f).Within(1e-6f));
        Assert.That(tensor[8..], Is.All.EqualTo(0f).Within(1e-6f));
    }

    [Test]
    public void One_channel_uses_bt601_luma()
    {
        byte[] rgba = [255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255];
        var tensor = new float[3];
        PlanarPreprocess.Run(rgba, 3, 1, 12, new PlanarPreprocessOptions { Channels = 1 }, tensor);
        Assert.That(tensor, Is.EqualTo(new[] { 0.299f, 0.587f, 0.114f }).Within(1e-6f));
    }

    [Test]
    public void Bad_settings_and_buffers_are_refused_with_how_to_fix()
    {
        Assert.That(Assert.Throws<ArgumentException>(() => new PlanarPreprocessOptions { Channels = 2 }.Validate())!.Message, Does.Contain("use 1"));
        Assert.That(Assert.Throws<ArgumentException>(() => new PlanarPreprocessOptions { Std = [0f] }.Validate())!.Message, Does.Contain("non-zero"));
        Assert.That(Assert.Throws<ArgumentException>(() => new PlanarPreprocessOptions { Channels = 3, Mean = [1f, 2f] }.Validate())!.Message, Does.Contain("one per channel"));
        Assert.That(Assert.Throws<ArgumentException>(() => PlanarPreprocess.Run(new byte[4], 2, 1, 8, PlanarPreprocessOptions.Default, new float[6]))!.Message,
            Does.Contain("needs 8"));
    }
}
