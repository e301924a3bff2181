using Glassbox.Graphics;
using Glassbox.Graphics.Passes;
using Glassbox.Visualisation;

namespace Glassbox.Tests;

[Category(TestCategories.Gpu)]
[SingleThreaded]
public class TemporalSmoothingPassTests
{
    [Test]
    public void Gpu_average_follows_the_cpu_reference_through_a_scene_change()
    {
        using var gl = GlContext.CreateOffscreen();
        using var pass = new TemporalSmoothingPass(gl, new ShaderLibrary(RepoPaths.Shaders), alpha: 0.3f);
        var cpu = new TemporalSmoothing(alpha: 0.3f);
        var random = new Random(5);
        var gpuState = new float[13 * 7];
        for (int frame = 0; frame < 12; frame++)
        {
            // Frames 0–5 jitter around one scene; frame 6 is a different scene.
            float scene = frame < 6 ? 1f : -4f;
            var map = Enumerable.Range(0, gpuState.Length).Select(i => scene * MathF.Sin(i * 0.3f) + (float)random.NextDouble() * 0.1f).ToArray();
            bool restarted = cpu.Apply(map);
            pass.Apply(map, restarted);
            pass.State.Read<float>(gpuState);

            Assert.That(restarted, Is.EqualTo(frame is 0 or 6), $"frame {frame}: restart on the first map and on the scene change only");
            // One multiply-add per element and frame; a driver may fuse it despite "precise", which
            // moves the result by at most one ULP per step, and the average forgets old steps.
            Assert.That(gpuState, Is.EqualTo(cpu.State.ToArray()).Within(2).Ulps, $"frame {frame}");
        }
    }
}
