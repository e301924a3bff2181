using System.Diagnostics;
using System.Runtime.InteropServices;
using Glassbox.Media.Native;

namespace Glassbox.Media;

/// <summary>
/// Frames from a GStreamer pipeline (camera, video file, test pattern) through an app sink that keeps
/// only the newest frame (max-buffers=1 drop=true), converted to RGBA with row 0 at the top.
/// Read it from one thread at a time (the capture thread). Dispose stops the pipeline.
/// </summary>
public sealed unsafe class GStreamerSource : IFrameSource
{
    public const string SinkName = "glassbox_sink";
    private const string SinkTail = " ! videoconvert ! video/x-raw,format=RGBA ! appsink name=" + SinkName + " max-buffers=1 drop=true sync=false";

    private static readonly Lazy<bool> Initialised = new(() =>
    {
        IntPtr error = IntPtr.Zero;
        if (Gst.Fn.InitCheck(null, null, &error) == 0)
            throw new GlassboxException($"GStreamer could not start: {Gst.TakeError(error)}.");
        return true;
    });

    internal static void EnsureInitialised() => _ = Initialised.Value;

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private IntPtr _pipeline, _sink, _bus;
    private long _sequence;

    private GStreamerSource(string description)
    {
        _ = Initialised.Value;
        Description = description;
        Pipeline = description + SinkTail;
        var text = Gst.Utf8Z(Pipeline);
        IntPtr error = IntPtr.Zero;
        fixed (byte* p = text)
            _pipeline = Gst.Fn.ParseLaunchFull(p, IntPtr.Zero, Gst.ParseFlagFatalErrors, &error);
        if (error != IntPtr.Zero || _pipeline == IntPtr.Zero)
        {
            string message = Gst.TakeError(error);
            Release();
            throw new GlassboxException($"GStreamer cannot build the pipeline '{description}': {message}. Check the element names and properties (gst-inspect-1.0 lists what is installed).");
        }
        var name = Gst.Utf8Z(SinkName);
        fixed (byte* n = name)
            _sink = Gst.Fn.BinGetByName(_pipeline, n);
        _bus = Gst.Fn.ElementGetBus(_pipeline);
        if (Gst.Fn.ElementSetState(_pipeline, Gst.StatePlaying) == Gst.StateChangeFailure)
        {
            string message = BusError() ?? "the pipeline refused to start";
            Release();
            throw new GlassboxException($"GStreamer cannot start '{description}': {message}");
        }
    }

    /// <summary>The source part of the pipeline, as given.</summary>
    public string Description { get; }

    /// <summary>The whole pipeline, including the conversion to RGBA and the app sink.</summary>
    public string Pipeline { get; }

    /// <summary>True once a finite source (a file, num-buffers) has delivered its last frame.</summary>
    public bool EndOfStream { get; private set; }

    /// <summary>Start again from the beginning at the end of a file (a flushing seek to 0), as a kiosk's attract loop wants.</summary>
    public bool Loop { get; init; }

    /// <summary>How many times a looping source went back to its start.</summary>
    public int Loops { get; private set; }

    /// <summary>A video file through decodebin (any container and codec the installed plugins handle).</summary>
    public static GStreamerSource OpenFile(string path, bool loop = false)
    {
        if (!File.Exists(path))
            throw new GlassboxException($"Video file '{path}' does not exist. Check the path.");
        string escaped = Path.GetFullPath(path).Replace("\\", "\\\\").Replace("\"", "\\\"");
        return new GStreamerSource($"filesrc location=\"{escaped}\" ! decodebin") { Loop = loop };
    }

    /// <summary>
    /// Opens a pipeline whose source part is <paramref name="description"/>, for example
    /// "v4l2src device=/dev/video0", "filesrc location=clip.mp4 ! decodebin" or "videotestsrc pattern=ball".
    /// </summary>
    public static GStreamerSource Open(string description)
    {
        if (string.IsNullOrWhiteSpace(description))
            throw new GlassboxException("The pipeline is empty; give a source such as 'videotestsrc' or 'v4l2src device=/dev/video0'.");
        return new GStreamerSource(description.Trim());
    }

    /// <summary>GStreamer's test pattern source (a real live source): "smpte", "ball", "red", "white", "black", …</summary>
    public static GStreamerSource TestPattern(string pattern, int width, int height, int framesPerSecond = 30, int? frames = null)
    {
        if (width <= 0 || height <= 0 || framesPerSecond <= 0)
            throw new ArgumentException($"Test pattern size {width}×{height} at {framesPerSecond} fps is not valid.");
        string count = frames is int n ? $" num-buffers={n}" : "";
        return Open($"videotestsrc pattern={pattern} is-live=true{count} ! video/x-raw,width={width},height={height},framerate={framesPerSecond}/1");
    }

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for the newest frame. Returns false when none came in time
    /// or the stream ended (see <see cref="EndOfStream"/>); throws with GStreamer's message when the
    /// pipeline failed (device unplugged, file unreadable).
    /// </summary>
    public bool TryRead(TimeSpan timeout, out CapturedFrame? frame)
    {
        var buffer = new FrameBuffer();
        frame = null;
        if (!TryRead(timeout, buffer))
            return false;
        frame = new CapturedFrame(buffer.Image!, buffer.Sequence, buffer.Timestamp);
        return true;
    }

    /// <summary>As <see cref="TryRead(TimeSpan, out CapturedFrame?)"/>, writing into a frame the caller reuses.</summary>
    public bool TryRead(TimeSpan timeout, FrameBuffer target)
    {
        ObjectDisposedException.ThrowIf(_pipeline == IntPtr.Zero, this);
        if (EndOfStream)
            return false;
        IntPtr sample = Gst.Fn.AppSinkTryPullSample(_sink, (ulong)Math.Max(0, timeout.Ticks) * 100);
        if (sample == IntPtr.Zero)
        {
            if (BusError() is { } error)
                throw new GlassboxException($"GStreamer source '{Description}' failed: {error}");
            // The sink itself knows when it has seen end-of-stream and holds nothing more.
            if (Gst.Fn.AppSinkIsEos(_sink) != 0)
            {
                if (Loop && Gst.Fn.ElementSeekSimple(_pipeline, Gst.FormatTime, Gst.SeekFlagFlush | Gst.SeekFlagKeyUnit, 0) != 0)
                    Loops++;
                else
                    EndOfStream = true;
            }
            return false;
        }
        try
        {
            Copy(sample, target);
            target.Sequence = ++_sequence;
            target.Timestamp = _clock.Elapsed;
            return true;
        }
        finally
        {
            Gst.Fn.MiniObjectUnref(sample);
        }
    }

    public void Dispose() => Release();

    private static readonly byte[] WidthKey = Gst.Utf8Z("width"), HeightKey = Gst.Utf8Z("height");

    private static void Copy(IntPtr sample, FrameBuffer frame)
    {
        IntPtr structure = Gst.Fn.CapsGetStructure(Gst.Fn.SampleGetCaps(sample), 0);
        int width = 0, height = 0;
        fixed (byte* pw = WidthKey)
        fixed (byte* ph = HeightKey)
        {
            if (Gst.Fn.StructureGetInt(structure, pw, &width) == 0 || Gst.Fn.StructureGetInt(structure, ph, &height) == 0)
                throw new GlassboxException("A GStreamer frame came without a width and height.");
        }
        IntPtr buffer = Gst.Fn.SampleGetBuffer(sample);
        Gst.MapInfo map;
        if (Gst.Fn.BufferMap(buffer, &map, Gst.MapRead) == 0)
            throw new GlassboxException("A GStreamer frame could not be read (buffer map failed).");
        try
        {
            int row = width * 4;
            // RGBA rows are 4-byte aligned already; take the stride from the size in case a source pads them.
            int stride = height > 0 ? (int)((long)map.Size / height) : row;
            if (stride < row || (long)stride * height > (long)map.Size)
                throw new GlassboxException($"A GStreamer frame of {width}×{height} holds {map.Size} bytes, too few for RGBA.");
            var image = frame.Reserve(width, height);
            var target = MemoryMarshal.AsBytes(image.Pixels.AsSpan());
            var source = new ReadOnlySpan<byte>((void*)map.Data, (int)map.Size);
            if (stride == row)
            {
                source[..(row * height)].CopyTo(target);
            }
            else
            {
                for (int y = 0; y < height; y++)
                    source.Slice(y * stride, row).CopyTo(target.Slice(y * row, row));
            }
        }
        finally
        {
            Gst.Fn.BufferUnmap(buffer, &map);
        }
    }

    private string? BusError()
    {
        if (_bus == IntPtr.Zero)
            return null;
        IntPtr message = Gst.Fn.BusPopFiltered(_bus, Gst.MessageError);
        if (message == IntPtr.Zero)
            return null;
        IntPtr error = IntPtr.Zero;
        byte* debug = null;
        Gst.Fn.MessageParseError(message, &error, &debug);
        string text = Gst.TakeError(error);
        string detail = debug == null ? "" : Marshal.PtrToStringUTF8((IntPtr)debug) ?? "";
        if (debug != null)
            Gst.Fn.Free(debug);
        Gst.Fn.MiniObjectUnref(message);
        return detail.Length > 0 ? $"{text} ({detail.Split('\n')[^1].Trim()})" : text;
    }

    private void Release()
    {
        if (_pipeline != IntPtr.Zero)
            Gst.Fn.ElementSetState(_pipeline, Gst.StateNull);
        if (_sink != IntPtr.Zero)
            Gst.Fn.ObjectUnref(_sink);
        if (_bus != IntPtr.Zero)
            Gst.Fn.ObjectUnref(_bus);
        if (_pipeline != IntPtr.Zero)
            Gst.Fn.ObjectUnref(_pipeline);
        _pipeline = _sink = _bus = IntPtr.Zero;
    }
}
