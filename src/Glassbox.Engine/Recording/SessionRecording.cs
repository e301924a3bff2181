using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Glassbox.Media;

namespace Glassbox.Engine.Recording;

/// <summary>
/// A recorded live session: every input in order with its time (canvas edits, keys), and every result
/// the network gave with the settings it was made with, its probabilities and its explanation maps.
/// The inputs are enough to run the session again; the results are what a replay must get again.
/// Stored as gzip-compressed JSON (a ".gbrec" file): small, and readable with <c>zcat</c>.
/// Model paths are kept relative to the recording's folder when they can be.
/// </summary>
public sealed class SessionRecording
{
    // The same format on either target (gzip); netstandard2.1 only lacks the tightest level.
#if NETSTANDARD2_1
    private const CompressionLevel SmallestCompression = CompressionLevel.Optimal;
#else
    private const CompressionLevel SmallestCompression = CompressionLevel.SmallestSize;
#endif

    public const string FormatName = "glassbox-session";
    public const int FormatVersion = 1;

    // A recording is a few thousand inputs; this refuses files made to exhaust memory.
    private const long MaxUncompressedBytes = 256L << 20;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
        MaxDepth = 16,
    };

    public required RecordingInfo Info { get; init; }

    public List<RecordedInput> Inputs { get; init; } = [];

    public List<RecordedResult> Results { get; init; } = [];

    /// <summary>A copy of the lists as they are now (their entries are immutable and shared), for writing while recording goes on.</summary>
    internal SessionRecording Snapshot() => new() { Info = Info, Inputs = [.. Inputs], Results = [.. Results] };

    /// <summary>Writes the recording (to a temporary file first, so a crash never leaves half a file).</summary>
    public void Save(string path)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        var file = new RecordingFile(FormatName, FormatVersion, Info, Inputs,
            Results.Select(r => r with { Model = r.Model with { Path = Relative(folder, r.Model.Path) } }).ToList());
        string temporary = full + ".tmp";
        using (var stream = File.Create(temporary))
        using (var gzip = new GZipStream(stream, SmallestCompression))
            JsonSerializer.Serialize(gzip, file, Json);
        File.Move(temporary, full, overwrite: true);
    }

    /// <summary>Reads a recording; every problem is a <see cref="GlassboxException"/> naming the file.</summary>
    public static SessionRecording Load(string path)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new GlassboxException($"Recording '{path}' does not exist. Record one with glassbox-demo --record FILE.");
        RecordingFile? file;
        try
        {
            using var stream = File.OpenRead(full);
            Span<byte> magic = stackalloc byte[2];
            if (stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false) < 2 || magic[0] != 0x1f || magic[1] != 0x8b)
                throw new GlassboxException($"'{path}' is not a Glassbox recording (not gzip-compressed). Recordings are written by glassbox-demo --record.");
            stream.Position = 0;
            using var gzip = new GZipStream(stream, CompressionMode.Decompress);
            using var limited = new LimitedStream(gzip, MaxUncompressedBytes, path);
            file = JsonSerializer.Deserialize<RecordingFile>(limited, Json);
        }
        catch (JsonException e)
        {
            throw new GlassboxException($"Recording '{path}' is damaged: {e.Message}");
        }
        catch (InvalidDataException e)
        {
            throw new GlassboxException($"Recording '{path}' is damaged: the compressed data is corrupt ({e.Message}).");
        }
        catch (IOException e) when (e is not FileNotFoundException)
        {
            throw new GlassboxException($"Recording '{path}' could not be read: {e.Message}");
        }
        if (file is null || file.Format != FormatName)
            throw new GlassboxException($"'{path}' is not a Glassbox session recording (format '{file?.Format}', expected '{FormatName}').");
        if (file.Version != FormatVersion)
            throw new GlassboxException($"Recording '{path}' has format version {file.Version}; this Glassbox reads version {FormatVersion}. Record it again with this version.");
        var recording = new SessionRecording
        {
            Info = file.Info ?? throw Damaged(path, "it has no info"),
            Inputs = file.Inputs ?? [],
            Results = file.Results ?? [],
        };
        recording.Validate(path);
        string folder = Path.GetDirectoryName(full)!;
        for (int i = 0; i < recording.Results.Count; i++)
            recording.Results[i] = recording.Results[i] with { Model = recording.Results[i].Model with { Path = Absolute(folder, recording.Results[i].Model.Path) } };
        return recording;
    }

    private void Validate(string path)
    {
        if (Info.Canvas is { } canvas && (canvas.Resolution is < 28 or > 4096 || !(canvas.BrushWidth > 0f)))
            throw Damaged(path, $"its canvas ({canvas.Resolution} px, brush {canvas.BrushWidth}) is out of range");
        for (int i = 0; i < Inputs.Count; i++)
        {
            var input = Inputs[i];
            if (input is null)
                throw Damaged(path, $"input {i} is null");
            string? problem = input.Kind switch
            {
                _ when !Enum.IsDefined(input.Kind) => $"its kind {(int)input.Kind} is none of the recorded inputs",
                RecordedInputKind.Key when input.Key is not { Length: 1 } => "a key input needs a one-letter key",
                RecordedInputKind.Stroke when input.Points is not { Length: > 0 } || input.Points.Length % 3 != 0 => "a stroke needs points as x, y, pressure triples",
                RecordedInputKind.Begin or RecordedInputKind.Continue when input.Point is not { Length: 3 } => "a begin or continue input needs a point [x, y, pressure]",
                _ when !double.IsFinite(input.T) || input.T < 0 => "its time is not a non-negative number",
                _ => null,
            };
            if (problem is not null)
                throw Damaged(path, $"input {i}: {problem}");
            if (input.Kind != RecordedInputKind.Key && Info.Canvas is null)
                throw Damaged(path, $"input {i} edits a canvas, but the recording describes none");
        }
        for (int i = 0; i < Results.Count; i++)
        {
            var result = Results[i];
            if (result.Inputs < 0 || result.Inputs > Inputs.Count)
                throw Damaged(path, $"result {i} refers to {result.Inputs} inputs of {Inputs.Count}");
            if (result is null || result.Model is not { Path: not null, Sha256: not null } || result.Probabilities is not { Length: > 0 } || result.Maps is null
                || result.Methods is not { Length: > 0 } || result.Methods.Any(m => m is null) || result.Layer is null || result.Target is null || result.Ep is null || result.Provider is null)
                throw Damaged(path, $"result {i} lacks its model, settings, probabilities or maps");
            foreach (var map in result.Maps)
            {
                if (map is null || map.Values is null || map.Method is null || map.Width <= 0 || map.Height <= 0 || (long)map.Width * map.Height != map.Values.Length)
                    throw Damaged(path, $"result {i}: map '{map?.Method}' does not hold width × height values");
            }
        }
    }

    private static GlassboxException Damaged(string path, string why) =>
        new($"Recording '{path}' is damaged: {why}. Record it again.");

    private static string Relative(string folder, string path) =>
        Path.IsPathRooted(path) ? Path.GetRelativePath(folder, path).Replace('\\', '/') : path;

    private static string Absolute(string folder, string path) =>
        Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(folder, path));

    private sealed record RecordingFile(string Format, int Version, RecordingInfo? Info, List<RecordedInput>? Inputs, List<RecordedResult>? Results);

    /// <summary>Reads at most a set number of bytes: a small gzip file may inflate without bound.</summary>
    private sealed class LimitedStream(Stream inner, long limit, string path) : Stream
    {
        private long _read;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n = inner.Read(buffer);
            _read += n;
            if (_read > limit)
                throw new GlassboxException($"Recording '{path}' inflates to more than {limit >> 20} MiB; it is not one this tool wrote.");
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
