using Glassbox.Graphics;
using Glassbox.Graphics.Passes;

namespace Glassbox.Tests;

[Category(TestCategories.Gpu)]
[SingleThreaded] // The GL context belongs to the thread that made it.
public class GlSmokeTests
{
    private GlContext _gl = null!;
    private ShaderLibrary _shaders = null!;

    [OneTimeSetUp]
    public void CreateContext()
    {
        _gl = GlContext.CreateOffscreen();
        _shaders = new ShaderLibrary(RepoPaths.Shaders);
        TestContext.Out.WriteLine($"{_gl.Vendor} / {_gl.Renderer} / {_gl.Version}");
    }

    [OneTimeTearDown]
    public void DestroyContext() => _gl.Dispose();

    private int _driverErrorsBefore;
    private bool _driverErrorsExpected;

    [SetUp]
    public void CountDriverErrors()
    {
        _driverErrorsBefore = _gl.DebugErrorCount;
        _driverErrorsExpected = false;
    }

    [TearDown]
    public void NoUnexpectedDriverErrors()
    {
        if (!_driverErrorsExpected)
        {
            Assert.That(_gl.DebugErrorCount - _driverErrorsBefore, Is.Zero,
                "GL debug output reported errors: " + string.Join("; ", _gl.DebugMessages.Where(m => m.IsError).Select(m => m.Text)));
        }
    }

    [Test]
    public void Context_is_opengl_4_3_core_or_newer()
    {
        Assert.That(_gl.IsCoreProfile, Is.True, "core profile");
        var version = _gl.Version.Split(' ')[0].Split('.').Select(int.Parse).ToArray();
        Assert.That(version[0] * 10 + version[1], Is.GreaterThanOrEqualTo(43), _gl.Version);
    }

    // Awkward sizes on purpose: 13×7 is not a multiple of the 64-wide work group, 1×1 is the edge.
    [TestCase(13, 7, 3, 0)]
    [TestCase(13, 7, 1, 0)]
    [TestCase(1, 1, 3, 0)]
    [TestCase(64, 48, 3, 12)]
    [TestCase(28, 28, 1, 4)]
    public void Preprocess_pass_matches_the_cpu_reference(int width, int height, int channels, int rowPadding)
    {
        int stride = width * 4 + rowPadding;
        var rgba = new byte[stride * height];
        new Random(width * 1000 + height * 10 + channels).NextBytes(rgba);
        var options = channels == 3
            ? new PlanarPreprocessOptions { Channels = 3, Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f] }
            : new PlanarPreprocessOptions { Channels = 1, Mean = [0.1307f], Std = [0.3081f] };

        var expected = new float[channels * width * height];
        PlanarPreprocess.Run(rgba, width, height, stride, options, expected);
        var actual = new float[expected.Length];
        using (var pass = new PlanarPreprocessPass(_gl, _shaders))
            pass.Run(rgba, width, height, stride, options, actual);

        // Same arithmetic on both sides; the GPU may fuse the multiply-add of the luma sum (FMA),
        // which moves the result by at most a few float32 ULPs of values below 3.
        Assert.That(actual, Is.EqualTo(expected).Within(2e-6f));
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
        using var gl = GlContext.CreateOffscreen(new ListLogger(logged));
        _driverErrorsExpected = true; // this test provokes one on purpose
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

            _driverErrorsExpected = true; // the driver also reports the failed compile on its debug output
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
