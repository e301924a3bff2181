namespace Glassbox.Examples;

internal static class RepoLayout
{
    /// <summary>The folder holding models/, shaders/ and node_modules/: the checkout the examples run from.</summary>
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (Directory.Exists(Path.Combine(dir.FullName, "shaders")) && Directory.Exists(Path.Combine(dir.FullName, "models")))
                    return dir.FullName;
            }
            return Directory.GetCurrentDirectory();
        }
    }
}
