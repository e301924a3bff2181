using System.Globalization;

namespace Glassbox.Engine.Live;

/// <summary>
/// A text log that cannot fill a disk: lines are appended (with their UTC time) to one file; when it would
/// pass <see cref="MaxBytes"/> it is renamed to <c>.1</c>, older ones shift up (<c>.1</c> → <c>.2</c> …) and only
/// <see cref="Keep"/> old files remain. Any thread may write. Failing to write (disk full, folder gone) never
/// throws: the line is counted in <see cref="Lost"/> and the next write tries again.
/// </summary>
internal sealed class RotatingLog
{
    private readonly object _gate = new();

    public RotatingLog(string path, long maxBytes, int keep)
    {
        if (maxBytes < 256 || keep < 1)
            throw new GlassboxException($"A log needs at least 256 bytes per file and one old file kept (got {maxBytes} bytes, keep {keep}).");
        Path = System.IO.Path.GetFullPath(path);
        MaxBytes = maxBytes;
        Keep = keep;
    }

    public string Path { get; }

    public long MaxBytes { get; }

    public int Keep { get; }

    /// <summary>Lines that could not be written.</summary>
    public long Lost { get; private set; }

    /// <summary>Why the last write failed, or null after one that worked.</summary>
    public string? LastError { get; private set; }

    public void Write(string message)
    {
        string line = string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {message.ReplaceLineEndings(" ")}\n");
        lock (_gate)
        {
            try
            {
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
                var file = new FileInfo(Path);
                if (file.Exists && file.Length + line.Length > MaxBytes)
                    Rotate();
                File.AppendAllText(Path, line);
                LastError = null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Lost++;
                LastError = $"The log '{Path}' could not be written: {e.Message}";
            }
        }
    }

    private void Rotate()
    {
        File.Delete($"{Path}.{Keep}");
        for (int i = Keep - 1; i >= 1; i--)
        {
            if (File.Exists($"{Path}.{i}"))
                File.Move($"{Path}.{i}", $"{Path}.{i + 1}");
        }
        File.Move(Path, $"{Path}.1");
    }
}
