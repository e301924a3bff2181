using System.Diagnostics;
using Glassbox.Media;

namespace Glassbox.Tests;

/// <summary>The embedding example as a user runs it: a game with its own GL loop, Glassbox drawing into its texture.</summary>
[Category(TestCategories.Gpu)]
public class EngineEmbeddingTests
{
    [Test]
    public void The_game_shows_the_networks_view_on_its_quad_and_keeps_its_own_rendering_intact()
    {
        string shot = Path.Combine(Directory.CreateTempSubdirectory("glassbox-embedding-").FullName, "game.png");
        try
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "engine-embedding.dll"), "--frames", "240", "--ep", "cpu", "--screenshot", shot })
                start.ArgumentList.Add(a);
            using var game = Process.Start(start)!;
            var stdout = game.StandardOutput.ReadToEndAsync();
            var stderr = game.StandardError.ReadToEndAsync();
            Assert.That(game.WaitForExit(TimeSpan.FromMinutes(2)), Is.True, "the game finished its frames");
            TestContext.Out.WriteLine(stdout.Result + stderr.Result);
            Assert.That(game.ExitCode, Is.Zero, stderr.Result);
            // 240 frames, or more while the first prediction is still on its way (the screenshot waits for it).
            var done = System.Text.RegularExpressions.Regex.Match(stdout.Result, @"Done +(\d+) frames in .* ([1-9]\d*) predictions");
            Assert.That(done.Success, Is.True, stdout.Result);
            Assert.That(int.Parse(done.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(240));
            Assert.That(stdout.Result, Does.Contain("the network sees a "));

            var frame = ImageFile.Load(shot);
            Assert.That((frame.Width, frame.Height), Is.EqualTo((960, 540)));
            // The game's own clear colour in the corners: Glassbox gave its state back (viewport, clear colour, framebuffer).
            uint sky = RgbaImage.Pack(33, 48, 64);
            foreach (var (x, y) in new[] { (2, 2), (957, 2), (2, 537), (957, 537) })
                Assert.That(frame[x, y], Is.EqualTo(sky), $"sky at ({x}, {y})");
            // And on the quad, Glassbox's view: its dark background and the bright heatmap over the canvas.
            var quad = Enumerable.Range(380, 200).SelectMany(x => Enumerable.Range(150, 250).Select(y => frame[x, y])).ToList();
            Assert.That(quad.Count(p => p == sky), Is.Zero, "the quad covers the middle of the screen, whichever way it has turned");
            Assert.That(quad.Distinct().Count(), Is.GreaterThan(500), "with the drawing, its overlay, the bars and the feature maps on it");
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(shot)!, recursive: true);
        }
    }
}
