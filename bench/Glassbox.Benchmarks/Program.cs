using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// In-process: the natives (ONNX Runtime from npm) sit beside this build, and a child build per
// benchmark would need the npm restore again. Short runs: this suite is for ratios measured in one run.
var config = DefaultConfig.Instance
    .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(3).WithIterationCount(15))
    .WithArtifactsPath(Path.Combine(Glassbox.Benchmarks.BenchModels.RepoRoot, "artifacts", "benchmarks"));
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
