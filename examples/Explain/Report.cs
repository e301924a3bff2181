using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Glassbox.Explain.Metrics;

namespace Glassbox.Examples.Explain;

/// <summary>Means of one method's scores over the inputs.</summary>
internal sealed record MethodSummary(string Method, int Inputs, double Deletion, double Insertion, double Morf, double Lerf,
                                     double BeatsRandomDeletion, double BeatsRandomInsertion, float[] Fractions, float[] DeletionCurve, float[] InsertionCurve);

/// <summary>The HTML report: metrics table, mean deletion and insertion curves, sanity check, and the images side by side.</summary>
internal static class Report
{
    private const int GalleryLimit = 60;
    private static readonly string[] Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#393b79", "#ad494a", "#637939", "#7b4173", "#3182bd", "#e6550d", "#31a354"];

    public static string Write(ExplainSettings settings, LoadedModel model, RunManifest manifest, List<InputResult> results, List<MethodSummary> summaries,
                               List<SanityCheckResult> sanity, List<string> failures)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Glassbox explanations</title><style>")
            .Append("body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}")
            .Append("th{background:#f3f3f3}td.l,th.l{text-align:left}.good{color:#1a7f37}.bad{color:#b42318}figure{display:inline-block;margin:4px;text-align:center;font-size:12px}")
            .Append("figure img{width:140px;height:140px;image-rendering:pixelated;display:block}.row{white-space:nowrap;overflow-x:auto}svg text{font-size:11px}</style></head><body>\n");
        html.Append("<h1>Glassbox explanations</h1>\n<table>");
        Row(html, "Model", $"{manifest.ModelPath}");
        Row(html, "Model SHA-256", manifest.ModelSha256 + (model.FromManifest ? " (verified against its manifest)" : ""));
        Row(html, "Execution provider", $"{manifest.ExecutionProvider}, ONNX Runtime {manifest.OnnxRuntimeVersion}");
        Row(html, "Methods", manifest.Methods);
        Row(html, "Layer", manifest.Layer ?? "-");
        Row(html, "Target", manifest.Target);
        Row(html, "Inputs", $"{results.Count} explained, {failures.Count} failed");
        html.Append("</table>\n");

        if (summaries.Count > 0)
        {
            var random = summaries.First(s => s.Method == "random");
            html.Append($"<h2>Faithfulness over {results.Count} inputs</h2>\n<p>Deletion AUC (lower is better) and insertion AUC (higher is better), RISE protocol: pixels in the map's order set to black, or copied into a blurred copy; ")
                .Append("ROAD with noisy linear imputation: mean probability with 10–90% of pixels removed, most relevant first (MoRF, lower is better) or least relevant first (LeRF, higher is better). ")
                .Append("The random row is a uniformly random map per input; the last columns give how often a method beat it on the same input.</p>\n<table><tr><th class=l>method</th><th>deletion AUC</th><th>insertion AUC</th><th>ROAD MoRF</th><th>ROAD LeRF</th><th>beats random: deletion</th><th>insertion</th></tr>\n");
            foreach (var s in summaries)
            {
                string del = s.Method == "random" ? "" : s.Deletion < random.Deletion ? " class=good" : " class=bad";
                string ins = s.Method == "random" ? "" : s.Insertion > random.Insertion ? " class=good" : " class=bad";
                html.Append(Invariant($"<tr><td class=l>{Encode(s.Method)}</td><td{del}>{s.Deletion:0.000}</td><td{ins}>{s.Insertion:0.000}</td><td>{s.Morf:0.000}</td><td>{s.Lerf:0.000}</td><td>{(s.Method == "random" ? "" : $"{s.BeatsRandomDeletion:0%}")}</td><td>{(s.Method == "random" ? "" : $"{s.BeatsRandomInsertion:0%}")}</td></tr>\n"));
            }
            html.Append("</table>\n");
            string deletionPlot = Plot("Deletion: probability of the class as the most relevant pixels are removed", summaries, s => s.DeletionCurve);
            string insertionPlot = Plot("Insertion: probability of the class as the most relevant pixels are restored", summaries, s => s.InsertionCurve);
            html.Append(deletionPlot).Append(insertionPlot);
            File.WriteAllText(Path.Combine(settings.Out.FullName, "deletion.svg"), Standalone(deletionPlot));
            File.WriteAllText(Path.Combine(settings.Out.FullName, "insertion.svg"), Standalone(insertionPlot));
            File.WriteAllText(Path.Combine(settings.Out.FullName, "summary.md"), Markdown(summaries, sanity, results.Count));
            File.WriteAllText(Path.Combine(settings.Out.FullName, "summary.json"), JsonSerializer.Serialize(summaries, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
        }

        if (sanity.Count > 0)
        {
            html.Append("<h2>Sanity check: cascading model-parameter randomisation</h2>\n<p>Layers with weights are re-initialised from the output down (Adebayo et al. 2018); each cell is the Spearman rank correlation of the map with the trained model's map, ")
                .Append($"mean over the first {sanity[0].Inputs} input(s), each for the class explained on the trained model; for signed maps the second figure ranks magnitudes. The trained model's maps correlate 1.00 with themselves; a method that explains the model falls towards 0 and passes below 0.5 once every layer is random. A map that becomes constant ranks nothing and counts as 0 (their number is in brackets).</p>\n<table><tr><th class=l>method</th><th>trained</th>");
            foreach (var stage in sanity[0].Stages)
                html.Append($"<th>…{Encode(stage.Layer)}</th>");
            html.Append("<th>passes</th></tr>\n");
            foreach (var check in sanity)
            {
                html.Append($"<tr><td class=l>{Encode(check.Method)}</td><td>1.00</td>");
                foreach (var stage in check.Stages)
                    html.Append($"<td>{Encode(Cell(check, stage))}</td>");
                html.Append($"<td class={(check.Passes() ? "good>yes" : "bad>no")}</td></tr>\n");
            }
            html.Append("</table>\n");
        }

        html.Append($"<h2>Maps{(results.Count > GalleryLimit ? $" (first {GalleryLimit} of {results.Count} inputs; every map is in this folder)" : "")}</h2>\n");
        foreach (var result in results.Take(GalleryLimit))
        {
            var r = result.Result;
            string truth = result.Input.Label is { } label ? $", label {label}" : "";
            html.Append(Invariant($"<h3>{Encode(result.Input.Name)}: predicted {r.PredictedClass} ({r.Probabilities[r.PredictedClass]:0.0%}){truth}, explaining class {r.TargetClass}{(r.ContrastClass is { } c ? $" against {c}" : "")}</h3>\n<div class=row>"));
            html.Append($"<figure><img src=\"{Encode(result.InputImage)}\" alt=\"input\"><figcaption>input</figcaption></figure>");
            for (int i = 0; i < r.Maps.Length; i++)
            {
                var map = r.Maps[i];
                var scores = result.Scores?.Maps.First(m => m.Method == map.Method);
                string metrics = scores is null ? "" : Invariant($"<br>del {scores.Curves.Deletion.Auc:0.00} · ins {scores.Curves.Insertion.Auc:0.00}");
                html.Append(Invariant($"<figure><a href=\"{Encode(result.Files[i].Json)}\"><img src=\"{Encode(result.Files[i].Overlay)}\" alt=\"{Encode(map.Method)}\"></a><figcaption>{Encode(map.Method)}<br>{(map.RunTime + map.PostProcessTime).TotalMilliseconds:0.0} ms{metrics}</figcaption></figure>"));
            }
            html.Append("</div>\n");
        }
        if (failures.Count > 0)
        {
            html.Append("<h2>Not explained</h2><ul>");
            foreach (var failure in failures)
                html.Append($"<li>{Encode(failure)} (the reason is on the command's error output)</li>");
            html.Append("</ul>\n");
        }
        html.Append("</body></html>\n");
        string path = Path.Combine(settings.Out.FullName, "report.html");
        File.WriteAllText(path, html.ToString());
        return path;
    }

    public static IEnumerable<string> SummaryLines(List<MethodSummary> summaries, int inputs, List<SanityCheckResult> sanity)
    {
        if (summaries.Count > 0)
        {
            var random = summaries.First(s => s.Method == "random");
            yield return Invariant($"{"method",-22} {"deletion",9} {"insertion",9} {"MoRF",6} {"LeRF",6}   (means over {inputs} inputs; random map: deletion {random.Deletion:0.000}, insertion {random.Insertion:0.000})");
            foreach (var s in summaries.Where(s => s.Method != "random"))
            {
                string verdict = s.Deletion < random.Deletion && s.Insertion > random.Insertion ? "beats random" : "does not beat random";
                yield return Invariant($"{s.Method,-22} {s.Deletion,9:0.000} {s.Insertion,9:0.000} {s.Morf,6:0.000} {s.Lerf,6:0.000}   {verdict}");
            }
        }
        foreach (var check in sanity)
            yield return Invariant($"sanity {check.Method,-20} mean rank correlation 1.00 → {string.Join(" → ", check.Stages.Select(s => Cell(check, s)))} over {check.Inputs} input(s): {(check.Passes() ? "passes" : "fails")}");
    }

    internal static List<MethodSummary> Summarise(List<InputResult> results)
    {
        var scored = results.Where(r => r.Scores is not null).ToList();
        if (scored.Count == 0)
            return [];
        var methods = scored[0].Scores!.Maps.Select(m => m.Method).ToList();
        return methods.Select(method =>
        {
            var own = scored.Select(r => r.Scores!.Maps.First(m => m.Method == method)).ToList();
            var random = scored.Select(r => r.Scores!.Maps.First(m => m.Method == "random")).ToList();
            var fractions = own[0].Curves.Deletion.Fractions.ToArray();
            float[] MeanCurve(Func<MapScores, PerturbationCurve> pick) =>
                Enumerable.Range(0, fractions.Length).Select(i => (float)own.Average(m => pick(m).Scores[i])).ToArray();
            return new MethodSummary(method, own.Count,
                own.Average(m => m.Curves.Deletion.Auc), own.Average(m => m.Curves.Insertion.Auc),
                own.Average(m => m.Road.MoRF), own.Average(m => m.Road.LeRF),
                own.Zip(random).Average(p => p.First.Curves.Deletion.Auc < p.Second.Curves.Deletion.Auc ? 1.0 : 0.0),
                own.Zip(random).Average(p => p.First.Curves.Insertion.Auc > p.Second.Curves.Insertion.Auc ? 1.0 : 0.0),
                fractions, MeanCurve(m => m.Curves.Deletion), MeanCurve(m => m.Curves.Insertion));
        }).ToList();
    }

    private static string Plot(string title, List<MethodSummary> summaries, Func<MethodSummary, float[]> curve)
    {
        const int width = 520, height = 300, left = 40, top = 24, plotWidth = 300, plotHeight = 240;
        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\"><title>{Encode(title)}</title>"));
        svg.Append(Invariant($"<text x=\"{left}\" y=\"14\">{Encode(title)}</text>"));
        svg.Append(Invariant($"<rect x=\"{left}\" y=\"{top}\" width=\"{plotWidth}\" height=\"{plotHeight}\" fill=\"none\" stroke=\"#999\"/>"));
        for (int tick = 0; tick <= 4; tick++)
        {
            double v = tick / 4.0;
            svg.Append(Invariant($"<text x=\"{left - 30}\" y=\"{top + plotHeight - v * plotHeight + 4:0}\">{v:0.00}</text>"));
            svg.Append(Invariant($"<text x=\"{left + v * plotWidth - 8:0}\" y=\"{top + plotHeight + 14}\">{v:0%}</text>"));
        }
        for (int i = 0; i < summaries.Count; i++)
        {
            var s = summaries[i];
            var values = curve(s);
            string colour = s.Method == "random" ? "#000" : Palette[i % Palette.Length];
            string dash = s.Method == "random" ? " stroke-dasharray=\"4 3\"" : "";
            var points = string.Join(" ", values.Select((v, k) => Invariant($"{left + s.Fractions[k] * plotWidth:0.0},{top + plotHeight - v * plotHeight:0.0}")));
            svg.Append($"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\"{dash} points=\"{points}\"/>");
            svg.Append(Invariant($"<line x1=\"{left + plotWidth + 12}\" x2=\"{left + plotWidth + 30}\" y1=\"{top + 6 + i * 15}\" y2=\"{top + 6 + i * 15}\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/>"));
            svg.Append(Invariant($"<text x=\"{left + plotWidth + 34}\" y=\"{top + 10 + i * 15}\">{Encode(s.Method)}</text>"));
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static string Cell(SanityCheckResult check, RandomisationStage stage) =>
        Invariant($"{stage.Spearman:0.00}{(check.FirstOriginal.Signed ? $" / {stage.SpearmanAbsolute:0.00}" : "")}{(stage.ConstantMaps > 0 ? $" ({stage.ConstantMaps})" : "")}");

    private static string Standalone(string svg) => svg.Replace("<svg ", "<svg xmlns=\"http://www.w3.org/2000/svg\" style=\"font-family:sans-serif;background:#fff\" ", StringComparison.Ordinal);

    /// <summary>The metrics and sanity tables as Markdown, for notes and docs.</summary>
    private static string Markdown(List<MethodSummary> summaries, List<SanityCheckResult> sanity, int inputs)
    {
        var md = new StringBuilder();
        var random = summaries.First(s => s.Method == "random");
        md.AppendLine(Invariant($"| method | deletion AUC ↓ | insertion AUC ↑ | ROAD MoRF ↓ | ROAD LeRF ↑ | beats random (deletion / insertion, per input) |"));
        md.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var s in summaries)
        {
            string beats = s.Method == "random" ? "" : Invariant($"{s.BeatsRandomDeletion:0%} / {s.BeatsRandomInsertion:0%}");
            string del = s.Method != "random" && s.Deletion >= random.Deletion ? " ✗" : "";
            string ins = s.Method != "random" && s.Insertion <= random.Insertion ? " ✗" : "";
            md.AppendLine(Invariant($"| {s.Method} | {s.Deletion:0.000}{del} | {s.Insertion:0.000}{ins} | {s.Morf:0.000} | {s.Lerf:0.000} | {beats} |"));
        }
        md.AppendLine().AppendLine(Invariant($"Means over {inputs} inputs; ✗ marks a mean no better than the random map's."));
        if (sanity.Count > 0)
        {
            md.AppendLine().Append("| method | trained |");
            foreach (var stage in sanity[0].Stages)
                md.Append($" …{stage.Layer} |");
            md.AppendLine(" passes |").Append("|---|---:|").Append(string.Concat(sanity[0].Stages.Select(_ => "---:|"))).AppendLine("---|");
            foreach (var check in sanity)
            {
                md.Append($"| {check.Method} | 1.00 |");
                foreach (var stage in check.Stages)
                    md.Append($" {Cell(check, stage)} |");
                md.AppendLine(check.Passes() ? " yes |" : " no |");
            }
            md.AppendLine().AppendLine(Invariant($"Mean Spearman rank correlation with the trained model's maps over {sanity[0].Inputs} inputs as layers are re-initialised from the output down (for signed maps: values / magnitudes); (n) constant maps, counted as 0. Passes: below 0.5 once every layer is random."));
        }
        return md.ToString();
    }

    private static void Row(StringBuilder html, string name, string value) => html.Append($"<tr><th class=l>{Encode(name)}</th><td class=l>{Encode(value)}</td></tr>");

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
