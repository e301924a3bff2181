using Glassbox.Graphics;
using Microsoft.Extensions.Logging;

namespace Glassbox.Tests;

/// <summary>
/// The base of every test that draws with OpenGL. Its contexts are made on the fixture's thread (a GL
/// context belongs to the thread that made it), and a test fails when the driver's debug output reports
/// an error on any context it used: a GL error is a bug even when the pixels happen to come out right.
/// </summary>
[Category(TestCategories.Gpu)]
[SingleThreaded]
public abstract class GpuTest
{
    private readonly List<(GlContext Context, int ErrorsBefore)> _watched = [];
    private GlContext? _fixtureContext;
    private bool _errorsExpected;

    /// <summary>One offscreen context for the whole fixture, made on first use.</summary>
    protected GlContext Gl
    {
        get
        {
            if (_fixtureContext is null)
            {
                _fixtureContext = GlContext.CreateOffscreen();
                Watch(_fixtureContext, errorsBefore: 0);
            }
            return _fixtureContext;
        }
    }

    /// <summary>A context of the test's own (the caller disposes it), checked for driver errors when the test ends.</summary>
    protected GlContext OpenContext(ILogger? logger = null)
    {
        var context = GlContext.CreateOffscreen(logger);
        Watch(context, errorsBefore: 0);
        return context;
    }

    /// <summary>Checks a context made elsewhere (a window's) for driver errors from now until the test ends.</summary>
    protected void Watch(GlContext context) => Watch(context, context.DebugErrorCount);

    /// <summary>For a test that provokes driver errors on purpose and asserts them itself.</summary>
    protected void ExpectDriverErrors() => _errorsExpected = true;

    private void Watch(GlContext context, int errorsBefore)
    {
        lock (_watched)
            _watched.Add((context, errorsBefore));
    }

    [SetUp]
    public void CountDriverErrors()
    {
        _errorsExpected = false;
        lock (_watched)
        {
            _watched.Clear();
            if (_fixtureContext is { } shared)
                _watched.Add((shared, shared.DebugErrorCount));
        }
    }

    [TearDown]
    public void NoDriverErrors()
    {
        List<string> errors = [];
        lock (_watched)
        {
            foreach (var (context, before) in _watched)
            {
                int count = context.DebugErrorCount - before;
                if (count > 0)
                    errors.AddRange(context.DebugMessages.Where(m => m.IsError).TakeLast(count).Select(m => m.Text));
            }
            _watched.Clear();
        }
        if (!_errorsExpected)
            Assert.That(errors, Is.Empty, "the GL driver's debug output reported errors");
    }

    [OneTimeTearDown]
    public void DisposeFixtureContext() => _fixtureContext?.Dispose();
}
