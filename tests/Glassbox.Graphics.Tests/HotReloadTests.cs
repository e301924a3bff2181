using Glassbox.Graphics;

namespace Glassbox.Tests;

public class HotReloadTests : GpuTest
{
    private const string Template = "#version 430 core\nlayout(local_size_x = 1) in;\n#include \"value.glsl\"\nlayout(std430, binding = 0) buffer Out { float result[]; };\nvoid main() { result[0] = value_under_test(); }\n";

    [Test]
    public void Changed_shaders_rebuild_and_a_broken_edit_keeps_the_last_good_program()
    {
        string dir = Directory.CreateTempSubdirectory("glassbox-reload").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "include"));
        try
        {
            File.WriteAllText(Path.Combine(dir, "value.comp"), Template);
            WriteInclude(dir, "1.5");
            using var gl = OpenContext();
            var library = new ShaderLibrary(dir, hotReload: true) { CheckInterval = TimeSpan.Zero };
            using var program = library.Compute(gl, "value.comp");
            using var output = new StorageBuffer(gl, 16);

            Assert.That(RunOnce(program, output), Is.EqualTo(1.5f));

            WriteInclude(dir, "2.5 * 2.0");
            Assert.That(library.ReloadChanged(), Is.Empty);
            Assert.That(RunOnce(program, output), Is.EqualTo(5f), "an edit to an included file rebuilds the program");

            WriteInclude(dir, "2.5 * ;");
            ExpectDriverErrors(); // the driver reports the broken edit's compile error; the library must survive it
            var errors = library.ReloadChanged();
            Assert.That(errors, Has.Count.EqualTo(1));
            Assert.That(errors[0], Does.StartWith("Reload failed, keeping the previous build").And.Contain(Path.Combine(dir, "include", "value.glsl") + ":2"));
            Assert.That(RunOnce(program, output), Is.EqualTo(5f), "the last good program keeps running");
            Assert.That(library.ReloadChanged(), Is.Empty, "a failed file is not retried until it changes again");

            WriteInclude(dir, "7.0");
            Assert.That(library.ReloadChanged(), Is.Empty);
            Assert.That(RunOnce(program, output), Is.EqualTo(7f));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void Files_are_looked_at_no_more_often_than_the_check_interval()
    {
        string dir = Directory.CreateTempSubdirectory("glassbox-reload-interval").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "include"));
        try
        {
            File.WriteAllText(Path.Combine(dir, "value.comp"), Template);
            WriteInclude(dir, "1.0");
            using var gl = OpenContext();
            var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
            var library = new ShaderLibrary(dir, hotReload: true) { CheckInterval = TimeSpan.FromMilliseconds(400), Clock = clock };
            using var program = library.Compute(gl, "value.comp");
            using var output = new StorageBuffer(gl, 16);

            WriteInclude(dir, "2.0");
            library.ReloadChanged();
            Assert.That(RunOnce(program, output), Is.EqualTo(1f), "an edit inside the interval waits");
            clock.Advance(TimeSpan.FromMilliseconds(450));
            library.ReloadChanged();
            Assert.That(RunOnce(program, output), Is.EqualTo(2f), "and is picked up once it has passed");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void WriteInclude(string dir, string expression)
    {
        string path = Path.Combine(dir, "include", "value.glsl");
        File.WriteAllText(path, $"// the value under test\nfloat value_under_test() {{ return {expression}; }}\n");
        // File systems with coarse timestamps: make each edit visibly newer than the last.
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow + TimeSpan.FromSeconds(++_edits));
    }

    private static int _edits;

    private static float RunOnce(ShaderProgram program, StorageBuffer output)
    {
        program.Use().Bind(0, output).Dispatch(1);
        var value = new float[1];
        output.Read<float>(value);
        return value[0];
    }
}
