namespace Glassbox.Tests;

/// <summary>Paths inside the repository, found from the test assembly's location.</summary>
internal static class RepoPaths
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Runtime.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"Runtime.sln was not found above {AppContext.BaseDirectory}; run the tests from a checkout.");
    });

    public static string Root => RootPath.Value;

    public static string Fixtures => Path.Combine(Root, "tests", "fixtures");

    public static string Shaders => Path.Combine(Root, "shaders");

    public static string Fixture(params string[] parts) => Path.Combine([Fixtures, .. parts]);
}
