namespace Glassbox.Benchmarks;

/// <summary>Where the benchmark models live: artifacts/models, written by tools/models/export_benchmark_models.py.</summary>
internal static class BenchModels
{
    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(System.IO.Path.Combine(dir.FullName, "Runtime.sln")))
                    return dir.FullName;
            }
            return Directory.GetCurrentDirectory();
        }
    }

    public static string Path(string name)
    {
        string path = System.IO.Path.Combine(RepoRoot, "artifacts", "models", name);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"{path} is missing. Export it first: tools/setup.sh --models && /usr/bin/python3 tools/models/export_benchmark_models.py");
        }
        return path;
    }
}
