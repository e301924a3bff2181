namespace Glassbox.Graphics;

/// <summary>
/// The folder of GLSL files (the repository's shaders/), with include/ as the include root.
/// Programs are compiled at run time from these files. With hot reload on, <see cref="ReloadChanged"/>
/// (called on the render thread, say once a frame) rebuilds every program whose files changed;
/// a program that fails to rebuild keeps running as it was and the error is reported.
/// </summary>
public sealed class ShaderLibrary
{
    private readonly List<(WeakReference<ShaderProgram> Program, string? Vertex, string Main, IReadOnlyDictionary<string, string>? Defines, DateTime Stamp)> _programs = [];
    private readonly object _gate = new();
    private long _lastCheck;

    public ShaderLibrary(string root, bool hotReload = false)
    {
        if (!Directory.Exists(root))
            throw new GlassboxException($"Shader folder '{root}' does not exist. Point Glassbox at the shaders/ folder that ships with it.");
        Root = Path.GetFullPath(root);
        HotReload = hotReload;
        _lastCheck = _clock.GetTimestamp();
    }

    public string Root { get; }

    public bool HotReload { get; }

    /// <summary>
    /// Shortest time between two looks at the files: <see cref="ReloadChanged"/> is meant to be called
    /// every frame, and reading every shader's timestamp 60 times a second is wasted I/O.
    /// </summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The clock <see cref="CheckInterval"/> is measured on (a test moves a fake one).</summary>
    public TimeProvider Clock
    {
        get => _clock;
        init
        {
            _clock = value;
            _lastCheck = value.GetTimestamp();
        }
    }

    private readonly TimeProvider _clock = TimeProvider.System;

    /// <summary>Finds shaders/ beside the application or above it (a checkout), for apps and tests.</summary>
    public static ShaderLibrary FindDefault(bool hotReload = false)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shaders");
            if (Directory.Exists(candidate) && File.Exists(Path.Combine(candidate, "include", "common.glsl")))
                return new ShaderLibrary(candidate, hotReload);
        }
        throw new GlassboxException($"No shaders/ folder was found beside or above {AppContext.BaseDirectory}. Copy shaders/ next to the application.");
    }

    public ShaderSource Load(string name, IReadOnlyDictionary<string, string>? defines = null) =>
        ShaderSource.Load(Path.Combine(Root, name), defines, Path.Combine(Root, "include"));

    public ShaderProgram Compute(GlContext context, string name, IReadOnlyDictionary<string, string>? defines = null) =>
        Track(new ShaderProgram(context, Load(name, defines)), null, name, defines);

    public ShaderProgram Render(GlContext context, string vertex, string fragment, IReadOnlyDictionary<string, string>? defines = null) =>
        Track(new ShaderProgram(context, Load(vertex, defines), Load(fragment, defines)), vertex, fragment, defines);

    /// <summary>
    /// Rebuilds programs whose files changed since they were built, looking at most once per
    /// <see cref="CheckInterval"/>. Returns one message per program that failed (file and line
    /// included); those keep their previous build. Call on the render thread.
    /// </summary>
    public IReadOnlyList<string> ReloadChanged()
    {
        var errors = new List<string>();
        lock (_gate)
        {
            if (_programs.Count == 0 || _clock.GetElapsedTime(_lastCheck) < CheckInterval)
                return errors;
            _lastCheck = _clock.GetTimestamp();
            _programs.RemoveAll(p => !p.Program.TryGetTarget(out _));
            for (int i = 0; i < _programs.Count; i++)
            {
                var entry = _programs[i];
                if (!entry.Program.TryGetTarget(out var program))
                    continue;
                var stamp = Stamp(program.Files);
                if (stamp <= entry.Stamp)
                    continue;
                _programs[i] = entry with { Stamp = stamp };
                try
                {
                    program.Replace(Load(entry.Main, entry.Defines), entry.Vertex is null ? null : Load(entry.Vertex, entry.Defines));
                }
                catch (ShaderCompileException e)
                {
                    errors.Add($"Reload failed, keeping the previous build: {e.Message}");
                }
            }
        }
        return errors;
    }

    private ShaderProgram Track(ShaderProgram program, string? vertex, string main, IReadOnlyDictionary<string, string>? defines)
    {
        if (HotReload)
        {
            lock (_gate)
                _programs.Add((new WeakReference<ShaderProgram>(program), vertex, main, defines, Stamp(program.Files)));
        }
        return program;
    }

    private static DateTime Stamp(IEnumerable<string> files) =>
        files.Select(f => File.Exists(f) ? File.GetLastWriteTimeUtc(f) : DateTime.MaxValue).DefaultIfEmpty(DateTime.MinValue).Max();
}
