using System.Diagnostics;

namespace Glassbox.Tests;

/// <summary>
/// The one way a test waits for real threads (an inference thread, a capture thread, a pipeline): it
/// checks a condition, does one step between checks (a scene frame), and yields the core for a moment.
/// The verdict is the condition; the time limit only stops a hung test with a message naming what never
/// came, and is far longer than the work takes on a slow machine.
/// </summary>
internal static class Await
{
    public static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(90);

    /// <summary>Waits until <paramref name="condition"/> holds, calling <paramref name="step"/> before each check.</summary>
    public static void Until(Func<bool> condition, string what, Action? step = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            step?.Invoke();
            if (condition())
                return;
            if (clock.Elapsed > HangLimit)
                Assert.Fail($"Never happened within {HangLimit.TotalSeconds:0} s (the test is hung): {what}.");
            Thread.Sleep(2);
        }
    }
}
