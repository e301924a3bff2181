using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Glassbox.Explain;
using Glassbox.Explain.Methods;
using Glassbox.Inference;
using Glassbox.Onnx;
using Glassbox.Onnx.Gradients;
using static Glassbox.Benchmarks.EndToEnd;

namespace Glassbox.Benchmarks;

/// <summary>
/// "corpus": the models from the wild (tools/models/wild_corpus.py) on the CPU provider, 2 threads,
/// at their fixture input: derivation time of the gradient graphs, and a whole explanation through
/// the explainer (Grad-CAM at the "block" feature map; the input gradient) against the plain forward
/// run, measured in alternating blocks in one run so the machine's swings hit all alike. For models with free
/// sizes, the same explanations on the model with its input size fixed: what run-time shapes cost.
/// Dense outputs are explained for a fixed class over a box (one run); a detection needs a forward
/// run first to find its box, so its ratio counts two runs.
/// </summary>
internal static class CorpusBench
{
    public static int Run(string[] args)
    {
        int iterations = Argument(args, "--iterations", 20);
        var names = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal) && !int.TryParse(a, out _)).ToList();
        string corpus = Path.Combine(BenchModels.RepoRoot, "artifacts", "corpus");
        if (names.Count == 0)
            names = Directory.Exists(corpus) ? Directory.GetDirectories(corpus).Select(d => Path.GetFileName(d)).Where(n => File.Exists(Path.Combine(corpus, n, "index.json"))).Order().ToList() : [];
        if (names.Count == 0)
        {
            Console.Error.WriteLine("corpus: no models in artifacts/corpus. Export them: tools/setup.sh --models && /usr/bin/python3 tools/models/wild_corpus.py");
            return 2;
        }
        var rows = new List<Row>();
        foreach (var name in names)
        {
            Console.WriteLine($"corpus: {name}");
            rows.Add(Measure(Path.Combine(corpus, name), name, iterations));
        }

        var md = new StringBuilder();
        md.AppendLine(Inv($"# Corpus: gradients on models from the wild ({Environment.ProcessorCount} cores, CPU provider, 2 threads, p50 of 3 rounds × {iterations} runs)"));
        md.AppendLine();
        md.AppendLine("| model | opset | free | input W×H | backward nodes (block) | derive (block / input) | forward | block gradient, graph alone | Grad-CAM | ×fwd | input gradient | ×fwd | static Grad-CAM | static input gradient | run-time shapes cost (Grad-CAM / input gradient) |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            string staticCells = r.StaticGradCam is null ? "– | – | –"
                : Inv($"{r.StaticGradCam:0.00} ms | {r.StaticInputGradient:0.00} ms | {(r.GradCam / r.StaticGradCam - 1) * 100:+0.0;-0.0}% / {(r.InputGradient / r.StaticInputGradient - 1) * 100:+0.0;-0.0}%");
            md.AppendLine(Inv($"| {r.Name} | {r.Opset} | {r.Free} | {r.Input} | {r.BackwardNodes} | {r.DeriveBlock:0} / {r.DeriveInput:0} ms | {r.Forward:0.00} ms | {r.Graph:0.00} ms ({r.Graph / r.Forward:0.00}×) | {r.GradCam:0.00} ms | {r.GradCam / r.Forward:0.00}× | {r.InputGradient:0.00} ms | {r.InputGradient / r.Forward:0.00}× | {staticCells} |"));
        }
        Console.Write(md);
        WriteResults("corpus", md.ToString(), rows);
        return 0;
    }

    private sealed record Row(string Name, long Opset, string Free, string Input, int BackwardNodes, double DeriveBlock, double DeriveInput,
                              double Forward, double Graph, double GradCam, double InputGradient, double? StaticGradCam, double? StaticInputGradient);

    private static Row Measure(string folder, string name, int iterations)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "index.json")));
        var root = doc.RootElement;
        var shape = root.GetProperty("input").GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var free = root.GetProperty("free").EnumerateArray().Select(e => e.GetString()!).ToArray();
        string kind = root.GetProperty("kind").GetString()!;
        var model = OnnxModel.Load(Path.Combine(folder, "model.onnx"));
        var inference = InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 2 };
        var input = new float[shape.Skip(1).Aggregate(1L, (a, b) => a * b)];
        var random = new Random(1);
        for (int i = 0; i < input.Length; i++)
            input[i] = (float)(random.NextDouble() * 2 - 1);
        int height = (int)shape[2], width = (int)shape[3];
        var target = kind switch
        {
            "box" => ExplanationTarget.Region(new PixelBox(width / 4, height / 4, width / 2, height / 2), label: 1),
            "detection" => ExplanationTarget.Detection(1),
            _ => ExplanationTarget.TopClass,
        };

        double deriveBlock = Median(3, () => GradientGraph.Derive(model, "output", ["block"]));
        double deriveInput = Median(3, () => GradientGraph.Derive(model, "output", ["input"]));
        int backward = GradientGraph.Derive(model, "output", ["block"]).BackwardNodeCount;

        var sample = TensorShape.Of(shape);
        using var plain = ModelSession.Open(model, inference);
        using var plainRun = plain.CreateRun(["output"], inputShapes: new Dictionary<string, TensorShape> { ["input"] = sample });
        input.CopyTo(plainRun.Input<float>("input"));

        var options = ExplainerOptions.Default with { Output = "output", Layer = "block", Inference = inference, InputWidth = width, InputHeight = height };
        bool freeSize = free.Contains("height") || free.Contains("width");
        using var explainer = Explainer.Create(model, freeSize ? options : options with { InputWidth = null, InputHeight = null });
        using var fixedExplainer = freeSize ? Explainer.Create(model.WithInputShape("input", sample), options with { InputWidth = null, InputHeight = null }) : null;
        AttributionMethod[] gradCam = [new GradCam()], gradient = [new VanillaGradient()];

        // The derived graph alone (forward and the block's gradient in one run, seed given): what the explainer adds shows against it.
        var blockGraph = GradientGraph.Derive(model, "output", ["block"]);
        using var graphSession = ModelSession.Open(blockGraph.Model, inference);
        var seedShape = graphSession.Inputs.First(i => i.Name == blockGraph.SeedInput).Shape;
        var outputSample = plainRun.OutputInfos.First(o => o.Name == "output").Shape;
        using var graphRun = graphSession.CreateRun(inputShapes: new Dictionary<string, TensorShape> { ["input"] = sample, [blockGraph.SeedInput] = outputSample });
        input.CopyTo(graphRun.Input<float>("input"));
        graphRun.Input<float>(blockGraph.SeedInput)[0] = 1f;

        var work = new List<(string Name, Action Body)>
        {
            ("forward", () => plainRun.Execute()),
            ("graph", () => graphRun.Execute()),
            ("grad-cam", () => explainer.Explain(input, gradCam, target)),
            ("input-gradient", () => explainer.Explain(input, gradient, target)),
        };
        if (fixedExplainer is not null)
        {
            work.Add(("static-grad-cam", () => fixedExplainer.Explain(input, gradCam, target)));
            work.Add(("static-input-gradient", () => fixedExplainer.Explain(input, gradient, target)));
        }
        // In blocks, not interleaved: each session has its own intra-op threads, which spin for a while
        // after a run and would slow the next session's run on two cores. Three rounds of blocks, so a
        // swing of the machine lands on every configuration.
        var times = work.ToDictionary(w => w.Name, _ => new List<double>());
        for (int round = 0; round < 3; round++)
        {
            foreach (var (label, body) in work)
            {
                // Warm-up: the first runs of a session allocate its arenas and pick kernels.
                for (int i = 0; i < (round == 0 ? 10 : 3); i++)
                    body();
                for (int i = 0; i < iterations; i++)
                {
                    long start = Stopwatch.GetTimestamp();
                    body();
                    times[label].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
            }
        }
        double P50(string label) => Percentile(times[label], 0.5);
        return new Row(name, model.Opsets.GetValueOrDefault("ai.onnx", 0), free.Length == 0 ? "–" : string.Join(",", free), $"{width}×{height}",
            backward, deriveBlock, deriveInput, P50("forward"), P50("graph"), P50("grad-cam"), P50("input-gradient"),
            fixedExplainer is null ? null : P50("static-grad-cam"), fixedExplainer is null ? null : P50("static-input-gradient"));
    }

    private static double Median(int count, Action body)
    {
        var times = new List<double>();
        for (int i = 0; i < count; i++)
        {
            long start = Stopwatch.GetTimestamp();
            body();
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        return Percentile(times, 0.5);
    }
}
