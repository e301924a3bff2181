using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Glassbox.Data;
using Glassbox.Explain;
using Glassbox.Inference;
using Glassbox.Media;
using Glassbox.Onnx;

namespace Glassbox.Examples.Explain;

/// <summary>
/// explain network: the model's structure (every layer in graph order with its op, shape and parameters), every
/// layer's parameter statistics and histograms, and per feature-map layer every channel's top examples over a dataset
/// with the cell where it fired outlined, written as network.html with one picture per layer.
/// </summary>
internal static class NetworkReport
{
    private const int Top = 9;

    /// <param name="cache">Where top examples and synthesised inputs are kept between runs; null computes them every time.</param>
    public static string Write(OnnxModel model, string modelSha256, ExampleSet? examples, FeatureVisualisationOptions features, InferenceOptions inference,
                               DirectoryInfo output, TextWriter log, InsightCache? cache)
    {
        output.Create();
        var layers = model.Layers();
        var parameters = ParameterStatistics.Of(model);
        var byOutput = parameters.ToDictionary(p => p.Output, StringComparer.Ordinal);

        IReadOnlyList<LayerExamples> found = [];
        TimeSpan examplesTime = default, synthesisTime = default;
        if (examples is not null)
        {
            var spatial = ChannelExamples.RankedLayers(model);
            var timer = Stopwatch.StartNew();
            IReadOnlyList<LayerExamples> Find() => ChannelExamples.Find(model, spatial, examples.Count, examples.Fill, Top, batch: 64, inference);
            found = cache is null ? Find() : cache.TopExamples(modelSha256, examples.Hash, spatial, Top, Find);
            examplesTime = timer.Elapsed;
            log.WriteLine($"Examples {examples.Description}: top {Top} of {found.Sum(f => f.Channels)} channels in {found.Count} layers, {examplesTime.TotalSeconds:0.0} s{(cache?.LastWasHit == true ? " (from the cache)" : "")}");
            timer.Restart();
            foreach (var layer in found)
            {
                // Each channel's unit where its top example fires, from the dataset's mean pixel level.
                var options = features with { InitialLevel = FeatureVisualisationOptions.LevelOf(examples.MeanPixel) };
                var channels = Enumerable.Range(0, layer.Channels).ToArray();
                (int X, int Y)[] units = [.. channels.Select(c => (layer.Top[c][0].X, layer.Top[c][0].Y))];
                IReadOnlyList<FeatureImage> Synthesise()
                {
                    using var visualiser = new FeatureVisualiser(model, layer.Layer, examples.BlackLevel, examples.WhiteLevel, inference);
                    return visualiser.Synthesise(channels, options, units: units);
                }
                string settings = InsightCache.FeatureSettings(options, examples.BlackLevel, examples.WhiteLevel, channels, units);
                var synthesised = cache is null ? Synthesise() : cache.Features(modelSha256, layer.Layer, settings, Synthesise);
                var input = model.Inputs[0].Shape;
                ImageFile.Save(Path.Combine(output.FullName, FileName(layer.Layer)), Sheet(layer, examples, synthesised, (int)input[3], (int)input[2]));
                log.WriteLine($"Features {layer.Layer}: {layer.Channels} channels synthesised, {timer.Elapsed.TotalSeconds:0.0} s so far{(cache?.LastWasHit == true ? " (from the cache)" : "")}");
            }
            synthesisTime = timer.Elapsed;
        }

        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Glassbox network</title><style>")
            .Append("body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}")
            .Append("th{background:#f3f3f3}td.l,th.l{text-align:left}.dead{color:#b42318}img.sheet{image-rendering:pixelated;max-width:100%}svg text{font-size:10px}</style></head><body>\n");
        html.Append("<h1>Glassbox network</h1>\n<table>");
        Row(html, "Model", model.Source);
        Row(html, "Model SHA-256", modelSha256);
        Row(html, "Made by", $"{model.Producer}, opset {model.Opsets.GetValueOrDefault("ai.onnx", 0)}");
        Row(html, "Parameters", $"{parameters.Sum(p => p.ParameterCount):N0} in {parameters.Count} layers");
        Row(html, "Top examples", examples is null ? "none (a model package says how to prepare images)" : $"{examples.Description}, dataset hash {examples.Hash[..16]}, {examplesTime.TotalSeconds:0.0} s");
        if (examples is not null)
            Row(html, "Feature visualisation", $"{features.Steps} steps of gradient ascent per channel, {synthesisTime.TotalSeconds:0.0} s");
        html.Append("</table>\n");

        html.Append("<h2>Structure</h2>\n<p>Every node in graph order: its output, op, output shape per input and parameter count.</p>\n<table><tr><th>#</th><th class=l>node</th><th class=l>op</th><th class=l>output</th><th class=l>shape</th><th>parameters</th></tr>\n");
        foreach (var layer in layers)
        {
            long count = byOutput.TryGetValue(layer.Output, out var p) ? p.ParameterCount : 0;
            html.Append(Invariant($"<tr><td>{layer.Index}</td><td class=l>{Encode(layer.Name)}</td><td class=l>{Encode(layer.OpType)}</td><td class=l>{Encode(layer.Output)}</td><td class=l>{Encode(layer.Shape?.ToString() ?? "?")}</td><td>{(count > 0 ? count.ToString("N0", CultureInfo.InvariantCulture) : "")}</td></tr>\n"));
        }
        html.Append("</table>\n");

        html.Append($"<h2>Parameters</h2>\n<p>Per layer and tensor: count, range, mean, standard deviation, the fraction near zero (|v| ≤ {TensorStatistics.NearZeroShare:P0} of the tensor's largest |v|) and a histogram; then the L2 norm of each output channel's weights, where a dead filter (≤ 1% of the median norm) is marked.</p>\n");
        foreach (var layer in parameters)
        {
            html.Append($"<h3>{Encode(layer.Node)} ({Encode(layer.OpType)} → {Encode(layer.Output)})</h3>\n<table><tr><th class=l>tensor</th><th class=l>role</th><th class=l>shape</th><th>count</th><th>min</th><th>max</th><th>mean</th><th>std</th><th>near zero</th><th class=l>histogram</th></tr>\n");
            foreach (var t in layer.Tensors)
            {
                html.Append(Invariant($"<tr><td class=l>{Encode(t.Name)}</td><td class=l>{t.Role}</td><td class=l>{t.Shape}</td><td>{t.Count:N0}</td><td>{t.Min:G4}</td><td>{t.Max:G4}</td><td>{t.Mean:G4}</td><td>{t.StandardDeviation:G4}</td><td>{t.NearZeroFraction:P1}</td><td class=l>"))
                    .Append(HistogramSvg(t.Histogram)).Append("</td></tr>\n");
            }
            html.Append("</table>\n");
            if (layer.OutputChannelNorms is { Length: > 0 } norms)
            {
                var dead = layer.DeadChannels();
                html.Append(Invariant($"<p>Output channel norms ({norms.Length} channels, {dead.Length} dead{(dead.Length > 0 ? ": " + string.Join(", ", dead) : "")}):</p>"))
                    .Append(BarsSvg(norms, dead)).Append('\n');
            }
        }

        if (found.Count > 0)
        {
            html.Append($"<h2>Top {Top} examples and feature visualisation of every channel</h2>\n<p>Per feature-map layer, one row per channel: the {Top} inputs of the dataset whose largest activation on that channel is highest, best first, with the cell of the channel's grid where it fired outlined in red; then, after a gap, an input synthesised by gradient ascent to excite that unit (jitter, scale and rotation robustness, a pyramid parametrisation, total variation and an L2 prior), started from the dataset's mean pixel level.</p>\n");
            foreach (var layer in found)
            {
                var dead = layer.DeadChannels();
                html.Append(Invariant($"<h3>{Encode(layer.Layer)}: {layer.Channels} channels, {layer.Width}×{layer.Height}</h3>\n"))
                    .Append(Invariant($"<p>Share of the dataset on which each channel is positive anywhere ({dead.Length} never{(dead.Length > 0 ? ": " + string.Join(", ", dead) : "")}):</p>"))
                    .Append(BarsSvg(layer.ActiveShare, dead)).Append('\n')
                    .Append($"<img class=sheet src=\"{Encode(FileName(layer.Layer))}\" alt=\"top examples of {Encode(layer.Layer)}\">\n");
            }
        }
        html.Append("</body></html>\n");
        string path = Path.Combine(output.FullName, "network.html");
        File.WriteAllText(path, html.ToString());
        return path;
    }

    /// <summary>
    /// One row per channel: <see cref="Top"/> examples across, each at twice its size with the firing cell outlined, then
    /// the synthesised input.
    /// </summary>
    private static RgbaImage Sheet(LayerExamples layer, ExampleSet examples, IReadOnlyList<FeatureImage> synthesised, int inputWidth, int inputHeight)
    {
        var first = examples.Picture(0);
        int tile = Math.Max(first.Width, first.Height) * 2, gap = 2;
        float featureScale = (float)tile / Math.Max(inputWidth, inputHeight);
        var sheet = new RgbaImage(Top * (tile + gap) + 4 * gap + tile, layer.Channels * (tile + gap));
        Array.Fill(sheet.Pixels, RgbaImage.Pack(255, 255, 255));
        var cache = new Dictionary<int, RgbaImage>();
        for (int c = 0; c < layer.Channels; c++)
        {
            for (int k = 0; k < layer.Top[c].Length; k++)
            {
                var example = layer.Top[c][k];
                if (!cache.TryGetValue(example.Index, out var picture))
                    cache[example.Index] = picture = examples.Picture(example.Index);
                layer.DrawExample(sheet, k * (tile + gap), c * (tile + gap), tile, example, picture, RgbaImage.Pack(230, 30, 30));
            }
            var feature = synthesised[c].ToPicture(inputWidth, inputHeight);
            int featureLeft = Top * (tile + gap) + 4 * gap, featureTop = c * (tile + gap);
            for (int y = 0; y < tile; y++)
                for (int x = 0; x < tile; x++)
                    sheet[featureLeft + x, featureTop + y] = feature[Math.Min(inputWidth - 1, (int)(x / featureScale)), Math.Min(inputHeight - 1, (int)(y / featureScale))];
        }
        return sheet;
    }

    private static string HistogramSvg(Histogram histogram)
    {
        const int width = 160, height = 36;
        long most = Math.Max(1, histogram.Counts.Max());
        var svg = new StringBuilder(Invariant($"<svg width=\"{width}\" height=\"{height + 10}\" role=\"img\"><title>{histogram.Low:G3} to {histogram.High:G3}</title>"));
        float bar = (float)width / histogram.Counts.Length;
        for (int i = 0; i < histogram.Counts.Length; i++)
        {
            float h = height * histogram.Counts[i] / (float)most;
            svg.Append(Invariant($"<rect x=\"{i * bar:0.#}\" y=\"{height - h:0.#}\" width=\"{Math.Max(1f, bar - 1):0.#}\" height=\"{h:0.#}\" fill=\"#4477aa\"/>"));
        }
        return svg.Append(Invariant($"<text x=\"0\" y=\"{height + 9}\">{histogram.Low:G3}</text><text x=\"{width}\" y=\"{height + 9}\" text-anchor=\"end\">{histogram.High:G3}</text></svg>")).ToString();
    }

    private static string BarsSvg(float[] norms, int[] dead)
    {
        const int height = 40;
        int bar = Math.Clamp(600 / norms.Length, 2, 12);
        float most = Math.Max(1e-12f, norms.Max());
        var svg = new StringBuilder(Invariant($"<svg width=\"{bar * norms.Length}\" height=\"{height}\" role=\"img\">"));
        for (int c = 0; c < norms.Length; c++)
        {
            float h = Math.Max(1f, height * norms[c] / most);
            svg.Append(Invariant($"<rect x=\"{c * bar}\" y=\"{height - h:0.#}\" width=\"{Math.Max(1, bar - 1)}\" height=\"{h:0.#}\" fill=\"{(dead.Contains(c) ? "#b42318" : "#44aa77")}\"><title>channel {c}: {norms[c]:G4}</title></rect>"));
        }
        return svg.Append("</svg>").ToString();
    }

    private static string FileName(string layer) => "top-" + string.Concat(layer.Select(ch => char.IsLetterOrDigit(ch) ? ch : '_')) + ".png";

    private static void Row(StringBuilder html, string name, string value) => html.Append($"<tr><th class=l>{Encode(name)}</th><td class=l>{Encode(value)}</td></tr>");

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
