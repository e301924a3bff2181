using System.Diagnostics;
using System.Text.Json;
using Glassbox.Engine;

namespace Glassbox.Tests;

public class HealthFileTests
{
    [Test]
    public void The_health_file_is_refreshed_with_uptime_frame_rate_model_results_and_the_last_error()
    {
        string folder = Directory.CreateTempSubdirectory("glassbox-health-").FullName;
        try
        {
            using var scene = SceneFile.Parse($$"""
                { "scene": "kiosk", "entities": [
                    { "name": "Input", "components": [
                        { "type": "DrawingCanvas" },
                        { "type": "CnnInference", "model": "{{Path.Combine(RepoPaths.Root, "models", "mnist-cnn")}}", "ep": "cpu", "threads": 1 } ] },
                    { "name": "Health", "components": [ { "type": "HealthFile", "path": "status/health.json", "intervalSeconds": 0.5 } ] } ] }
                """, ComponentRegistry.Default, "kiosk.json", folder);
            foreach (var stroke in Glassbox.Media.DigitStrokes.For(4))
                scene.Active<DrawingCanvasInput>().Single().AddStroke(stroke);
            var health = scene.Active<HealthFile>().Single();
            var inference = scene.Active<CnnInference>().Single();
            // The scene's time stands still until the 4 is explained, then moves 10 ms a frame: the file is written
            // at 0, 0.5 and 1.0 s of scene time, the last two with the result in it.
            long frame = 0;
            Await.Until(() => inference.Completed > 0, "the 4's result", () => scene.Update(new FrameTime(++frame, TimeSpan.Zero, TimeSpan.Zero)));
            for (long step = 1; step <= 100; step++)
                scene.Update(new FrameTime(++frame, TimeSpan.FromMilliseconds(10 * step), TimeSpan.FromMilliseconds(10)));
            Assert.That(health.Writes, Is.EqualTo(3), "refreshed every half second of scene time");
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "status", "health.json")));
            var root = json.RootElement;
            Assert.That(root.GetProperty("scene").GetString(), Is.EqualTo("kiosk"));
            Assert.That(root.GetProperty("uptime_seconds").GetDouble(), Is.GreaterThan(0.9));
            Assert.That(root.GetProperty("fps").GetDouble(), Is.GreaterThan(10).And.LessThan(200));
            Assert.That(root.GetProperty("model").GetString(), Is.EqualTo("mnist-cnn"));
            Assert.That(root.GetProperty("results").GetInt64(), Is.GreaterThan(0));
            Assert.That(root.GetProperty("execution_provider").GetString(), Is.EqualTo("Cpu"));
            Assert.That(root.GetProperty("last_error").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(File.Exists(Path.Combine(folder, "status", "health.json.tmp")), Is.False, "written by rename, no leftovers");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
