using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Glassbox.Explain;
using Glassbox.Media;
using Glassbox.Visualisation;

namespace Glassbox.Examples.Explain;

/// <summary>The files written for one map.</summary>
internal sealed record MapFiles(string Heatmap, string Overlay, string Json);

/// <summary>One explained input: its result, its scores and where its files are.</summary>
internal sealed record InputResult(ExplainInput Input, ExplainResult Result, ScoredInput? Scores, string InputImage, ImmutableArray<MapFiles> Files, string InputSha256);

/// <summary>Writes, per input and method, the heatmap PNG, the overlay PNG and a JSON result with the run manifest.</summary>
internal sealed class ResultWriter(string folder, LoadedModel model, RunManifest manifest)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public InputResult Write(ExplainInput input, float[] tensor, ExplainResult result, ScoredInput? scores)
    {
        var view = ModelView(tensor, model.Preprocessing);
        string inputImage = $"{input.Stem}.input.png";
        ImageFile.Save(Path.Combine(folder, inputImage), view);
        string inputHash = Sha256Hex.Of(tensor);
        string outputHash = Sha256Hex.Of(result.Scores.AsSpan());
        var files = ImmutableArray.CreateBuilder<MapFiles>();
        foreach (var map in result.Maps)
        {
            string stem = $"{input.Stem}.{FileSafe(map.Method)}";
            var overlayOptions = OverlayOptions(map);
            var heatmap = Render(map, view, overlayOptions with { Opacity = 1f });
            var overlay = Render(map, view, overlayOptions);
            var names = new MapFiles($"{stem}.heatmap.png", $"{stem}.overlay.png", $"{stem}.json");
            ImageFile.Save(Path.Combine(folder, names.Heatmap), heatmap);
            ImageFile.Save(Path.Combine(folder, names.Overlay), overlay);
            var metrics = scores?.Maps.First(m => m.Method == map.Method);
            var random = scores?.Maps.First(m => m.Method == "random");
            var document = new
            {
                Input = new { input.Name, File = input.Path, Mnist = input.MnistIndex, input.Label, TensorSha256 = inputHash },
                map.Method,
                map.Layer,
                Target = new { Requested = manifest.Target, Class = map.TargetClass, Label = Label(map.TargetClass), Contrast = map.ContrastClass, Score = map.TargetScore },
                Prediction = new { Class = result.PredictedClass, Label = Label(result.PredictedClass), Probability = result.Probabilities[result.PredictedClass] },
                Probabilities = result.Probabilities,
                Map = new
                {
                    map.Width, map.Height, map.Signed, map.Seed,
                    Min = map.Values.Min(), Max = map.Values.Max(),
                    ValuesSha256 = Sha256Hex.Of(map.Values),
                    Heatmap = names.Heatmap, Overlay = names.Overlay,
                },
                Details = map.Details,
                TimingsMs = new { SharedRun = Ms(result.SharedRunTime), MethodRuns = Ms(map.RunTime), PostProcess = Ms(map.PostProcessTime) },
                Metrics = metrics is null ? null : new
                {
                    DeletionAuc = metrics.Curves.Deletion.Auc,
                    InsertionAuc = metrics.Curves.Insertion.Auc,
                    RandomDeletionAuc = random!.Curves.Deletion.Auc,
                    RandomInsertionAuc = random.Curves.Insertion.Auc,
                    RoadMorf = metrics.Road.MoRF,
                    RoadLerf = metrics.Road.LeRF,
                    Deletion = new { metrics.Curves.Deletion.Fractions, metrics.Curves.Deletion.Scores },
                    Insertion = new { metrics.Curves.Insertion.Fractions, metrics.Curves.Insertion.Scores },
                    Road = new { metrics.Road.Percentages, metrics.Road.MostRelevantFirst, metrics.Road.LeastRelevantFirst },
                },
                Manifest = new
                {
                    Model = manifest.ModelPath, ModelSha256 = manifest.ModelSha256,
                    manifest.ExecutionProvider, manifest.OnnxRuntimeVersion,
                    Settings = new { manifest.Methods, manifest.Layer, manifest.Target, manifest.Threads },
                    Seeds = new { Method = map.Seed, RandomBaseline = input.MnistIndex },
                    InputSha256 = inputHash, OutputSha256 = outputHash,
                    manifest.Machine,
                    Os = RuntimeInformation.OSDescription,
                    Runtime = RuntimeInformation.FrameworkDescription,
                },
            };
            File.WriteAllText(Path.Combine(folder, names.Json), JsonSerializer.Serialize(document, Json));
            files.Add(names);
        }
        return new InputResult(input, result, scores, inputImage, files.ToImmutable(), inputHash);
    }

    public static string FileSafe(string method) =>
        method.Replace("+", "p", StringComparison.Ordinal).Replace(':', '_').Replace('=', '-');

    private string Label(int index) => index < model.Labels.Length ? model.Labels[index] : index.ToString(CultureInfo.InvariantCulture);

    private static HeatmapOverlayOptions OverlayOptions(AttributionMap map) => HeatmapOverlayOptions.Default with
    {
        Upsampling = map.Width < 16 ? Upsampling.Bicubic : Upsampling.Bilinear,
        Colormap = map.Signed ? ColormapKind.Diverging : ColormapKind.Turbo,
        Symmetric = map.Signed,
        Opacity = 0.5f,
        LowPercentile = map.Signed ? 0f : 1f,
        HighPercentile = map.Signed ? 100f : 99f,
    };

    private static RgbaImage Render(AttributionMap map, RgbaImage frame, HeatmapOverlayOptions options)
    {
        var result = new RgbaImage(frame.Width, frame.Height);
        HeatmapOverlay.Render(map.Values, map.Width, map.Height, frame.Pixels, frame.Width, frame.Height, frame.Width, options, result.Pixels);
        return result;
    }

    /// <summary>The input as the model saw it (normalisation undone), enlarged by a whole factor to at least 224 pixels.</summary>
    internal static RgbaImage ModelView(float[] tensor, Glassbox.Inference.ModelPreprocessing preprocessing)
    {
        int c = preprocessing.Channels, h = preprocessing.Height, w = preprocessing.Width, plane = h * w;
        int scale = Math.Max(1, (int)Math.Ceiling(224.0 / Math.Max(h, w)));
        var image = new RgbaImage(w * scale, h * scale);
        byte Channel(int channel, int pixel)
        {
            float mean = preprocessing.Mean[Math.Min(channel, preprocessing.Mean.Length - 1)];
            float std = preprocessing.Std[Math.Min(channel, preprocessing.Std.Length - 1)];
            float value = preprocessing.Layout == "NHWC" ? tensor[pixel * c + channel] : tensor[channel * plane + pixel];
            return (byte)Math.Clamp(MathF.Round((value * std + mean) * 255f), 0f, 255f);
        }
        for (int y = 0; y < image.Height; y++)
        {
            for (int x = 0; x < image.Width; x++)
            {
                int p = y / scale * w + x / scale;
                image[x, y] = c == 1 ? RgbaImage.Pack(Channel(0, p), Channel(0, p), Channel(0, p))
                    : preprocessing.Bgr ? RgbaImage.Pack(Channel(2, p), Channel(1, p), Channel(0, p))
                    : RgbaImage.Pack(Channel(0, p), Channel(1, p), Channel(2, p));
            }
        }
        return image;
    }

    private static double Ms(TimeSpan time) => Math.Round(time.TotalMilliseconds, 3);

}
