using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace Glassbox.Inference;

/// <summary>
/// The few ONNX Runtime C API calls the managed binding does not expose. They are reached through
/// the OrtApi function table of the library the binding already loaded, as delegates (each is called
/// once per session, and delegates work on every runtime Glassbox targets, Mono and IL2CPP included).
/// </summary>
internal static unsafe class OrtNative
{
    // ORT_API_CALL: __stdcall on 32-bit Windows, the platform's C convention everywhere else; Winapi is exactly that.
    [UnmanagedFunctionPointer(CallingConvention.Winapi)]
    private delegate IntPtr SetDeterministicComputeFn(IntPtr options, byte deterministic);

    [UnmanagedFunctionPointer(CallingConvention.Winapi)]
    private delegate IntPtr GetErrorMessageFn(IntPtr status);

    [UnmanagedFunctionPointer(CallingConvention.Winapi)]
    private delegate void ReleaseStatusFn(IntPtr status);

    [UnmanagedFunctionPointer(CallingConvention.Winapi)]
    private delegate IntPtr GetApiFn(uint version);

    [UnmanagedFunctionPointer(CallingConvention.Winapi)]
    private delegate IntPtr GetApiBaseFn();

    // Index of each function in the OrtApi table (append-only across releases), and the API
    // version that introduced the newest one used here.
    private const uint RequiredApiVersion = 17;
    private const int GetErrorMessageIndex = 2;
    private const int ReleaseStatusIndex = 93;
    private const int SetDeterministicComputeIndex = 273;

    private static readonly Lazy<IntPtr> OrtApi = new(LoadApi);

    /// <summary>OrtApi::SetDeterministicCompute on the options' native handle.</summary>
    public static void SetDeterministicCompute(SessionOptions options, bool deterministic)
    {
        var api = (IntPtr*)OrtApi.Value;
        var setDeterministic = Function<SetDeterministicComputeFn>(api[SetDeterministicComputeIndex]);
        bool added = false;
        options.DangerousAddRef(ref added);
        try
        {
            ThrowOnStatus(api, setDeterministic(options.DangerousGetHandle(), deterministic ? (byte)1 : (byte)0), "SetDeterministicCompute");
        }
        finally
        {
            if (added)
                options.DangerousRelease();
        }
    }

    private static void ThrowOnStatus(IntPtr* api, IntPtr status, string call)
    {
        if (status == IntPtr.Zero)
            return;
        var getMessage = Function<GetErrorMessageFn>(api[GetErrorMessageIndex]);
        var release = Function<ReleaseStatusFn>(api[ReleaseStatusIndex]);
        string message = Marshal.PtrToStringUTF8(getMessage(status)) ?? "(no message)";
        release(status);
        throw new GlassboxException($"ONNX Runtime {call} failed: {message}");
    }

    private static IntPtr LoadApi()
    {
        // Makes the binding load the native library (its resolver knows where it lives).
        _ = OrtEnvironment.Get();
        var apiBase = (IntPtr*)GetApiBase();
        var getApi = Function<GetApiFn>(apiBase[0]);
        var api = getApi(RequiredApiVersion);
        if (api == IntPtr.Zero)
            throw new GlassboxException($"The ONNX Runtime library is older than API version {RequiredApiVersion} (ONNX Runtime 1.17); install a newer one.");
        return api;
    }

    private static T Function<T>(IntPtr pointer) where T : Delegate => Marshal.GetDelegateForFunctionPointer<T>(pointer);

#if NETSTANDARD2_1
    // Engines load native plugins under the library's plain name (Unity: Assets/Plugins), as the binding does.
    [DllImport("onnxruntime", EntryPoint = "OrtGetApiBase")]
    private static extern IntPtr GetApiBase();
#else
    private static IntPtr GetApiBase() =>
        Function<GetApiBaseFn>(NativeLibrary.GetExport(LoadOnnxRuntimeLibrary(), "OrtGetApiBase"))();

    private static IntPtr LoadOnnxRuntimeLibrary()
    {
        var bindingAssembly = typeof(OrtEnv).Assembly;
        string fileName = OperatingSystem.IsWindows() ? "onnxruntime.dll" : OperatingSystem.IsMacOS() ? "libonnxruntime.dylib" : "libonnxruntime.so";
        // Same places the binding probes: the default search, then runtimes/<rid>/native beside the assembly.
        if (NativeLibrary.TryLoad("onnxruntime", bindingAssembly, null, out var handle))
            return handle;
        string baseDir = Path.GetDirectoryName(bindingAssembly.Location) is { Length: > 0 } dir ? dir : AppContext.BaseDirectory;
        foreach (var rid in new[] { RuntimeInformation.RuntimeIdentifier, RuntimeRidFallback() })
        {
            string path = Path.Combine(baseDir, "runtimes", rid, "native", fileName);
            if (File.Exists(path) && NativeLibrary.TryLoad(path, out handle))
                return handle;
        }
        throw new GlassboxException($"The ONNX Runtime native library ({fileName}) was not found under {baseDir}/runtimes. Rebuild, which restores it from the npm packages.");
    }

    private static string RuntimeRidFallback()
    {
        string arch = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "arm64" : "x64";
        string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        return $"{os}-{arch}";
    }
#endif
}
