using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Glassbox;
using Glassbox.Graphics;
using Glassbox.Graphics.Passes;
using Glassbox.Inference;

// glassbox-demo: runs a model through the execution-provider chain, prints what ran where,
// the prediction and the run time, and checks the GPU visualisation path when a display exists.

var modelOption = new Option<FileInfo>("--model")
{
    Description = "ONNX model to run (default: the bundled tiny CNN fixture).",
    DefaultValueFactory = _ => new FileInfo(Path.Combine(RepoLayout.Root, "tests", "fixtures", "tiny-cnn", "model.onnx")),
};
var inputOption = new Option<FileInfo?>("--input")
{
    Description = "Raw little-endian float32 input tensor (default: input.bin beside the model, else a seeded random input).",
};
var epOption = new Option<string>("--ep")
{
    Description = "Execution provider: auto (DirectML, WebGPU, CUDA, then CPU) or one of directml, webgpu, cuda, cpu.",
    DefaultValueFactory = _ => "auto",
};
epOption.AcceptOnlyFromAmong("auto", "directml", "dml", "webgpu", "cuda", "cpu");
var threadsOption = new Option<int>("--threads")
{
    Description = "Intra-op threads for ONNX Runtime; 0 lets it choose.",
    DefaultValueFactory = _ => 0,
};
threadsOption.Validators.Add(r =>
{
    if (r.GetValueOrDefault<int>() is < 0 or > 1024)
        r.AddError("--threads must be 0 (let ONNX Runtime choose) or from 1 to 1024.");
});
var runsOption = new Option<int>("--runs")
{
    Description = "Timed runs after warm-up, for the run-time figures.",
    DefaultValueFactory = _ => 200,
};
runsOption.Validators.Add(r =>
{
    if (r.GetValueOrDefault<int>() is < 1 or > 1_000_000)
        r.AddError("--runs must be from 1 to 1000000.");
});
var tapOption = new Option<string[]>("--tap")
{
    Description = "Intermediate tensor to expose and summarise (repeatable).",
    AllowMultipleArgumentsPerToken = true,
};

var root = new RootCommand("Glassbox demo: run a CNN on ONNX Runtime, report the execution provider, the prediction and the timings.")
{
    modelOption, inputOption, epOption, threadsOption, runsOption, tapOption,
};
root.SetAction(parse =>
{
    try
    {
        return Demo.Run(parse.GetValue(modelOption)!, parse.GetValue(inputOption), parse.GetValue(epOption)!,
            parse.GetValue(threadsOption), parse.GetValue(runsOption), parse.GetValue(tapOption) ?? []);
    }
    catch (GlassboxException e)
    {
        Console.Error.WriteLine($"glassbox-demo: {e.Message}");
        return 2;
    }
});
return root.Parse(args).Invoke();

internal static class Demo
{
    public static int Run(FileInfo modelFile, FileInfo? inputFile, string ep, int threads, int runs, string[] taps)
    {
        var options = InferenceOptions.Default with
        {
            Providers = ExecutionProviders.ParsePreference(ep),
            IntraOpThreads = threads,
            Taps = taps,
        };
        using var session = ModelSession.Open(modelFile.FullName, options);
        Console.WriteLine($"Model   {modelFile.FullName}");
        foreach (var info in session.Inputs)
            Console.WriteLine($"  in    {info}");
        foreach (var output in session.Outputs)
            Console.WriteLine($"  out   {output}");
        Console.WriteLine(session.Providers);

        using var run = session.CreateRun(dimensions: new Dictionary<string, long> { ["batch"] = 1, ["N"] = 1 });
        var inputInfo = run.InputInfos[0];
        var input = run.Input<float>(inputInfo.Name);
        Console.WriteLine($"Input   {DescribeInput(modelFile, inputFile, input)}");

        var timer = Stopwatch.StartNew();
        run.Execute();
        double firstMs = timer.Elapsed.TotalMilliseconds;
        for (int i = 0; i < 10; i++)
            run.Execute();
        var times = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            long start = Stopwatch.GetTimestamp();
            run.Execute();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);

        var first = run.OutputInfos[0];
        var scores = run.Output<float>(first.Name);
        int top = 0;
        for (int i = 1; i < scores.Length; i++)
        {
            if (scores[i] > scores[top])
                top = i;
        }
        Console.WriteLine($"Output  {first.Name} = [{string.Join(", ", scores.ToArray().Select(s => s.ToString("0.0000", CultureInfo.InvariantCulture)))}]");
        Console.WriteLine($"Predicted class {top} (score {scores[top].ToString("0.0000", CultureInfo.InvariantCulture)})");
        foreach (var tap in run.OutputInfos.Skip(1))
        {
            var values = run.Output<float>(tap.Name);
            Console.WriteLine($"Tap     {tap}: min {values.ToArray().Min():0.000}, max {values.ToArray().Max():0.000}, mean {values.ToArray().Average():0.000}");
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Run     first {firstMs:0.00} ms (includes warm-up), then p50 {times[runs / 2]:0.000} ms, p95 {times[(int)(runs * 0.95)]:0.000} ms over {runs} runs on {session.Providers.Selected.DisplayName()}"));

        ReportGraphics();
        return 0;
    }

    private static string DescribeInput(FileInfo modelFile, FileInfo? inputFile, Span<float> input)
    {
        var path = inputFile?.FullName ?? Path.Combine(modelFile.DirectoryName ?? ".", "input.bin");
        if (File.Exists(path))
        {
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length != input.Length * sizeof(float))
                throw new GlassboxException($"Input file '{path}' holds {bytes.Length} bytes; the model's input needs {input.Length} float32 values ({input.Length * 4} bytes).");
            System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).CopyTo(input);
            return $"{path} ({input.Length} values)";
        }
        if (inputFile is not null)
            throw new GlassboxException($"Input file '{inputFile.FullName}' does not exist.");
        var random = new Random(1234);
        for (int i = 0; i < input.Length; i++)
            input[i] = random.NextSingle();
        return $"seeded random values in [0, 1) (seed 1234; no input.bin beside the model)";
    }

    // The GPU half of Glassbox: with a display, make a context and run the preprocessing pass
    // against its CPU reference; without one, say so and carry on.
    private static void ReportGraphics()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY")) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("WAYLAND_DISPLAY")) && !OperatingSystem.IsWindows())
        {
            Console.WriteLine("Display none: skipped the GPU visualisation check (run under xvfb-run -a to include it).");
            return;
        }
        try
        {
            using var gl = GlContext.CreateOffscreen();
            using var pass = new PlanarPreprocessPass(gl, new ShaderLibrary(Path.Combine(RepoLayout.Root, "shaders")));
            const int w = 64, h = 48;
            var frame = new byte[w * h * 4];
            new Random(7).NextBytes(frame);
            var options = new PlanarPreprocessOptions { Channels = 3, Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f] };
            var gpu = new float[3 * w * h];
            var cpu = new float[gpu.Length];
            var timer = Stopwatch.StartNew();
            pass.Run(frame, w, h, w * 4, options, gpu);
            double ms = timer.Elapsed.TotalMilliseconds;
            PlanarPreprocess.Run(frame, w, h, w * 4, options, cpu);
            float maxDiff = gpu.Zip(cpu, (a, b) => MathF.Abs(a - b)).Max();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"GPU     {gl.Renderer}, OpenGL {gl.Version.Split(' ')[0]}: preprocess pass {w}×{h} in {ms:0.00} ms, max |GPU − CPU| = {maxDiff:E1}"));
        }
        catch (GlassboxException e)
        {
            Console.WriteLine($"GPU     unavailable: {e.Message}");
        }
    }
}

internal static class RepoLayout
{
    /// <summary>The folder holding shaders/ and tests/fixtures: the checkout the demo runs from.</summary>
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (Directory.Exists(Path.Combine(dir.FullName, "shaders")) && Directory.Exists(Path.Combine(dir.FullName, "tests")))
                    return dir.FullName;
            }
            return Directory.GetCurrentDirectory();
        }
    }
}
