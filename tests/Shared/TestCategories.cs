namespace Glassbox.Tests;

/// <summary>NUnit categories the test command and CI filter on.</summary>
internal static class TestCategories
{
    /// <summary>Needs an OpenGL 4.3 context: a display, or Xvfb (the test command wraps the run in xvfb-run).</summary>
    public const string Gpu = "Gpu";

    /// <summary>Takes more than a few seconds.</summary>
    public const string Slow = "Slow";
}
