using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Glassbox.Graphics;

/// <summary>
/// A GLSL source file with its #include directives expanded and #define values injected after
/// the #version line. Remembers where each line came from, so compiler messages can name the
/// original file and line.
/// </summary>
public sealed partial class ShaderSource
{
    private const int MaxIncludeDepth = 16;
    private readonly ImmutableArray<(string File, int Line)> _origins;

    private ShaderSource(string path, string text, ImmutableArray<(string File, int Line)> origins, ImmutableArray<string> files)
    {
        Path = path;
        Text = text;
        _origins = origins;
        Files = files;
    }

    /// <summary>The top-level file.</summary>
    public string Path { get; }

    /// <summary>The expanded source handed to the compiler.</summary>
    public string Text { get; }

    /// <summary>Every file read, the top-level one first (for hot reload).</summary>
    public ImmutableArray<string> Files { get; }

    /// <summary>
    /// Reads <paramref name="path"/>, expanding <c>#include "name"</c> (relative to the including
    /// file, then to <paramref name="includeRoot"/>) and placing <paramref name="defines"/> after #version.
    /// </summary>
    public static ShaderSource Load(string path, IReadOnlyDictionary<string, string>? defines = null, string? includeRoot = null)
    {
        var lines = new List<string>();
        var origins = ImmutableArray.CreateBuilder<(string, int)>();
        var files = new List<string>();
        Expand(System.IO.Path.GetFullPath(path), includeRoot, lines, origins, files, new Stack<string>());

        int versionLine = lines.FindIndex(l => l.TrimStart().StartsWith("#version", StringComparison.Ordinal));
        if (versionLine < 0)
            throw new ShaderCompileException($"{path}: no #version line. Start the shader with '#version 430 core'.");
        if (defines is { Count: > 0 })
        {
            int at = versionLine + 1;
            foreach (var (name, value) in defines)
            {
                if (!IdentifierRegex().IsMatch(name))
                    throw new ShaderCompileException($"{path}: define '{name}' is not a GLSL identifier.");
                lines.Insert(at, $"#define {name} {value}");
                origins.Insert(at, ("(define)", 0));
                at++;
            }
        }
        var text = new StringBuilder();
        foreach (var line in lines)
            text.Append(line).Append('\n');
        return new ShaderSource(path, text.ToString(), origins.ToImmutable(), files.ToImmutableArray());
    }

    /// <summary>The original file and line of a line of <see cref="Text"/> (1-based).</summary>
    public (string File, int Line) OriginOf(int expandedLine) =>
        expandedLine >= 1 && expandedLine <= _origins.Length ? _origins[expandedLine - 1] : (Path, expandedLine);

    /// <summary>Rewrites compiler messages such as "0:12(5): error: …" to name the original file and line.</summary>
    public string MapCompilerLog(string log)
    {
        var sb = new StringBuilder();
        foreach (var raw in log.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
                continue;
            var match = MesaLocationRegex().Match(line);
            if (!match.Success)
                match = NvidiaLocationRegex().Match(line);
            if (match.Success)
            {
                int expanded = int.Parse(match.Groups["line"].Value, CultureInfo.InvariantCulture);
                var (file, original) = OriginOf(expanded);
                line = $"{file}:{original}: {line[(match.Index + match.Length)..].TrimStart(':', ' ')}";
            }
            sb.AppendLine(line);
        }
        return sb.ToString().TrimEnd();
    }

    private static void Expand(string file, string? includeRoot, List<string> lines, ImmutableArray<(string, int)>.Builder origins, List<string> files, Stack<string> stack)
    {
        if (stack.Count >= MaxIncludeDepth || stack.Contains(file))
            throw new ShaderCompileException($"{file}: #include cycle or nesting deeper than {MaxIncludeDepth}: {string.Join(" → ", stack.Reverse().Append(file))}.");
        if (!File.Exists(file))
        {
            string from = stack.Count > 0 ? $" (included from {stack.Peek()})" : "";
            throw new ShaderCompileException($"Shader file '{file}' does not exist{from}.");
        }
        if (!files.Contains(file))
            files.Add(file);
        stack.Push(file);
        var text = File.ReadAllLines(file);
        for (int i = 0; i < text.Length; i++)
        {
            var include = IncludeRegex().Match(text[i]);
            if (!include.Success)
            {
                lines.Add(text[i]);
                origins.Add((file, i + 1));
                continue;
            }
            string name = include.Groups["name"].Value;
            string local = System.IO.Path.GetFullPath(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(file)!, name));
            string resolved = File.Exists(local) || includeRoot is null ? local : System.IO.Path.GetFullPath(System.IO.Path.Combine(includeRoot, name));
            if (!File.Exists(resolved))
                throw new ShaderCompileException($"{file}:{i + 1}: #include \"{name}\" not found next to the file{(includeRoot is null ? "" : $" or under {includeRoot}")}.");
            Expand(resolved, includeRoot, lines, origins, files, stack);
        }
        stack.Pop();
    }

    [GeneratedRegex("^\\s*#\\s*include\\s+\"(?<name>[^\"]+)\"\\s*$")]
    private static partial Regex IncludeRegex();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex IdentifierRegex();

    // Mesa: "0:12(5): error: ..."; glslang: "ERROR: 0:12: ..."
    [GeneratedRegex("^(?:ERROR: |WARNING: )?\\d+:(?<line>\\d+)(?:\\(\\d+\\))?")]
    private static partial Regex MesaLocationRegex();

    // NVIDIA: "0(12) : error C0000: ..."
    [GeneratedRegex("^\\d+\\((?<line>\\d+)\\)")]
    private static partial Regex NvidiaLocationRegex();
}
