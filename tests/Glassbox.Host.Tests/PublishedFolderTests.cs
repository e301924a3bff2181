using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Glassbox.Tests;

/// <summary>
/// `dotnet publish -r RID` of the live demo and the explain tool gives a folder that carries what it needs:
/// the app, the managed libraries, ONNX Runtime's natives for that platform (DirectML with it on Windows)
/// beside the app, and the shaders and shipped models; nothing for another platform. Windows and macOS
/// cannot run here, so their natives are checked by their headers (PE x64, Mach-O arm64); the Linux folder
/// is run, from outside the checkout, on a real image.
/// </summary>
[Category(TestCategories.Slow)]
public class PublishedFolderTests
{
    private string _out = null!;

    [OneTimeSetUp]
    public void CreateFolder() => _out = Directory.CreateTempSubdirectory("glassbox-publish-").FullName;

    [OneTimeTearDown]
    public void RemoveFolder() => Directory.Delete(_out, recursive: true);

    private string Publish(string project, string rid)
    {
        string folder = Path.Combine(_out, $"{Path.GetFileNameWithoutExtension(project)}-{rid}");
        // The libraries are already built for this test run; only the app is built for the runtime.
        var (exit, output) = Run("dotnet", RepoPaths.Root, "publish", Path.Combine(RepoPaths.Root, project), "-c", "Release", "-r", rid,
            "--self-contained", "false", "--no-dependencies", "-o", folder, "-nologo", "-v:q", "-clp:NoSummary");
        Assert.That(exit, Is.Zero, output);
        return folder;
    }

    private static (int Exit, string Output) Run(string program, string directory, params string[] args)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.That(process.WaitForExit(TimeSpan.FromMinutes(5)), Is.True, $"{program} {string.Join(' ', args)} finished");
        return (process.ExitCode, output.Result + error.Result);
    }

    private static readonly string[] Managed =
        ["Microsoft.ML.OnnxRuntime.dll", "StbImageSharp.dll", "StbImageWriteSharp.dll", "Glassbox.Inference.dll", "Glassbox.Explain.dll", "Google.Protobuf.dll"];

    private static readonly string[] WindowsNatives = ["onnxruntime.dll", "DirectML.dll", "dxcompiler.dll", "dxil.dll"];

    private static readonly string[] EveryPlatformsNatives = [.. WindowsNatives, "libonnxruntime.so", "libonnxruntime.dylib"];

    private static void AssertCarries(string folder, string app, IEnumerable<string> natives, bool withShaders)
    {
        var files = Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/')).ToHashSet();
        foreach (var file in Managed.Concat(natives).Append(app + ".dll").Append("models/mnist-cnn/model.onnx").Append("models/mnist-cnn/manifest.json"))
            Assert.That(files, Does.Contain(file), $"{folder} carries {file}");
        if (withShaders)
            Assert.That(files, Does.Contain("shaders/include/common.glsl").And.Contain("shaders/heatmap_overlay.comp").And.Contain("Silk.NET.OpenGL.dll"));
        var foreign = files.Where(f => f.StartsWith("runtimes/", StringComparison.Ordinal) || EveryPlatformsNatives.Contains(f) && !natives.Contains(f)).ToList();
        Assert.That(foreign, Is.Empty, "natives for another platform");
    }

    /// <summary>A PE image for x64 (machine 0x8664).</summary>
    private static void AssertWindowsX64(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.That(bytes[..2], Is.EqualTo("MZ"u8.ToArray()), path);
        int pe = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(0x3C));
        Assert.That(bytes[pe..(pe + 4)], Is.EqualTo(new byte[] { (byte)'P', (byte)'E', 0, 0 }), path);
        Assert.That(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(pe + 4)), Is.EqualTo(0x8664), $"{path} is for x64");
    }

    /// <summary>A 64-bit Mach-O image for arm64 (CPU type 0x0100000C).</summary>
    private static void AssertMacArm64(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(bytes), Is.EqualTo(0xFEEDFACFu), $"{path} is a 64-bit Mach-O image");
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)), Is.EqualTo(0x0100000Cu), $"{path} is for arm64");
    }

    [TestCase("examples/LiveDemo/LiveDemo.csproj", "glassbox-demo", true)]
    [TestCase("examples/Explain/Explain.csproj", "explain", false)]
    public void A_windows_x64_folder_carries_onnx_runtime_with_directml_beside_the_app(string project, string app, bool withShaders)
    {
        string folder = Publish(project, "win-x64");
        AssertCarries(folder, app, WindowsNatives, withShaders);
        Assert.That(File.Exists(Path.Combine(folder, app + ".exe")), Is.True, "the Windows launcher");
        foreach (var native in WindowsNatives.Append(app + ".exe"))
            AssertWindowsX64(Path.Combine(folder, native));
    }

    [TestCase("examples/LiveDemo/LiveDemo.csproj", "glassbox-demo", true)]
    [TestCase("examples/Explain/Explain.csproj", "explain", false)]
    public void A_macos_arm64_folder_carries_onnx_runtime_beside_the_app(string project, string app, bool withShaders)
    {
        string folder = Publish(project, "osx-arm64");
        AssertCarries(folder, app, ["libonnxruntime.dylib"], withShaders);
        AssertMacArm64(Path.Combine(folder, "libonnxruntime.dylib"));
        AssertMacArm64(Path.Combine(folder, app));
    }

    [Test]
    public void A_linux_x64_folder_explains_an_image_from_outside_the_checkout()
    {
        if (RuntimeInformation.RuntimeIdentifier != "linux-x64")
            Assert.Ignore($"This machine runs {RuntimeInformation.RuntimeIdentifier}; the folder checked here is linux-x64.");
        string folder = Publish("examples/Explain/Explain.csproj", "linux-x64");
        AssertCarries(folder, "explain", ["libonnxruntime.so"], withShaders: false);
        string image = Path.Combine(_out, "specimen.png");
        File.Copy(RepoPaths.Fixture("reference-images", CanvasSpecimen.ReferenceName + ".png"), image);
        string results = Path.Combine(_out, "results");
        // Run from the temporary folder: nothing of the checkout is above it.
        var (exit, output) = Run("dotnet", _out, Path.Combine(folder, "explain.dll"), image, "--model", Path.Combine(folder, "models", "mnist-cnn"),
            "--method", "grad-cam", "--ep", "cpu", "--out", results);
        Assert.That(exit, Is.Zero, output);
        Assert.That(output, Does.Contain("Provider CPU (ONNX Runtime 1.30.0)").And.Contain("Done     1 explained, 0 failed"));
        Assert.That(Directory.GetFiles(results, "*.png", SearchOption.AllDirectories), Is.Not.Empty);
    }
}
