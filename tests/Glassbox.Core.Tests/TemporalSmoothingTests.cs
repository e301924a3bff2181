using Glassbox.Visualisation;

namespace Glassbox.Tests;

public class TemporalSmoothingTests
{
    [Test]
    public void Average_converges_geometrically_and_restarts_on_request()
    {
        var ema = new TemporalSmoothing(alpha: 0.5f, resetDistance: 0f);
        Assert.That(ema.Apply([0f, 10f]), Is.True, "the first map starts the state");
        Assert.That(ema.Apply([4f, 10f]), Is.False);
        Assert.That(ema.State.ToArray(), Is.EqualTo(new[] { 2f, 10f }));
        ema.Apply([4f, 10f]);
        Assert.That(ema.State.ToArray(), Is.EqualTo(new[] { 3f, 10f }));
        Assert.That(ema.Apply([-1f, -1f], sceneChanged: true), Is.True);
        Assert.That(ema.State.ToArray(), Is.EqualTo(new[] { -1f, -1f }));
    }

    [Test]
    public void A_map_far_from_the_state_restarts_it_by_itself()
    {
        var ema = new TemporalSmoothing(alpha: 0.2f, resetDistance: 0.35f);
        ema.Apply([0f, 0f, 1f, 1f]);
        Assert.That(ema.Apply([0.05f, 0f, 1f, 0.95f]), Is.False, "small jitter is averaged");
        Assert.That(ema.Apply([1f, 1f, 0f, 0f]), Is.True, "an inverted map is a new scene");
        Assert.That(Assert.Throws<ArgumentException>(() => new TemporalSmoothing(alpha: 0f))!.Message, Does.Contain("(0, 1]"));
    }
}
