using Glassbox.Engine;
using Glassbox.Engine.Live;

namespace Glassbox.Tests;

/// <summary>The kiosk's log: what happened, in files that rotate and never fill a disk.</summary>
public class LogFileTests
{
    private string _folder = "";

    [SetUp]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("glassbox-log-").FullName;

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [Test]
    public void The_log_rotates_at_its_size_keeps_the_newest_lines_and_drops_the_oldest_files()
    {
        string path = Path.Combine(_folder, "kiosk.log");
        var log = new RotatingLog(path, maxBytes: 256, keep: 2);
        for (int i = 0; i < 40; i++)
            log.Write($"line {i:D2}");

        Assert.That(File.Exists(path) && File.Exists(path + ".1") && File.Exists(path + ".2"), Is.True);
        Assert.That(File.Exists(path + ".3"), Is.False, "two old files kept");
        string[] files = [path + ".2", path + ".1", path];
        Assert.That(files.Select(f => new FileInfo(f).Length), Is.All.LessThanOrEqualTo(256));
        var lines = files.SelectMany(File.ReadLines).ToList();
        var numbers = lines.Select(l => int.Parse(l[^2..])).ToList();
        Assert.That(numbers, Is.Ordered.And.Unique, "oldest file first, each line once");
        Assert.That(numbers[^1], Is.EqualTo(39), "the newest line is in the current file");
        Assert.That(numbers[0], Is.GreaterThan(0), "the oldest lines went with the dropped file");
        Assert.That(lines, Has.All.Match(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z line \d\d$"));
    }

    [Test]
    public void A_log_that_cannot_be_written_counts_the_lost_lines_and_never_throws()
    {
        var log = new RotatingLog(_folder, maxBytes: 1024, keep: 1);   // a folder, not a file
        log.Write("nowhere to go");
        Assert.That(log.Lost, Is.EqualTo(1));
        Assert.That(log.LastError, Does.StartWith($"The log '{_folder}' could not be written:"));
    }

    [Test]
    public void The_log_component_writes_start_errors_the_models_status_and_stop()
    {
        string path = Path.Combine(_folder, "scene.log");
        using (var scene = new Scene("kiosk"))
        {
            scene.CreateEntity("Log").Add(new LogFile { Path = path });
            scene.CreateEntity("Input").Add(new CnnInference { Model = "/nonexistent/model" });
            scene.Update(new FrameTime(1, TimeSpan.Zero, TimeSpan.Zero));
        }
        var lines = File.ReadAllLines(path).Select(l => l[25..]).ToList();
        Assert.That(lines[0], Is.EqualTo("scene 'kiosk' started"));
        Assert.That(lines, Has.Some.EqualTo("error: CnnInference on Input: Awake failed: '/nonexistent/model' is neither a model package folder nor a .onnx file. Check the path (shipped packages live under models/).")
            .And.Some.EqualTo("model: '/nonexistent/model' is neither a model package folder nor a .onnx file. Check the path (shipped packages live under models/)."));
        Assert.That(lines[^1], Is.EqualTo("scene 'kiosk' stopped"));
    }
}
