using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Glassbox.Media.Native;

namespace Glassbox.Media;

/// <summary>A connected camera and the modes it offers, as the user would read them ("640×480 YUY2 30 fps").</summary>
public sealed record CameraInfo(string Name, IReadOnlyList<string> Modes);

/// <summary>Cameras through GStreamer: which are connected, and opening one by name or "auto".</summary>
public static unsafe partial class Cameras
{
    /// <summary>The cameras GStreamer's device monitor sees now (empty when none is connected).</summary>
    public static IReadOnlyList<CameraInfo> List()
    {
        GStreamerSource.EnsureInitialised();
        IntPtr monitor = Gst.Fn.DeviceMonitorNew();
        var filter = Gst.Utf8Z("Video/Source");
        fixed (byte* f = filter)
            Gst.Fn.DeviceMonitorAddFilter(monitor, f, IntPtr.Zero);
        var cameras = new List<CameraInfo>();
        try
        {
            if (Gst.Fn.DeviceMonitorStart(monitor) == 0)
                return cameras;
            IntPtr list = Gst.Fn.DeviceMonitorGetDevices(monitor);
            // GList: { data, next, prev }.
            for (IntPtr node = list; node != IntPtr.Zero; node = Marshal.ReadIntPtr(node, IntPtr.Size))
            {
                IntPtr device = Marshal.ReadIntPtr(node);
                cameras.Add(new CameraInfo(TakeString(Gst.Fn.DeviceGetDisplayName(device)) ?? "(unnamed)", Modes(Gst.Fn.DeviceGetCaps(device))));
                Gst.Fn.ObjectUnref(device);
            }
            if (list != IntPtr.Zero)
                Gst.Fn.ListFree(list);
            Gst.Fn.DeviceMonitorStop(monitor);
        }
        finally
        {
            Gst.Fn.ObjectUnref(monitor);
        }
        return cameras;
    }

    /// <summary>
    /// Opens a camera: "auto" for the system's default (v4l2src on Linux, mfvideosrc on Windows,
    /// avfvideosrc on macOS), or a device (a path such as /dev/video2 on Linux, an index elsewhere),
    /// optionally asking for a size and frame rate the camera offers (see <see cref="List"/>).
    /// </summary>
    public static GStreamerSource Open(string device = "auto", int? width = null, int? height = null, int? framesPerSecond = null)
    {
        bool auto = device.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase);
        string element = OperatingSystem.IsWindows() ? "mfvideosrc" + (auto ? "" : $" device-index={device}")
            : OperatingSystem.IsMacOS() ? "avfvideosrc" + (auto ? "" : $" device-index={device}")
            : "v4l2src" + (auto ? "" : $" device=\"{device}\"");
        var caps = new List<string>();
        if (width is int w) caps.Add($"width={w}");
        if (height is int h) caps.Add($"height={h}");
        if (framesPerSecond is int fps) caps.Add($"framerate={fps}/1");
        string description = caps.Count == 0 ? element : $"{element} ! video/x-raw,{string.Join(",", caps)}";
        try
        {
            return GStreamerSource.Open(description);
        }
        catch (GlassboxException e)
        {
            var connected = List();
            string offer = connected.Count == 0
                ? "No camera is connected (GStreamer's device monitor sees none)."
                : "Connected: " + string.Join("; ", connected.Select(c => $"{c.Name} [{string.Join(", ", c.Modes.Take(6))}{(c.Modes.Count > 6 ? ", …" : "")}]"));
            throw new GlassboxException($"Camera '{device}' could not be opened: {e.Message} {offer}", e);
        }
    }

    /// <summary>Readable modes from caps such as "video/x-raw, format=(string)YUY2, width=(int)640, height=(int)480, framerate=(fraction)30/1".</summary>
    internal static IReadOnlyList<string> ParseModes(string caps) =>
        caps.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(structure =>
            {
                string? Field(string name) => FieldRegex().Matches(structure).FirstOrDefault(m => m.Groups["name"].Value == name)?.Groups["value"].Value;
                var size = Field("width") is { } fw && Field("height") is { } fh ? $"{fw}×{fh}" : null;
                var rate = Field("framerate") is { } fr && fr.Split('/') is [var n, var d] && double.TryParse(n, out var nv) && double.TryParse(d, out var dv) && dv > 0
                    ? $"{nv / dv:0.##} fps" : null;
                var format = Field("format") ?? (structure.StartsWith("image/jpeg", StringComparison.Ordinal) ? "MJPEG" : null);
                var parts = new[] { size, format, rate }.Where(p => p is not null).ToList();
                return parts.Count > 0 ? string.Join(" ", parts) : structure;
            })
            .Distinct()
            .ToList();

    private static IReadOnlyList<string> Modes(IntPtr caps)
    {
        if (caps == IntPtr.Zero)
            return [];
        string text = TakeString(Gst.Fn.CapsToString(caps)) ?? "";
        Gst.Fn.MiniObjectUnref(caps);
        return ParseModes(text);
    }

    private static string? TakeString(byte* text)
    {
        if (text == null)
            return null;
        string value = Marshal.PtrToStringUTF8((IntPtr)text) ?? "";
        Gst.Fn.Free(text);
        return value;
    }

    [GeneratedRegex(@"(?<name>[a-z-]+)=\([a-z]+\)(?<value>[^,;]+)")]
    private static partial Regex FieldRegex();
}
