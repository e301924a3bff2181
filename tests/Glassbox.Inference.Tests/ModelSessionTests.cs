using Glassbox.Inference;
using Glassbox.Onnx;

namespace Glassbox.Tests;

public class ModelSessionTests
{
    // ONNX Runtime and PyTorch sum the convolutions in different orders; a few float32 ULPs apart.
    private const float Tolerance = 1e-5f;

    private static readonly InferenceOptions CpuOnly = InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 1 };

    private TinyCnnFixture _fixture = null!;

    [OneTimeSetUp]
    public void LoadFixture() => _fixture = TinyCnnFixture.Load();

    [Test]
    public void Lists_inputs_and_outputs_with_shapes_and_element_types()
    {
        using var session = ModelSession.Open(_fixture.ModelPath, CpuOnly);

        Assert.That(session.Inputs.Select(i => i.ToString()), Is.EqualTo(new[] { "input: float32[1×1×8×8]" }));
        Assert.That(session.Outputs.Select(o => o.ToString()), Is.EqualTo(new[] { "logits: float32[1×3]" }));
    }

    [Test]
    public void Logits_match_pytorch()
    {
        using var session = ModelSession.Open(_fixture.ModelPath, CpuOnly);
        using var run = session.CreateRun();

        _fixture.Input.Values.CopyTo(run.Input<float>(_fixture.InputName));
        run.Execute();

        var logits = run.Output<float>("logits").ToArray();
        Assert.That(logits, Is.EqualTo(_fixture.Logits.Values).Within(Tolerance));
        Assert.That(Array.IndexOf(logits, logits.Max()), Is.EqualTo(_fixture.Top1));
    }

    [Test]
    public void Tapped_intermediate_matches_pytorch_and_the_file_is_untouched()
    {
        byte[] before = File.ReadAllBytes(_fixture.ModelPath);
        using var session = ModelSession.Open(_fixture.ModelPath, CpuOnly with { Taps = [_fixture.TapName] });
        using var run = session.CreateRun();

        _fixture.Input.Values.CopyTo(run.Input<float>(_fixture.InputName));
        run.Execute();

        var tapInfo = run.OutputInfos.Single(o => o.Name == _fixture.TapName);
        Assert.That(tapInfo.Shape.ToArray(), Is.EqualTo(_fixture.Tap.Shape));
        Assert.That(run.Output<float>(_fixture.TapName).ToArray(), Is.EqualTo(_fixture.Tap.Values).Within(Tolerance));
        Assert.That(run.Output<float>("logits").ToArray(), Is.EqualTo(_fixture.Logits.Values).Within(Tolerance));
        Assert.That(File.ReadAllBytes(_fixture.ModelPath), Is.EqualTo(before), "the model file on disk is not rewritten");
    }

    [Test]
    public void A_run_can_compute_a_subset_of_outputs()
    {
        using var session = ModelSession.Open(_fixture.ModelPath, CpuOnly with { Taps = [_fixture.TapName] });
        using var run = session.CreateRun([_fixture.TapName]);

        _fixture.Input.Values.CopyTo(run.Input<float>(_fixture.InputName));
        run.Execute();

        Assert.That(run.OutputInfos.Select(o => o.Name), Is.EqualTo(new[] { _fixture.TapName }));
        Assert.That(run.Output<float>(_fixture.TapName).ToArray(), Is.EqualTo(_fixture.Tap.Values).Within(Tolerance));
        var error = Assert.Throws<GlassboxException>(() => run.Output<float>("logits"));
        Assert.That(error!.Message, Does.Contain("no output 'logits'"));
    }

    [Test]
    public void Steady_state_run_allocates_no_managed_memory()
    {
        using var session = ModelSession.Open(_fixture.ModelPath, CpuOnly with { Taps = [_fixture.TapName] });
        using var run = session.CreateRun();
        _fixture.Input.Values.CopyTo(run.Input<float>(_fixture.InputName));
        for (int i = 0; i < 5; i++)
            run.Execute();

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++)
        {
            run.Execute();
            _ = run.Output<float>("logits")[0];
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(allocated, Is.Zero, "bytes allocated by 200 steady-state runs");
    }

    [Test]
    public void Same_input_gives_bit_identical_outputs_run_after_run()
    {
        using var session = ModelSession.Open(_fixture.ModelPath, CpuOnly with { Taps = [_fixture.TapName] });
        using var run = session.CreateRun();
        _fixture.Input.Values.CopyTo(run.Input<float>(_fixture.InputName));

        run.Execute();
        var first = run.Output<float>(_fixture.TapName).ToArray().Concat(run.Output<float>("logits").ToArray()).ToArray();
        for (int i = 0; i < 20; i++)
        {
            run.Execute();
            var again = run.Output<float>(_fixture.TapName).ToArray().Concat(run.Output<float>("logits").ToArray()).ToArray();
            Assert.That(again.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(first.Select(BitConverter.SingleToInt32Bits)));
        }
    }

    [Test]
    public void Provider_chain_ends_on_cpu_here_and_says_why_the_others_failed()
    {
        using var session = ModelSession.Open(_fixture.ModelPath);
        var report = session.Providers;
        TestContext.Out.WriteLine(report.ToString());

        Assert.That(report.Attempts.Select(a => a.Provider), Is.EqualTo(ExecutionProviders.DefaultPreference).Or.EqualTo(
            ExecutionProviders.DefaultPreference.TakeWhile(p => p != report.Selected).Append(report.Selected)));
        foreach (var failed in report.Attempts.Where(a => !a.Succeeded))
            Assert.That(failed.Reason, Is.Not.Empty, $"{failed.Provider} failure has a reason");
        if (!OperatingSystem.IsWindows() && !HasGpuDriver())
        {
            Assert.That(report.Selected, Is.EqualTo(ExecutionProvider.Cpu));
            Assert.That(report.Attempts.Single(a => a.Provider == ExecutionProvider.DirectML).Reason, Does.Contain("DirectML"));
        }
        Assert.That(report.ToString(), Does.Contain("running on " + report.Selected.DisplayName()));
    }

    [Test]
    public void Without_a_hardware_vulkan_device_webgpu_is_skipped_with_the_probes_reason()
    {
        using var session = ModelSession.Open(_fixture.ModelPath, CpuOnly with { Providers = [ExecutionProvider.WebGpu, ExecutionProvider.Cpu] });
        var webGpu = session.Providers.Attempts[0];
        TestContext.Out.WriteLine(session.Providers.ToString());
        if (VulkanProbe.WhyWebGpuCannotRun is { } reason)
        {
            Assert.That(webGpu, Is.EqualTo(new ProviderAttempt(ExecutionProvider.WebGpu, false, reason)));
            Assert.That(reason, Does.Contain("Vulkan"));
        }
        else if (OperatingSystem.IsLinux())
        {
            Assert.That(HasHardwareVulkanDriver(), Is.True, "the probe lets WebGPU try only where a GPU driver is installed");
        }
        if (OperatingSystem.IsLinux() && !HasHardwareVulkanDriver())
            Assert.That(VulkanProbe.WhyWebGpuCannotRun, Is.Not.Null, "no Vulkan driver manifest but for software ones: the probe must say so");
    }

    /// <summary>A Vulkan driver manifest other than Mesa's software lavapipe, where the loader looks for them.</summary>
    private static bool HasHardwareVulkanDriver() =>
        new[] { "/usr/share/vulkan/icd.d", "/etc/vulkan/icd.d", "/usr/local/share/vulkan/icd.d" }
            .Where(Directory.Exists)
            .SelectMany(d => Directory.GetFiles(d, "*.json"))
            .Any(f => !Path.GetFileName(f).StartsWith("lvp_", StringComparison.Ordinal));

    [Test]
    public void Forcing_a_provider_the_build_lacks_is_a_clear_error()
    {
        if (OperatingSystem.IsWindows())
            Assert.Ignore("DirectML is in the Windows build.");
        var error = Assert.Throws<GlassboxException>(() => ModelSession.Open(_fixture.ModelPath, InferenceOptions.Default with { Providers = [ExecutionProvider.DirectML] }));
        Assert.That(error!.Message, Does.Contain("No execution provider could open model").And.Contain("DirectML").And.Contain("--ep auto"));
    }

    [TestCase("auto", new[] { ExecutionProvider.DirectML, ExecutionProvider.WebGpu, ExecutionProvider.Cuda, ExecutionProvider.Cpu })]
    [TestCase("CPU", new[] { ExecutionProvider.Cpu })]
    [TestCase("dml", new[] { ExecutionProvider.DirectML })]
    [TestCase(" webgpu ", new[] { ExecutionProvider.WebGpu })]
    public void Parses_provider_choices(string text, ExecutionProvider[] expected) =>
        Assert.That(ExecutionProviders.ParsePreference(text), Is.EqualTo(expected));

    [Test]
    public void Unknown_provider_name_says_what_is_accepted()
    {
        var error = Assert.Throws<GlassboxException>(() => ExecutionProviders.ParsePreference("tpu"));
        Assert.That(error!.Message, Is.EqualTo("Unknown execution provider 'tpu'. Use one of: auto, directml, webgpu, cuda, cpu."));
    }

    [Test]
    public void Bad_options_are_refused_with_how_to_fix()
    {
        Assert.That(Assert.Throws<GlassboxException>(() => (InferenceOptions.Default with { IntraOpThreads = -2 }).Validate())!.Message,
            Does.Contain("use 0 (let ONNX Runtime choose)"));
        Assert.That(Assert.Throws<GlassboxException>(() => (InferenceOptions.Default with { Providers = [] }).Validate())!.Message,
            Does.Contain("cpu is always available"));
    }

    [Test]
    public void Tapping_a_tensor_the_model_lacks_names_close_matches()
    {
        var error = Assert.Throws<OnnxModelException>(() => ModelSession.Open(_fixture.ModelPath, CpuOnly with { Taps = ["relu1"] }));
        Assert.That(error!.Message, Does.Contain("no tensor named 'relu1'").And.Contain(_fixture.TapName));
    }

    [Test]
    public void A_model_the_runtime_rejects_is_reported_as_a_model_error()
    {
        string path = RepoPaths.Fixture("bad", "unknown-op.onnx");
        var error = Assert.Throws<OnnxModelException>(() => ModelSession.Open(path, CpuOnly));
        Assert.That(error!.Message, Does.StartWith($"ONNX Runtime cannot load model '{path}'").And.Contain("FrobnicateTensor"));
    }

    private static bool HasGpuDriver() => File.Exists("/dev/nvidia0") || Directory.Exists("/dev/dri") && Directory.GetFiles("/dev/dri", "renderD*").Length > 0 && Environment.GetEnvironmentVariable("GLASSBOX_EXPECT_GPU") == "1";
}
