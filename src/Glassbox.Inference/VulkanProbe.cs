using System.Runtime.InteropServices;
using System.Text;

namespace Glassbox.Inference;

/// <summary>
/// Whether this Linux machine has a Vulkan device ONNX Runtime's WebGPU provider could use, asked of the
/// Vulkan loader before the provider is: without a driver, the provider's Dawn prints its own lines
/// ("vkCreateInstance: Found no drivers!") to the console on every start, and the reason belongs in the
/// provider report instead. On Windows (D3D12) and macOS (Metal) WebGPU needs no Vulkan, so nothing is probed.
/// </summary>
internal static class VulkanProbe
{
    private static readonly Lazy<string?> Verdict = new(Probe);

    /// <summary>Why WebGPU cannot run here, or null when it may (a hardware Vulkan device, or not Linux).</summary>
    public static string? WhyWebGpuCannotRun => Verdict.Value;

    private static string? Probe()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
            return null;
        try
        {
            return ProbeLoader();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return "no Vulkan loader (libvulkan.so.1); WebGPU needs it and a GPU driver (Debian: libvulkan1 and the vendor's Vulkan driver)";
        }
    }

    private static unsafe string? ProbeLoader()
    {
        var info = new VulkanNative.InstanceCreateInfo { SType = VulkanNative.StructureTypeInstanceCreateInfo };
        IntPtr instance;
        int result = VulkanNative.vkCreateInstance(&info, IntPtr.Zero, &instance);
        if (result == VulkanNative.ErrorIncompatibleDriver)
            return "no Vulkan driver is installed (WebGPU needs a real GPU's Vulkan driver)";
        if (result != 0)
            return $"the Vulkan loader could not start (VkResult {result})";
        try
        {
            uint count = 0;
            VulkanNative.vkEnumeratePhysicalDevices(instance, &count, null);
            if (count == 0)
                return "Vulkan has no device (WebGPU needs a real GPU's Vulkan driver)";
            var devices = new IntPtr[count];
            fixed (IntPtr* d = devices)
                VulkanNative.vkEnumeratePhysicalDevices(instance, &count, d);
            var software = new List<string>();
            // VkPhysicalDeviceProperties is 824 bytes on 64-bit; the buffer leaves room for any padding.
            byte* properties = stackalloc byte[1024];
            for (int i = 0; i < count; i++)
            {
                VulkanNative.vkGetPhysicalDeviceProperties(devices[i], properties);
                int deviceType = *(int*)(properties + VulkanNative.DeviceTypeOffset);
                if (deviceType != VulkanNative.PhysicalDeviceTypeCpu)
                    return null;
                software.Add(ReadName(properties + VulkanNative.DeviceNameOffset));
            }
            return $"only software Vulkan ({string.Join(", ", software)}), which WebGPU refuses; it needs a real GPU driver";
        }
        finally
        {
            VulkanNative.vkDestroyInstance(instance, IntPtr.Zero);
        }
    }

    private static unsafe string ReadName(byte* name)
    {
        int length = 0;
        while (length < VulkanNative.MaxDeviceNameSize && name[length] != 0)
            length++;
        return Encoding.UTF8.GetString(name, length);
    }
}

/// <summary>The four Vulkan loader entry points the probe calls.</summary>
internal static unsafe class VulkanNative
{
    private const string Library = "libvulkan.so.1";

    public const int StructureTypeInstanceCreateInfo = 1;
    public const int ErrorIncompatibleDriver = -9;
    public const int PhysicalDeviceTypeCpu = 4;

    // VkPhysicalDeviceProperties: apiVersion, driverVersion, vendorID, deviceID, deviceType, deviceName[256], …
    public const int DeviceTypeOffset = 16, DeviceNameOffset = 20, MaxDeviceNameSize = 256;

    [StructLayout(LayoutKind.Sequential)]
    public struct InstanceCreateInfo
    {
        public int SType;
        public IntPtr Next;
        public uint Flags;
        public IntPtr ApplicationInfo;
        public uint EnabledLayerCount;
        public IntPtr EnabledLayerNames;
        public uint EnabledExtensionCount;
        public IntPtr EnabledExtensionNames;
    }

    [DllImport(Library)]
    public static extern int vkCreateInstance(InstanceCreateInfo* createInfo, IntPtr allocator, IntPtr* instance);

    [DllImport(Library)]
    public static extern int vkEnumeratePhysicalDevices(IntPtr instance, uint* count, IntPtr* devices);

    [DllImport(Library)]
    public static extern void vkGetPhysicalDeviceProperties(IntPtr device, byte* properties);

    [DllImport(Library)]
    public static extern void vkDestroyInstance(IntPtr instance, IntPtr allocator);
}
