using System.Text.RegularExpressions;
using Glassbox.Engine;
using Glassbox.Graphics;
using Glassbox.Media;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Glassbox.Tests;

/// <summary>The README's embedding section is code a host copies: each of its C# blocks compiles against the public surface.</summary>
public class ReadmeEmbeddingTests
{
    // What the blocks take from the host, as a method's parameters: its GL loader and texture, its frame clock, a camera frame.
    private const string HostParameters =
        "System.Func<string, System.IntPtr> getProcAddress, uint yourTextureId, long frame, System.TimeSpan elapsed, System.TimeSpan delta, " +
        "byte[] cameraBytes, int width, int height, int stride";

    private static IReadOnlyList<string> EmbeddingBlocks()
    {
        string readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        int start = readme.IndexOf("## Embedding Glassbox in your engine", StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThanOrEqualTo(0), "the README has its embedding section");
        int end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        string section = readme[start..(end < 0 ? readme.Length : end)];
        return Regex.Matches(section, "```csharp\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();
    }

    [Test]
    public void Every_csharp_block_of_the_embedding_section_compiles_against_the_public_surface()
    {
        var blocks = EmbeddingBlocks();
        Assert.That(blocks, Has.Count.GreaterThanOrEqualTo(2), "the GL block and the CPU block");

        string source = "using Glassbox; using Glassbox.Engine; using Glassbox.Graphics; using Glassbox.Media; using Glassbox.Visualisation;\n" +
                        "static class Host {\n" +
                        string.Concat(blocks.Select((code, i) => $"static void Block{i}({HostParameters})\n{{\n{code}\n}}\n")) + "}\n";
        // The libraries as an engine references them, and the framework they run on; no internals.
        var libraries = new[] { typeof(Scene), typeof(GlEmbedding), typeof(GStreamerSources), typeof(RgbaImage), typeof(Explain.Explainer), typeof(Inference.ModelPackage) }
            .Select(t => t.Assembly.Location);
        var framework = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var compilation = CSharpCompilation.Create("ReadmeSnippets",
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Preview))],
            libraries.Concat(framework).Distinct().Select(path => MetadataReference.CreateFromFile(path)),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
        Assert.That(errors, Is.Empty, "README.md's embedding blocks:\n" + source);
    }
}
