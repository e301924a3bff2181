using System.Runtime.InteropServices;

namespace Glassbox.Media.Native;

/// <summary>The GStreamer 1.x calls Glassbox makes (core, app sink, GLib error helpers), from the system libraries.</summary>
internal static unsafe class Gst
{
    public const int StateNull = 1, StatePlaying = 4;
    public const int StateChangeFailure = 0;
    public const int ParseFlagFatalErrors = 1;
    public const int MapRead = 1;
    public const int FormatTime = 3, SeekFlagFlush = 1, SeekFlagKeyUnit = 4;
    public const uint MessageError = 2;
    public const ulong ClockTimeNone = ulong.MaxValue;

    /// <summary>GstMapInfo is 104 bytes on 64-bit; data sits at offset 16 and size at 24.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 104)]
    public struct MapInfo
    {
        public IntPtr Memory;
        public int Flags;
        public IntPtr Data;
        public nuint Size;
        public nuint MaxSize;
    }

    private static readonly Lazy<Api> Functions = new(Load);

    public static Api Fn => Functions.Value;

    public sealed class Api
    {
        public delegate* unmanaged<int*, byte***, IntPtr*, int> InitCheck;
        public delegate* unmanaged<byte*, IntPtr, int, IntPtr*, IntPtr> ParseLaunchFull;
        public delegate* unmanaged<IntPtr, byte*, IntPtr> BinGetByName;
        public delegate* unmanaged<IntPtr, int, int> ElementSetState;
        public delegate* unmanaged<IntPtr, void> ObjectUnref;
        public delegate* unmanaged<IntPtr, IntPtr> ElementGetBus;
        public delegate* unmanaged<IntPtr, uint, IntPtr> BusPopFiltered;
        public delegate* unmanaged<IntPtr, IntPtr*, byte**, void> MessageParseError;
        public delegate* unmanaged<IntPtr, void> MiniObjectUnref;
        public delegate* unmanaged<IntPtr, ulong, IntPtr> AppSinkTryPullSample;
        public delegate* unmanaged<IntPtr, int> AppSinkIsEos;
        public delegate* unmanaged<IntPtr, int, int, long, int> ElementSeekSimple;
        public delegate* unmanaged<IntPtr> DeviceMonitorNew;
        public delegate* unmanaged<IntPtr, byte*, IntPtr, uint> DeviceMonitorAddFilter;
        public delegate* unmanaged<IntPtr, int> DeviceMonitorStart;
        public delegate* unmanaged<IntPtr, void> DeviceMonitorStop;
        public delegate* unmanaged<IntPtr, IntPtr> DeviceMonitorGetDevices;
        public delegate* unmanaged<IntPtr, byte*> DeviceGetDisplayName;
        public delegate* unmanaged<IntPtr, IntPtr> DeviceGetCaps;
        public delegate* unmanaged<IntPtr, byte*> CapsToString;
        public delegate* unmanaged<IntPtr, void> ListFree;
        public delegate* unmanaged<IntPtr, IntPtr> SampleGetBuffer;
        public delegate* unmanaged<IntPtr, IntPtr> SampleGetCaps;
        public delegate* unmanaged<IntPtr, uint, IntPtr> CapsGetStructure;
        public delegate* unmanaged<IntPtr, byte*, int*, int> StructureGetInt;
        public delegate* unmanaged<IntPtr, MapInfo*, int, int> BufferMap;
        public delegate* unmanaged<IntPtr, MapInfo*, void> BufferUnmap;
        public delegate* unmanaged<IntPtr, void> ErrorFree;
        public delegate* unmanaged<void*, void> Free;
    }

    /// <summary>The message of a GError (domain, code, then the message pointer at offset 8), freeing it.</summary>
    public static string TakeError(IntPtr error)
    {
        if (error == IntPtr.Zero)
            return "unknown error";
        string message = Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(error, 8)) ?? "unknown error";
        Fn.ErrorFree(error);
        return message;
    }

    public static byte[] Utf8Z(string text)
    {
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(text) + 1];
        System.Text.Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    private static Api Load()
    {
        IntPtr Library(params string[] names)
        {
            foreach (var name in names)
            {
                if (NativeLibrary.TryLoad(name, typeof(Gst).Assembly, null, out var handle))
                    return handle;
            }
            throw new GlassboxException($"GStreamer was not found ({string.Join(", ", names)}). On Debian run tools/setup.sh (it installs libgstreamer1.0-0 and gstreamer1.0-plugins-base/good); elsewhere install GStreamer 1.20 or newer.");
        }
        bool windows = OperatingSystem.IsWindows(), mac = OperatingSystem.IsMacOS();
        IntPtr core = Library(windows ? "gstreamer-1.0-0.dll" : mac ? "libgstreamer-1.0.0.dylib" : "libgstreamer-1.0.so.0");
        IntPtr app = Library(windows ? "gstapp-1.0-0.dll" : mac ? "libgstapp-1.0.0.dylib" : "libgstapp-1.0.so.0");
        IntPtr glib = Library(windows ? "glib-2.0-0.dll" : mac ? "libglib-2.0.0.dylib" : "libglib-2.0.so.0");
        IntPtr F(IntPtr lib, string name) => NativeLibrary.GetExport(lib, name);
        return new Api
        {
            InitCheck = (delegate* unmanaged<int*, byte***, IntPtr*, int>)F(core, "gst_init_check"),
            ParseLaunchFull = (delegate* unmanaged<byte*, IntPtr, int, IntPtr*, IntPtr>)F(core, "gst_parse_launch_full"),
            BinGetByName = (delegate* unmanaged<IntPtr, byte*, IntPtr>)F(core, "gst_bin_get_by_name"),
            ElementSetState = (delegate* unmanaged<IntPtr, int, int>)F(core, "gst_element_set_state"),
            ObjectUnref = (delegate* unmanaged<IntPtr, void>)F(core, "gst_object_unref"),
            ElementGetBus = (delegate* unmanaged<IntPtr, IntPtr>)F(core, "gst_element_get_bus"),
            BusPopFiltered = (delegate* unmanaged<IntPtr, uint, IntPtr>)F(core, "gst_bus_pop_filtered"),
            MessageParseError = (delegate* unmanaged<IntPtr, IntPtr*, byte**, void>)F(core, "gst_message_parse_error"),
            MiniObjectUnref = (delegate* unmanaged<IntPtr, void>)F(core, "gst_mini_object_unref"),
            AppSinkTryPullSample = (delegate* unmanaged<IntPtr, ulong, IntPtr>)F(app, "gst_app_sink_try_pull_sample"),
            AppSinkIsEos = (delegate* unmanaged<IntPtr, int>)F(app, "gst_app_sink_is_eos"),
            ElementSeekSimple = (delegate* unmanaged<IntPtr, int, int, long, int>)F(core, "gst_element_seek_simple"),
            DeviceMonitorNew = (delegate* unmanaged<IntPtr>)F(core, "gst_device_monitor_new"),
            DeviceMonitorAddFilter = (delegate* unmanaged<IntPtr, byte*, IntPtr, uint>)F(core, "gst_device_monitor_add_filter"),
            DeviceMonitorStart = (delegate* unmanaged<IntPtr, int>)F(core, "gst_device_monitor_start"),
            DeviceMonitorStop = (delegate* unmanaged<IntPtr, void>)F(core, "gst_device_monitor_stop"),
            DeviceMonitorGetDevices = (delegate* unmanaged<IntPtr, IntPtr>)F(core, "gst_device_monitor_get_devices"),
            DeviceGetDisplayName = (delegate* unmanaged<IntPtr, byte*>)F(core, "gst_device_get_display_name"),
            DeviceGetCaps = (delegate* unmanaged<IntPtr, IntPtr>)F(core, "gst_device_get_caps"),
            CapsToString = (delegate* unmanaged<IntPtr, byte*>)F(core, "gst_caps_to_string"),
            ListFree = (delegate* unmanaged<IntPtr, void>)F(glib, "g_list_free"),
            SampleGetBuffer = (delegate* unmanaged<IntPtr, IntPtr>)F(core, "gst_sample_get_buffer"),
            SampleGetCaps = (delegate* unmanaged<IntPtr, IntPtr>)F(core, "gst_sample_get_caps"),
            CapsGetStructure = (delegate* unmanaged<IntPtr, uint, IntPtr>)F(core, "gst_caps_get_structure"),
            StructureGetInt = (delegate* unmanaged<IntPtr, byte*, int*, int>)F(core, "gst_structure_get_int"),
            BufferMap = (delegate* unmanaged<IntPtr, MapInfo*, int, int>)F(core, "gst_buffer_map"),
            BufferUnmap = (delegate* unmanaged<IntPtr, MapInfo*, void>)F(core, "gst_buffer_unmap"),
            ErrorFree = (delegate* unmanaged<IntPtr, void>)F(glib, "g_error_free"),
            Free = (delegate* unmanaged<void*, void>)F(glib, "g_free"),
        };
    }
}
