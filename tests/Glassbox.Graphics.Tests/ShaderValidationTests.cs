using System.Diagnostics;
using Glassbox.Graphics;

namespace Glassbox.Tests;

/// <summary>Every shader under shaders/ compiles with the reference compiler (glslangValidator), not only the local driver.</summary>
public class ShaderValidationTests
{
    private static readonly string[] StageExtensions = [".comp", ".vert", ".frag"];

    public static IEnumerable<string> ShaderFiles() =>
        Directory.EnumerateFiles(RepoPaths.Shaders, "*.*", SearchOption.AllDirectories)
            .Where(f => StageExtensions.Contains(Path.GetExtension(f)))
            .Select(f => Path.GetRelativePath(RepoPaths.Shaders, f))
            .Order();

    [Test]
    public void There_are_shaders_to_validate() => Assert.That(ShaderFiles(), Is.Not.Empty);

    [TestCaseSource(nameof(ShaderFiles))]
    public void Shader_compiles_with_glslangValidator(string relativePath)
    {
        var source = new ShaderLibrary(RepoPaths.Shaders).Load(relativePath);
        string dir = Directory.CreateTempSubdirectory("glassbox-glslang").FullName;
        try
        {
            // glslang picks the stage from the extension; the expanded source has the includes inlined.
            string expanded = Path.Combine(dir, Path.GetFileName(relativePath));
            File.WriteAllText(expanded, source.Text);
            var (exitCode, output) = Run("glslangValidator", expanded);
            Assert.That(exitCode, Is.Zero, $"glslangValidator rejected {relativePath}:\n{source.MapCompilerLog(output)}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (int ExitCode, string Output) Run(string program, string argument)
    {
        var info = new ProcessStartInfo(program, [argument]) { RedirectStandardOutput = true, RedirectStandardError = true };
        try
        {
            using var process = Process.Start(info)!;
            string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Assert.Fail($"{program} is not installed; run tools/setup.sh (Debian package glslang-tools).");
            throw;
        }
    }
}
