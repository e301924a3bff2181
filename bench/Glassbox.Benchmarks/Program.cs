using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// "e2e" runs the live pipeline end to end instead (see EndToEnd); everything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "e2e")
    return Glassbox.Benchmarks.EndToEnd.Run(args[1..]);
// "corpus [NAME…]": gradients on the models from the wild against their forward runs (see CorpusBench).
if (args.Length > 0 && args[0] == "corpus")
    return Glassbox.Benchmarks.CorpusBench.Run(args[1..]);
// "soak --minutes N": the kiosk's long run (see Soak).
if (args.Length > 0 && args[0] == "soak")
    return Glassbox.Benchmarks.Soak.Run(args[1..]);

// In-process: the natives (ONNX Runtime from npm) sit beside this build, and a child build per
// benchmark would need the npm restore again. Short runs: this suite is for ratios measured in one run.
var config = DefaultConfig.Instance
    .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(3).WithIterationCount(15))
    .WithArtifactsPath(Path.Combine(Glassbox.Benchmarks.BenchModels.RepoRoot, "artifacts", "benchmarks"));
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
return 0;
