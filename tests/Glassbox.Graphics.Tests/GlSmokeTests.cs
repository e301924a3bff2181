using Glassbox.Graphics;

namespace Glassbox.Tests;

public class GlSmokeTests : GpuTest
{
    private GlContext _gl = null!;

    [OneTimeSetUp]
    public void CreateContext()
    {
        _gl = Gl;
        TestContext.Out.WriteLine($"{_gl.Vendor} / {_gl.Renderer} / {_gl.Version}");
    }

    [Test]
    public void Context_is_opengl_4_3_core_or_newer()
    {
        Assert.That(_gl.IsCoreProfile, Is.True, "core profile");
        var version = _gl.Version.Split(' ')[0].Split('.').Select(int.Parse).ToArray();
        Assert.That(version[0] * 10 + version[1], Is.GreaterThanOrEqualTo(43), _gl.Version);
    }

    [Test]
    public void Resources_refuse_calls_from_other_threads()
    {
        using var buffer = new StorageBuffer(_gl, 16);
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try { buffer.Write<float>([1f, 2f, 3f, 4f]); }
            catch (Exception e) { error = e; }
        });
        thread.Start();
        thread.Join();

        Assert.That(error, Is.InstanceOf<InvalidOperationException>());
        Assert.That(error!.Message, Does.Contain("GlContext.Post"));
    }

    [Test]
    public void Work_posted_from_another_thread_runs_on_the_owner()
    {
        using var buffer = new StorageBuffer(_gl, 16);
        var thread = new Thread(() => _gl.Post(() => buffer.Write<float>([1f, 2f, 3f, 4f])));
        thread.Start();
        thread.Join();

        Assert.That(_gl.RunPosted(), Is.EqualTo(1));
        var back = new float[4];
        buffer.Read<float>(back);
        Assert.That(back, Is.EqualTo(new[] { 1f, 2f, 3f, 4f }));
    }

    [Test]
    public void Driver_errors_reach_the_logger()
    {
        var logged = new List<(Microsoft.Extensions.Logging.LogLevel Level, string Message)>();
        using var gl = OpenContext(new ListLogger(logged));
        ExpectDriverErrors(); // this test provokes one on purpose
        var error = Assert.Throws<ShaderCompileException>(() => new ShaderProgram(gl, ShaderSource.Load(WriteTemp("#version 430 core\nlayout(local_size_x = 1) in;\nvoid main() { nope(); }\n"))));
        Assert.That(error, Is.Not.Null);
        Assert.That(logged.Where(l => l.Level == Microsoft.Extensions.Logging.LogLevel.Error).Select(l => l.Message), Has.Some.Contains("nope"));
    }

    private static string WriteTemp(string source)
    {
        string path = Path.Combine(Path.GetTempPath(), $"glassbox-{Guid.NewGuid():N}.comp");
        File.WriteAllText(path, source);
        return path;
    }

    private sealed class ListLogger(List<(Microsoft.Extensions.Logging.LogLevel, string)> sink) : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;
        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            sink.Add((logLevel, formatter(state, exception)));
    }

    [Test]
    public void Compile_errors_name_the_original_file_and_line()
    {
        string dir = Directory.CreateTempSubdirectory("glassbox-shader").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "broken.glsl"), "// helper\nfloat helper() { return undefined_name; }\n");
            File.WriteAllText(Path.Combine(dir, "main.comp"), "#version 430 core\nlayout(local_size_x = 1) in;\n#include \"broken.glsl\"\nvoid main() { }\n");

            ExpectDriverErrors(); // the driver also reports the failed compile on its debug output
            var error = Assert.Throws<ShaderCompileException>(() =>
                new ShaderProgram(_gl, ShaderSource.Load(Path.Combine(dir, "main.comp"), new Dictionary<string, string> { ["X"] = "1" })));

            Assert.That(error!.Message, Does.Contain($"{Path.Combine(dir, "broken.glsl")}:2:"));
            Assert.That(error.Message, Does.Contain("undefined_name"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
