namespace Glassbox;

/// <summary>Seeded draws the library shares, so the same seed gives the same values everywhere it is used.</summary>
public static class RandomExtensions
{
    /// <summary>A standard normal sample (Box–Muller, u1 in (0, 1] so the logarithm is finite).</summary>
    public static double NextGaussian(this Random random)
    {
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
