namespace Glassbox.Graphics;

/// <summary>
/// The folder of GLSL files (the repository's shaders/), with include/ as the include root.
/// Programs are compiled at run time from these files.
/// </summary>
public sealed class ShaderLibrary
{
    public ShaderLibrary(string root)
    {
        if (!Directory.Exists(root))
            throw new GlassboxException($"Shader folder '{root}' does not exist. Point Glassbox at the shaders/ folder that ships with it.");
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    /// <summary>Finds shaders/ beside the application or above it (a checkout), for apps and tests.</summary>
    public static ShaderLibrary FindDefault()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shaders");
            if (Directory.Exists(candidate) && File.Exists(Path.Combine(candidate, "include", "common.glsl")))
                return new ShaderLibrary(candidate);
        }
        throw new GlassboxException($"No shaders/ folder was found beside or above {AppContext.BaseDirectory}. Copy shaders/ next to the application.");
    }

    public ShaderSource Load(string name, IReadOnlyDictionary<string, string>? defines = null) =>
        ShaderSource.Load(Path.Combine(Root, name), defines, Path.Combine(Root, "include"));

    public ShaderProgram Compute(GlContext context, string name, IReadOnlyDictionary<string, string>? defines = null) =>
        new(context, Load(name, defines));

    public ShaderProgram Render(GlContext context, string vertex, string fragment, IReadOnlyDictionary<string, string>? defines = null) =>
        new(context, Load(vertex, defines), Load(fragment, defines));
}
