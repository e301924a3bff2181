using System.Globalization;
using System.Reflection;
using Glassbox.Explain.Methods;
using Glassbox.Onnx;
using Glassbox.Onnx.Gradients;

namespace Glassbox.Explain;

/// <summary>
/// An explainer written as one standard ONNX model: the forward pass, the backward pass derived from it, and each
/// method's post-processing (channel weights, ReLU, upsampling to the input, normalisation), so any ONNX runtime —
/// ONNX Runtime in any language, a browser, a game engine's own — computes the prediction and the maps with no
/// Glassbox code. The exported model takes the model's input only and returns the model's outputs, then per method
/// "{method}_map" (raw, [batch, height, width] at input resolution) and "{method}_map_normalised" (0–1, as the overlay
/// scales it: the 1st to 99th percentile of the raw map, or ± its largest |value| for signed maps), and
/// "explained_class" ([batch], int64).
/// <para>Exportable: cam, grad-cam, grad-cam++, xgrad-cam, layer-cam, gradient, gradient-x-input, guided-backprop,
/// deconvnet and lrp (any composite), all on one backward pass per file; cam and attention-rollout (no backward pass)
/// beside any of them; integrated-gradients (black or zero baseline) and smoothgrad each in a file of its own, the
/// batch of inputs they average over made inside the graph (SmoothGrad's noise from the int64 input "noise_seed").
/// Perturbation methods (occlusion, RISE, Score-CAM, Ablation-CAM) run many inputs chosen on the host; Eigen-CAM needs
/// an SVD that ONNX has no op for.</para>
/// <para>Targets: the top class or a fixed class of class scores [batch, classes]; for a dense map [batch, classes,
/// height, width], a box of it (the whole map without one) for the class with the largest sum over the box, or a
/// fixed class; for a detection head [batch, boxes, 4 + classes], the K-th best box by its highest score (the row is
/// also returned, as "explained_box"); for a sequence [batch, steps, classes], one step. A model with a free input
/// size is exported at the explainer's size.</para>
/// </summary>
public static class ExplainerExport
{
    /// <summary>Graph outputs a map of <paramref name="method"/> is written to.</summary>
    public static (string Raw, string Normalised) MapOutputs(string method) => ($"{method}_map", $"{method}_map_normalised");

    public const string ClassOutput = "explained_class";

    /// <summary>For a detection target, the row (box) of the head that is explained, [batch] int64.</summary>
    public const string BoxOutput = "explained_box";

    /// <summary>
    /// The explainer's model with <paramref name="methods"/> built in, explaining <paramref name="target"/> (the top
    /// class by default), written at <paramref name="opset"/> (13 to 23; by default the model's own, at least 13). The
    /// model the explainer holds is not changed.
    /// </summary>
    public static OnnxModel Export(Explainer explainer, IReadOnlyList<AttributionMethod> methods, ExplanationTarget? target = null, long? opset = null)
    {
        ArgumentNullException.ThrowIfNull(explainer);
        ArgumentNullException.ThrowIfNull(methods);
        target ??= ExplanationTarget.TopClass;
        long written = opset ?? Math.Max(explainer.Model.Opsets.GetValueOrDefault("ai.onnx", 0), 13);
        if (methods.Count == 0)
            throw new GlassboxException("Name at least one method to export.");
        var shape = explainer.OutputShape;
        bool fits = target.Kind switch
        {
            TargetKind.Class => shape.Rank is 2 or 4,
            TargetKind.Region => shape.Rank == 4,
            TargetKind.Detection or TargetKind.Step => shape.Rank == 3,
            _ => false,
        };
        if (!fits)
        {
            throw new GlassboxException($"Exported explainers explain the top or a fixed class of class scores [batch, classes], of a box of a dense map " +
                                        $"[batch, classes, height, width], of the K-th detection or of one step [batch, rows, columns]; '{target}' on output '{explainer.Output}' {shape} is not one of those.");
        }
        if (Enumerable.Range(1, shape.Rank - 1).Any(i => shape[i] < 1))
            throw new GlassboxException($"Output '{explainer.Output}' has no static size past the batch ({shape}); give the model's input size (--size) so it can be exported.");
        var names = methods.Select(m => m.Name).ToList();
        if (names.Distinct().Count() != names.Count)
            throw new GlassboxException("Each method can be exported once per file (their outputs are named after them).");

        if (methods.FirstOrDefault(m => m is IntegratedGradients or SmoothGrad) is { } batched)
        {
            if (methods.Count > 1)
                throw new GlassboxException($"{batched.Name} runs its own batch of inputs through the model; export it in a file of its own.");
            return batched is SmoothGrad smooth ? ExportSmoothGrad(explainer, smooth, target, written)
                : ExportIntegratedGradients(explainer, (IntegratedGradients)batched, target, written);
        }
        var plans = methods.Select(m => Plan(m, explainer)).ToList();
        var passes = plans.Where(p => p.Pass is not null).Select(p => p.Pass!).Distinct().ToList();
        if (passes.Count > 1)
            throw new GlassboxException($"{string.Join(" and ", plans.Where(p => p.Pass is not null).Select(p => $"{p.Method} ({p.Pass})"))} take gradients by different rules; export them to separate files.");
        var readout = TargetNodes.Check(explainer, target);
        if (passes.Count == 0)
        {
            var plain = OnnxGraphBuilder.From(explainer.Model.AtOpset(written), "export/");
            return Finish(plain, explainer, plans, null, target, null, readout.Explain(plain));
        }
        var targets = plans.Where(p => p.Pass is not null).SelectMany(p => p.AtLayer ? new[] { explainer.Layer } : [explainer.Input.Name]).Distinct().ToList();
        var derived = GradientGraph.Derive(explainer.Model, explainer.Output, targets, backward: passes[0], opset: written);

        var b = OnnxGraphBuilder.From(derived.Model, "export/");
        // The seed becomes a value the graph makes from the output (the explained class, the box, the row or the
        // step): the exported model takes the model's input alone.
        Explained explained = default;
        b.ReplaceInput(derived.SeedInput, g =>
        {
            explained = readout.Explain(g);
            return readout.Seed(g, explained);
        });
        foreach (var gradient in derived.GradientOutputs.Values)
            b.RemoveOutput(gradient);
        return Finish(b, explainer, plans, derived, target, passes[0], explained);
    }

    /// <summary>What the graph explains per sample: the class, and for a detection target the row (box) it is of.</summary>
    private readonly record struct Explained(string Class, string? Row);

    /// <summary>
    /// The library's target readouts as graph nodes: which class (and row) each sample explains, and the seed of
    /// Σ seed·output that picks its score: a classifier's row; a class channel of a dense map summed over a box (the
    /// whole map without one); the K-th best row of a detection head by its highest score (ties in row order, as
    /// ONNX's TopK and the library both keep them); one step of a sequence.
    /// </summary>
    private sealed class TargetNodes(Explainer e, ExplanationTarget target, float[]? region)
    {
        private long Classes => e.OutputShape.Rank == 3 ? e.OutputShape[2] - (target.Kind == TargetKind.Detection ? 4 : 0) : e.OutputShape[1];

        public static TargetNodes Check(Explainer e, ExplanationTarget target)
        {
            var shape = e.OutputShape;
            if (target.Kind == TargetKind.Detection && shape[2] < 5)
                throw new GlassboxException($"Output '{e.Output}' is {shape}; a detection row needs 4 box values and at least one score.");
            if (target.Kind == TargetKind.Detection && target.Rank >= shape[1])
                throw new GlassboxException($"Detection {target.Rank + 1} does not exist: the head has {shape[1]} boxes.");
            if (target.Kind == TargetKind.Step && target.Rank >= shape[1])
                throw new GlassboxException($"Step {target.Rank} does not exist: output '{e.Output}' has {shape[1]} steps, 0 to {shape[1] - 1}.");
            var nodes = new TargetNodes(e, target, shape.Rank == 4 ? RegionMask(e, target.Box) : null);
            foreach (var label in new[] { target.Label, target.Contrast }.OfType<int>().Where(l => l >= nodes.Classes))
                throw new GlassboxException($"Class {label} is out of range; the model has {nodes.Classes} classes.");
            return nodes;
        }

        public Explained Explain(OnnxGraphBuilder g)
        {
            string output = e.Output;
            string? row = null;
            string scores;
            switch (e.OutputShape.Rank)
            {
                case 4:
                    scores = g.Op("ReduceSum", [g.Op("Mul", output, Mask(g)), g.Int64s(2, 3)], OnnxAttribute.Int("keepdims", 0));
                    break;
                case 3 when target.Kind == TargetKind.Step:
                    scores = g.Op("Squeeze", g.Op("Slice", output, g.Int64s(target.Rank), g.Int64s(target.Rank + 1), g.Int64s(1)), g.Int64s(1));
                    break;
                case 3:
                {
                    string columns = ScoreColumns(g);
                    string best = Reduce(g, "ReduceMax", columns, [2], keepDims: false);
                    string ranked = g.Op("TopK", [best, g.Int64s(target.Rank + 1)], 2, OnnxAttribute.Int("axis", -1), OnnxAttribute.Int("largest", 1),
                        OnnxAttribute.Int("sorted", 1))[1];
                    row = g.Op("Squeeze", g.Op("Gather", [ranked, g.Int64s(target.Rank)], OnnxAttribute.Int("axis", 1)), g.Int64s(1));
                    scores = g.Op("ReduceSum", [g.Op("Mul", g.Op("Unsqueeze", RowHot(g, row), g.Int64s(2)), columns), g.Int64s(1)], OnnxAttribute.Int("keepdims", 0));
                    break;
                }
                default:
                    scores = output;
                    break;
            }
            string explained = target.Label is int fixedClass
                ? g.Op("Expand", g.Int64s(fixedClass), g.Op("Slice", g.Op("Shape", output), g.Int64s(0), g.Int64s(1)))
                : g.Op("ArgMax", [scores], OnnxAttribute.Int("axis", -1), OnnxAttribute.Int("keepdims", 0));
            return new Explained(explained, row);
        }

        public string Seed(OnnxGraphBuilder g, Explained explained)
        {
            string classHot = g.Op("OneHot", [explained.Class, g.Int64s(Classes), g.Floats([0f, 1f], [2])], OnnxAttribute.Int("axis", -1));
            // A contrast (A versus B) is −1 on B's values where A's are +1: the score explained is A − B.
            if (target.Contrast is int against)
                classHot = g.Op("Sub", classHot, g.Floats(OneHotRow(Classes, against), [1, Classes]));
            var shape = e.OutputShape;
            switch (shape.Rank)
            {
                case 4:
                    // +1 on the explained class over the box: Σ seed·output is the class's sum over the box, as the library reads it.
                    return g.Op("Mul", g.Op("Unsqueeze", classHot, g.Int64s(2, 3)), Mask(g));
                case 3 when target.Kind == TargetKind.Step:
                {
                    var step = new float[shape[1]];
                    step[target.Rank] = 1f;
                    return g.Op("Mul", g.Op("Unsqueeze", classHot, g.Int64s(1)), g.Floats(step, [1, shape[1], 1]));
                }
                case 3:
                {
                    // The row's one-hot times the class's, after the four box values.
                    string scoresOnly = g.Op("Pad", classHot, g.Int64s(0, 4, 0, 0));
                    return g.Op("Mul", g.Op("Unsqueeze", RowHot(g, explained.Row!), g.Int64s(2)), g.Op("Unsqueeze", scoresOnly, g.Int64s(1)));
                }
                default:
                    return classHot;
            }
        }

        private string Mask(OnnxGraphBuilder g) => g.Floats(region!, [1, 1, e.OutputShape[2], e.OutputShape[3]]);

        private string ScoreColumns(OnnxGraphBuilder g) => g.Op("Slice", e.Output, g.Int64s(4), g.Int64s(e.OutputShape[2]), g.Int64s(2));

        private string RowHot(OnnxGraphBuilder g, string row) => g.Op("OneHot", [row, g.Int64s(e.OutputShape[1]), g.Floats([0f, 1f], [2])], OnnxAttribute.Int("axis", -1));
    }

    private static float[] OneHotRow(long classes, int hot)
    {
        var row = new float[classes];
        row[hot] = 1f;
        return row;
    }

    /// <summary>
    /// The box of a dense map as a 0/1 mask over the map: every map pixel the box touches (given in input pixels, the
    /// whole input without one), as the library's region readout scales it.
    /// </summary>
    private static float[] RegionMask(Explainer e, PixelBox? box)
    {
        int height = (int)e.OutputShape[2], width = (int)e.OutputShape[3];
        var b = box ?? new PixelBox(0, 0, e.Width, e.Height);
        if (b.X1 > e.Width || b.Y1 > e.Height)
            throw new GlassboxException($"Box {b} reaches outside the {e.Width}×{e.Height} input; give pixel corners inside it.");
        int x0 = Math.Min(width - 1, (int)((long)b.X0 * width / e.Width)), y0 = Math.Min(height - 1, (int)((long)b.Y0 * height / e.Height));
        int x1 = Math.Max(x0 + 1, (int)(((long)b.X1 * width + e.Width - 1) / e.Width)), y1 = Math.Max(y0 + 1, (int)(((long)b.Y1 * height + e.Height - 1) / e.Height));
        var mask = new float[height * width];
        for (int y = y0; y < y1; y++)
            mask.AsSpan(y * width + x0, x1 - x0).Fill(1f);
        return mask;
    }

    /// <summary>Each method's maps, the explained class and the metadata, on a graph with the backward pass (if any) in place.</summary>
    private static OnnxModel Finish(OnnxGraphBuilder b, Explainer explainer, List<MethodPlan> plans, GradientGraph? derived, ExplanationTarget target, BackwardPass? pass,
                                    Explained explained)
    {
        var maps = new long?[] { null, explainer.Height, explainer.Width };
        // A model with a free input size is exported at the explainer's: the maps are laid out for it.
        if (explainer.Input.Shape is { Rank: 4 } inputShape && (inputShape[2] < 0 || inputShape[3] < 0))
            b.SetInputShape(explainer.Input.Name, [null, explainer.Channels, explainer.Height, explainer.Width]);
        foreach (var plan in plans)
        {
            var (raw, own, count) = plan.Build(b, explainer, derived, explained.Class, target.Contrast);
            var (rawName, normalisedName) = MapOutputs(plan.Method);
            b.AddOutput(raw, rawName, TensorElementType.Float32, maps);
            b.AddOutput(Normalised(b, raw, plan.Signed, own, count), normalisedName, TensorElementType.Float32, maps);
        }
        b.AddOutput(explained.Class, ClassOutput, TensorElementType.Int64, [null]);
        if (explained.Row is { } row)
            b.AddOutput(row, BoxOutput, TensorElementType.Int64, [null]);

        string methods = string.Join(",", plans.Select(p => p.Method));
        return Stamp(b, explainer, methods, pass, plans.Any(p => p.AtLayer) ? explainer.Layer : "", target,
            "1st-99th percentile of the raw map at its own resolution (signed maps: ± largest |value|), bilinear upsampling with pixel centres aligned");
    }

    /// <summary>What the file records of where it came from (the source model's hash, methods, rules, layer, target), and the model itself.</summary>
    private static OnnxModel Stamp(OnnxGraphBuilder b, Explainer explainer, string methods, BackwardPass? pass, string layer, ExplanationTarget target,
                                   string normalised, string? settings = null)
    {
        b.SetMetadata("glassbox.source_sha256", Sha256Hex.Of(explainer.Model.ToBytes()));
        b.SetMetadata("glassbox.methods", methods);
        if (settings is not null)
            b.SetMetadata("glassbox.settings", settings);
        b.SetMetadata("glassbox.backward", pass?.Key ?? "none");
        b.SetMetadata("glassbox.layer", layer);
        b.SetMetadata("glassbox.target", target.ToString());
        b.SetMetadata("glassbox.normalised", normalised);
        b.SetMetadata("glassbox.version", typeof(ExplainerExport).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                                          ?? typeof(ExplainerExport).Assembly.GetName().Version?.ToString() ?? "unknown");
        return b.ToModel($"{explainer.Model.Source} explained by {methods}", "glassbox");
    }

    /// <summary>
    /// 0–1 as the overlay scales a map: unsigned, the 1st and 99th percentiles of the raw map (at its own resolution,
    /// linear between ranks) become 0 and 1; signed, ± the largest |value| become 0 and 1.
    /// </summary>
    private static string Normalised(OnnxGraphBuilder b, string upsampled, bool signed, string map, int count)
    {
        string low, high;
        string flat = b.Op("Flatten", [map], OnnxAttribute.Int("axis", 1));
        if (signed)
        {
            string largest = Reduce(b, "ReduceMax", b.Op("Abs", flat), [1], keepDims: true);
            // An all-zero map keeps the overlay's range of ±1.
            largest = b.Op("Where", b.Op("Greater", largest, b.Float(0f)), largest, b.Float(1f));
            high = b.Op("Unsqueeze", largest, b.Int64s(2));
            low = b.Op("Neg", high);
        }
        else
        {
            string sorted = b.Op("TopK", [flat, b.Int64s(count)], 2, OnnxAttribute.Int("largest", 0), OnnxAttribute.Int("sorted", 1))[0];
            string Percentile(float percent)
            {
                float position = percent / 100f * (count - 1);
                int below = (int)MathF.Floor(position);
                int above = Math.Min(below + 1, count - 1);
                float fraction = position - below;
                string a = b.Op("Gather", [sorted, b.Int64s(below)], OnnxAttribute.Int("axis", 1));
                string c = b.Op("Gather", [sorted, b.Int64s(above)], OnnxAttribute.Int("axis", 1));
                return b.Op("Unsqueeze", b.Op("Add", a, b.Op("Mul", b.Op("Sub", c, a), b.Float(fraction))), b.Int64s(2));
            }
            low = Percentile(1f);
            high = Percentile(99f);
        }
        string range = b.Op("Sub", high, low);
        string t = b.Op("Where", b.Op("Greater", range, b.Float(0f)), b.Op("Div", b.Op("Sub", upsampled, low), range), b.Float(0f));
        return b.Op("Clip", t, b.Float(0f), b.Float(1f));
    }

    /// <summary>
    /// Integrated Gradients with its interpolation batch inside the graph: the steps
    /// baseline + (s + ½)/S · (input − baseline), and the map Σ_channels mean_s(∂score/∂x) · (input − baseline), as the
    /// library computes it.
    /// </summary>
    private static OnnxModel ExportIntegratedGradients(Explainer explainer, IntegratedGradients method, ExplanationTarget target, long opset)
    {
        var baseline = method.Baseline switch
        {
            IntegrationBaseline.Black => explainer.BlackLevel.ToArray(),
            IntegrationBaseline.Zero => new float[explainer.Channels],
            _ => throw new GlassboxException($"integrated-gradients with the {method.Baseline.ToString().ToLowerInvariant()} baseline builds it on the host; export it with baseline=black or baseline=zero."),
        };
        int steps = method.Steps;
        string difference = "";
        return ExportBatched(explainer, method, target, opset, steps,
            (g, input) =>
            {
                string level = g.Floats(baseline, [1, explainer.Channels, 1, 1]);
                difference = g.Op("Sub", input, level);
                string alphas = g.Floats([.. Enumerable.Range(0, steps).Select(s => (s + 0.5f) / steps)], [steps, 1, 1, 1]);
                return g.Op("Add", level, g.Op("Mul", alphas, difference));
            },
            (g, gradients) => g.Op("ReduceSum", [g.Op("Mul", Reduce(g, "ReduceMean", gradients, [0], keepDims: true), difference), g.Int64s(1)], OnnxAttribute.Int("keepdims", 0)),
            signed: true, $"steps={steps}:baseline={method.Baseline.ToString().ToLowerInvariant()}");
    }

    /// <summary>
    /// SmoothGrad with its noisy copies inside the graph: input + σ·z, σ = noise level × (max − min of the input), z
    /// drawn by <see cref="CounterNoise"/> from the int64 input <see cref="SeedInput"/> (shape [1]) exactly as the
    /// library draws it from its seed; the map is the mean over the copies of max_channels |∂score/∂x|.
    /// </summary>
    private static OnnxModel ExportSmoothGrad(Explainer explainer, SmoothGrad method, ExplanationTarget target, long opset)
    {
        int samples = method.Samples;
        return ExportBatched(explainer, method, target, opset, samples,
            (g, input) =>
            {
                g.AddInput(SeedInput, TensorElementType.Int64, [1]);
                string range = g.Op("Sub", g.Op("ReduceMax", [input], OnnxAttribute.Int("keepdims", 0)), g.Op("ReduceMin", [input], OnnxAttribute.Int("keepdims", 0)));
                string sigma = g.Op("Mul", g.Float(method.NoiseLevel), range);
                string noise = CounterNoise.GaussianGraph(g, SeedInput, (long)samples * explainer.InputSize);
                string shaped = g.Op("Reshape", noise, g.Int64s(samples, explainer.Channels, explainer.Height, explainer.Width));
                return g.Op("Add", input, g.Op("Mul", sigma, shaped));
            },
            (g, gradients) => Reduce(g, "ReduceMean", Reduce(g, "ReduceMax", g.Op("Abs", gradients), [1], keepDims: false), [0], keepDims: true),
            signed: false, $"samples={samples}:noise={method.NoiseLevel.ToString(CultureInfo.InvariantCulture)}:seed_input={SeedInput}:library_seed={method.Seed}");
    }

    /// <summary>The int64 input ([1]) a SmoothGrad export draws its noise from; the library's seed gives the library's map.</summary>
    public const string SeedInput = "noise_seed";

    /// <summary>
    /// A method that averages over a batch of inputs made from the one input: the model runs on the input and the
    /// <paramref name="rows"/> rows that <paramref name="makeRows"/> builds from it ([rows, channels, height, width]) as
    /// one batch, every row seeded with the class of the input itself (row 0), and <paramref name="combine"/> turns the
    /// rows' input gradients into the map [1, height, width]. Takes one input.
    /// </summary>
    private static OnnxModel ExportBatched(Explainer explainer, AttributionMethod method, ExplanationTarget target, long opset, int rows,
                                           Func<OnnxGraphBuilder, string, string> makeRows, Func<OnnxGraphBuilder, string, string> combine, bool signed, string settings)
    {
        if (explainer.OutputShape.Rank != 2 || target.Kind != TargetKind.Class)
            throw new GlassboxException($"{method.Name} exports for class scores [batch, classes]; a dense map's box is not built into its batch yet.");
        string input = explainer.Input.Name, output = explainer.Output;
        var readout = TargetNodes.Check(explainer, target);
        var derived = GradientGraph.Derive(explainer.Model, output, [input], seedTopClass: false, opset: opset);
        var b = OnnxGraphBuilder.From(derived.Model, "export/");

        // The model now reads a batch the graph makes from the one input.
        b.RenameTensor(input, "export/batch");
        b.AddInput(input, TensorElementType.Float32, [1, explainer.Channels, explainer.Height, explainer.Width]);
        // Nodes that feed a replaced input are made inside the replacement, which places them before its first reader.
        b.ReplaceInput("export/batch", g => g.Op("Concat", [input, makeRows(g, input)], OnnxAttribute.Int("axis", 0)));
        // Its outputs are the input's (row 0); every row is explained for the input's class.
        var forwardOutputs = explainer.Model.Outputs.Select(o => o.Name).ToList();
        foreach (var name in forwardOutputs)
            b.RenameTensor(name, $"export/batch:{name}");
        string scores = $"export/batch:{output}";
        string explained = "";
        b.ReplaceInput(derived.SeedInput, g =>
        {
            explained = target.Label is int fixedClass ? g.Int64s(fixedClass)
                : g.Op("ArgMax", [g.Op("Slice", scores, g.Int64s(0), g.Int64s(1), g.Int64s(0))], OnnxAttribute.Int("axis", -1), OnnxAttribute.Int("keepdims", 0));
            // The input's seed (its class, less a contrast's), the same for every row of the batch.
            return g.Op("Expand", readout.Seed(g, new Explained(explained, null)), g.Op("Shape", scores));
        });
        b.RemoveOutput(derived.GradientOutputs[input]);
        foreach (var name in forwardOutputs)
        {
            b.RemoveOutput($"export/batch:{name}");
            var info = explainer.Model.Outputs.First(o => o.Name == name);
            b.AddOutput(b.Op("Slice", $"export/batch:{name}", b.Int64s(0), b.Int64s(1), b.Int64s(0)), name, info.ElementType,
                [1, .. info.Shape.Dimensions.Skip(1).Select(d => d >= 0 ? d : (long?)null)]);
        }
        string gradients = b.Op("Slice", derived.GradientOutputs[input], b.Int64s(1), b.Int64s(rows + 1), b.Int64s(0));
        string map = combine(b, gradients);
        var (rawName, normalisedName) = MapOutputs(method.Name);
        long?[] dims = [1, explainer.Height, explainer.Width];
        b.AddOutput(map, rawName, TensorElementType.Float32, dims);
        b.AddOutput(Normalised(b, map, signed, map, explainer.Width * explainer.Height), normalisedName, TensorElementType.Float32, dims);
        b.AddOutput(explained, ClassOutput, TensorElementType.Int64, [1]);

        return Stamp(b, explainer, method.Name, BackwardPass.Gradient, "", target,
            signed ? "± largest |value| of the raw map" : "1st-99th percentile of the raw map", settings);
    }

    /// <summary>
    /// What a page or a host needs to feed an exported explainer and read it without an ONNX parser, as JSON: the
    /// input's name and size, the values of a black and a full pixel per channel (how to normalise), the labels, the
    /// methods and the outputs. explain export writes it beside the .onnx file.
    /// </summary>
    public static string Description(Explainer explainer, OnnxModel exported, IReadOnlyList<string>? labels = null)
    {
        ArgumentNullException.ThrowIfNull(explainer);
        ArgumentNullException.ThrowIfNull(exported);
        return System.Text.Json.JsonSerializer.Serialize(new
        {
            source = Path.GetFileName(explainer.Model.Source),
            source_sha256 = exported.Metadata.GetValueOrDefault("glassbox.source_sha256", ""),
            opset = exported.Opsets.GetValueOrDefault("ai.onnx", 0),
            input = explainer.Input.Name,
            // SmoothGrad's int64 [1] noise seed, when the file takes one.
            seed_input = exported.Inputs.Any(i => i.Name == SeedInput) ? SeedInput : null,
            channels = explainer.Channels,
            width = explainer.Width,
            height = explainer.Height,
            black_level = explainer.BlackLevel.ToArray(),
            white_level = explainer.WhiteLevel.ToArray(),
            labels = labels ?? explainer.Labels,
            methods = exported.Metadata.GetValueOrDefault("glassbox.methods", "").Split(',', StringSplitOptions.RemoveEmptyEntries),
            scores_output = explainer.Output,
            class_output = ClassOutput,
            box_output = exported.Outputs.Any(o => o.Name == BoxOutput) ? BoxOutput : null,
            outputs = exported.Outputs.Select(o => o.Name).ToArray(),
        }, new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }

    private static MethodPlan Plan(AttributionMethod method, Explainer explainer) => method switch
    {
        Cam => new MethodPlan(method.Name, null, AtLayer: true, Signed: false, CamWeights.Classifier),
        GradCam => new MethodPlan(method.Name, BackwardPass.Gradient, AtLayer: true, Signed: false, CamWeights.Mean),
        GradCamPlusPlus => new MethodPlan(method.Name, BackwardPass.Gradient, AtLayer: true, Signed: false, CamWeights.PlusPlus),
        XGradCam => new MethodPlan(method.Name, BackwardPass.Gradient, AtLayer: true, Signed: false, CamWeights.Axiom),
        LayerCam => new MethodPlan(method.Name, BackwardPass.Gradient, AtLayer: true, Signed: false, CamWeights.PerPosition),
        VanillaGradient => new MethodPlan(method.Name, BackwardPass.Gradient, AtLayer: false, Signed: false, null),
        GradientTimesInput => new MethodPlan(method.Name, BackwardPass.Gradient, AtLayer: false, Signed: true, null, TimesInput: true),
        GuidedBackprop or DeconvNet => new MethodPlan(method.Name, ((ModifiedBackwardMethod)method).Pass, AtLayer: false, Signed: false, null),
        Lrp lrp => new MethodPlan(method.Name, BackwardPass.Lrp(lrp.CompositeFor(explainer)), AtLayer: false, Signed: true, null, SumChannels: true),
        AttentionRollout rollout => new MethodPlan(method.Name, null, AtLayer: false, Signed: false, null, Rollout: rollout),
        _ => throw new GlassboxException($"{method.Name} cannot be exported as one graph: " + method switch
        {
            Occlusion or Rise or ScoreCam or AblationCam => "it runs many perturbed inputs chosen on the host.",
            EigenCam => "it needs a singular value decomposition, which ONNX has no op for.",
            GuidedGradCam => "it combines two backward passes; export guided-backprop and grad-cam separately.",
            _ => "it has no graph form.",
        }),
    };

    /// <summary>ReduceMean and ReduceMax take their axes as an attribute up to opset 17 and as an input from 18.</summary>
    private static string Reduce(OnnxGraphBuilder b, string op, string x, long[] axes, bool keepDims) =>
        b.Opset >= 18 ? b.Op(op, [x, b.Int64s(axes)], OnnxAttribute.Int("keepdims", keepDims ? 1 : 0))
            : b.Op(op, [x], OnnxAttribute.Ints("axes", axes), OnnxAttribute.Int("keepdims", keepDims ? 1 : 0));

    private enum CamWeights { Classifier, Mean, PlusPlus, Axiom, PerPosition }

    private sealed record MethodPlan(string Method, BackwardPass? Pass, bool AtLayer, bool Signed, CamWeights? Weights, bool TimesInput = false, bool SumChannels = false,
                                     AttentionRollout? Rollout = null)
    {
        /// <summary>
        /// The raw map, [batch, height, width] at input resolution, and the map at its own resolution with its size
        /// (what the overlay's percentiles are taken over).
        /// </summary>
        public (string Raw, string Own, int Count) Build(OnnxGraphBuilder b, Explainer e, GradientGraph? derived, string explainedClass, int? contrast)
        {
            if (Rollout is { } rollout)
                return RolloutMap(b, e, rollout);
            if (derived is null && Weights != CamWeights.Classifier)
                throw new GlassboxException($"{Method} needs the backward pass the export did not derive.");
            if (AtLayer)
            {
                string a = e.Layer, g = Weights == CamWeights.Classifier ? "" : derived!.GradientOutputs[e.Layer];
                var shape = e.Model.Layers().FirstOrDefault(l => l.Output == e.Layer)?.Shape;
                if (shape is not { Rank: 4 } || shape[2] < 1 || shape[3] < 1)
                {
                    // Sizes that follow the input's: one run at the explainer's size tells them.
                    var sample = e.Run(new float[e.InputSize], Inference.Planning.RunNeeds.ForTaps(a), ExplanationTarget.TopClass).ShapeOf(a);
                    shape = sample.Rank == 3 ? Glassbox.TensorShape.Of(1, sample[0], sample[1], sample[2]) : shape;
                }
                if (shape is not { Rank: 4 } || shape[2] < 1 || shape[3] < 1)
                    throw new GlassboxException($"{Method} needs layer '{a}' to be a [batch, channels, height, width] feature map to be exported; it is {shape?.ToString() ?? "unknown"}.");
                string cam = Weights switch
                {
                    CamWeights.PerPosition => b.Op("ReduceSum", [b.Op("Mul", b.Op("Relu", g), a), b.Int64s(1)], OnnxAttribute.Int("keepdims", 1)),
                    CamWeights.Classifier => b.Op("ReduceSum", [b.Op("Mul", ClassifierWeights(b, e, shape[1], explainedClass, contrast), a), b.Int64s(1)], OnnxAttribute.Int("keepdims", 1)),
                    _ => b.Op("ReduceSum", [b.Op("Mul", ChannelWeights(b, a, g), a), b.Int64s(1)], OnnxAttribute.Int("keepdims", 1)),
                };
                string own = b.Op("Squeeze", b.Op("Relu", cam), b.Int64s(1));
                string sizes = b.Op("Concat", [b.Op("Slice", b.Op("Shape", own), b.Int64s(0), b.Int64s(1)), b.Int64s(1, e.Height, e.Width)], OnnxAttribute.Int("axis", 0));
                // Bilinear with pixel centres aligned and edges clamped: the library's MapMath.Resample.
                string up = b.Op("Resize", [b.Op("Unsqueeze", own, b.Int64s(1)), "", "", sizes],
                    OnnxAttribute.String("mode", "linear"), OnnxAttribute.String("coordinate_transformation_mode", "half_pixel"));
                return (b.Op("Squeeze", up, b.Int64s(1)), own, (int)(shape[2] * shape[3]));
            }
            string gradient = derived!.GradientOutputs[e.Input.Name];
            string map = TimesInput ? b.Op("ReduceSum", [b.Op("Mul", gradient, e.Input.Name), b.Int64s(1)], OnnxAttribute.Int("keepdims", 0))
                : SumChannels ? b.Op("ReduceSum", [gradient, b.Int64s(1)], OnnxAttribute.Int("keepdims", 0))
                : Reduce(b, "ReduceMax", b.Op("Abs", gradient), [1], keepDims: false);
            return (map, map, e.Width * e.Height);
        }

        /// <summary>
        /// Attention rollout as the library computes it: per layer the heads fused (mean, max or min), the weakest
        /// weights of the fused matrix dropped (ties in index order, the first weight kept), the residual added and the
        /// rows renormalised, (A + I)/2; the class token's row (or the mean row) carried through the layers from the last;
        /// the patch grid scaled by its maximum, then upsampled to the input.
        /// </summary>
        private static (string Raw, string Own, int Count) RolloutMap(OnnxGraphBuilder b, Explainer e, AttentionRollout rollout)
        {
            var tensors = AttentionRollout.AttentionTensors(e);
            var shape = e.Model.Layers().First(l => l.Output == tensors[0]).Shape!;
            long heads = shape[1], n = shape[2];
            if (heads < 1 || n < 2)
                throw new GlassboxException($"Attention '{tensors[0]}' has no static [batch, heads, tokens, tokens] shape ({shape}); it cannot be exported.");
            long side = (long)Math.Round(Math.Sqrt(n - 1));
            bool classToken = side * side == n - 1;
            if (!classToken)
            {
                side = (long)Math.Round(Math.Sqrt(n));
                if (side * side != n)
                    throw new GlassboxException($"{n} tokens do not form a square grid of patches; the map cannot be laid out.");
            }
            int discard = (int)(n * n * rollout.DiscardRatio);
            var identity = new float[n * n];
            for (int i = 0; i < n; i++)
                identity[i * n + i] = 1f;
            string eye = b.Floats(identity, [1, n, n]);
            var keepFirst = new float[n * n];
            keepFirst[0] = 1f;
            string first = b.Op("Cast", [b.Floats(keepFirst, [1, n * n])], OnnxAttribute.Int("to", 9));
            var fusedLayers = new List<string>();
            foreach (var tensor in tensors)
            {
                string fused = rollout.Fusion switch
                {
                    HeadFusion.Max => Reduce(b, "ReduceMax", tensor, [1], keepDims: false),
                    HeadFusion.Min => b.Opset >= 18 ? b.Op("ReduceMin", [tensor, b.Int64s(1)], OnnxAttribute.Int("keepdims", 0))
                        : b.Op("ReduceMin", [tensor], OnnxAttribute.Ints("axes", 1), OnnxAttribute.Int("keepdims", 0)),
                    _ => Reduce(b, "ReduceMean", tensor, [1], keepDims: false),
                };
                if (discard > 0)
                {
                    string flat = b.Op("Reshape", fused, b.Int64s(0, n * n));
                    string smallest = b.Op("TopK", [flat, b.Int64s(discard)], 2, OnnxAttribute.Int("largest", 0), OnnxAttribute.Int("sorted", 1))[0];
                    string threshold = b.Op("Gather", [smallest, b.Int64s(discard - 1)], OnnxAttribute.Int("axis", 1));
                    string below = b.Op("Less", flat, threshold), equal = b.Op("Equal", flat, threshold);
                    string belowCount = b.Op("ReduceSum", [b.Op("Cast", [below], OnnxAttribute.Int("to", 1)), b.Int64s(1)], OnnxAttribute.Int("keepdims", 1));
                    string equalToDrop = b.Op("Sub", b.Float(discard), belowCount);
                    string equalRank = b.Op("CumSum", b.Op("Cast", [equal], OnnxAttribute.Int("to", 1)), b.Int64s(1));
                    string dropped = b.Op("Or", below, b.Op("And", equal, b.Op("LessOrEqual", equalRank, equalToDrop)));
                    dropped = b.Op("And", dropped, b.Op("Not", first));
                    fused = b.Op("Reshape", b.Op("Where", dropped, b.Float(0f), flat), b.Int64s(0, n, n));
                }
                string residual = b.Op("Mul", b.Op("Add", fused, eye), b.Float(0.5f));
                string sums = b.Op("ReduceSum", [residual, b.Int64s(2)], OnnxAttribute.Int("keepdims", 1));
                fusedLayers.Add(b.Op("Div", residual, sums));
            }
            var start = new float[n];
            if (classToken)
                start[0] = 1f;
            else
                Array.Fill(start, 1f / n);
            // [batch, 1, n]: the start row for every sample, then through the layers from the last.
            string batch = b.Op("Slice", b.Op("Shape", fusedLayers[0]), b.Int64s(0), b.Int64s(1));
            string row = b.Op("Expand", b.Floats(start, [1, 1, n]), b.Op("Concat", [batch, b.Int64s(1, n)], OnnxAttribute.Int("axis", 0)));
            for (int l = fusedLayers.Count - 1; l >= 0; l--)
                row = b.Op("MatMul", row, fusedLayers[l]);
            string patches = b.Op("Slice", row, b.Int64s(classToken ? 1 : 0), b.Int64s(n), b.Int64s(2));
            string grid = b.Op("Reshape", patches, b.Int64s(0, side, side));
            string max = Reduce(b, "ReduceMax", b.Op("Reshape", grid, b.Int64s(0, side * side)), [1], keepDims: true);
            string scale = b.Op("Where", b.Op("Greater", max, b.Float(0f)), max, b.Float(1f));
            string own = b.Op("Div", grid, b.Op("Unsqueeze", scale, b.Int64s(2)));
            string sizes = b.Op("Concat", [b.Op("Slice", b.Op("Shape", own), b.Int64s(0), b.Int64s(1)), b.Int64s(1, e.Height, e.Width)], OnnxAttribute.Int("axis", 0));
            string up = b.Op("Resize", [b.Op("Unsqueeze", own, b.Int64s(1)), "", "", sizes],
                OnnxAttribute.String("mode", "linear"), OnnxAttribute.String("coordinate_transformation_mode", "half_pixel"));
            return (b.Op("Squeeze", up, b.Int64s(1)), own, (int)(side * side));
        }

        /// <summary>CAM's weights: the explained class's row of the linear classifier after global average pooling, [batch, channels, 1, 1].</summary>
        private static string ClassifierWeights(OnnxGraphBuilder b, Explainer e, long channels, string explainedClass, int? contrast)
        {
            var head = e.Model.LinearHeadAfter(e.Layer, e.Output);
            if (head.Channels != channels)
                throw new GlassboxException($"The linear layer after '{head.Layer}' reads {head.Channels} channels, but the layer has {channels}.");
            string rows = b.Floats(head.Weights, [head.Classes, head.Channels]);
            string weights = b.Op("Gather", [rows, explainedClass], OnnxAttribute.Int("axis", 0));
            if (contrast is int against)
                weights = b.Op("Sub", weights, b.Floats(head.Weights.AsSpan(against * head.Channels, head.Channels).ToArray(), [1, head.Channels]));
            return b.Op("Unsqueeze", weights, b.Int64s(2, 3));
        }

        private string ChannelWeights(OnnxGraphBuilder b, string a, string g) => Weights switch
        {
            CamWeights.Mean => Reduce(b, "ReduceMean", g, [2, 3], keepDims: true),
            // Σ(g·A) / (Σ A + 1e-7)
            CamWeights.Axiom => b.Op("Div", b.Op("ReduceSum", [b.Op("Mul", g, a), b.Int64s(2, 3)], OnnxAttribute.Int("keepdims", 1)),
                b.Op("Add", b.Op("ReduceSum", [a, b.Int64s(2, 3)], OnnxAttribute.Int("keepdims", 1)), b.Float(1e-7f))),
            // Σ α·ReLU(g) with α = g² / (2g² + ΣA·g³), 0 where g or the denominator is 0.
            _ => PlusPlus(b, a, g),
        };

        private static string PlusPlus(OnnxGraphBuilder b, string a, string g)
        {
            string sumA = b.Op("ReduceSum", [a, b.Int64s(2, 3)], OnnxAttribute.Int("keepdims", 1));
            string g2 = b.Op("Mul", g, g), g3 = b.Op("Mul", g2, g);
            string denominator = b.Op("Add", b.Op("Mul", g2, b.Float(2f)), b.Op("Mul", sumA, g3));
            string defined = b.Op("And", b.Op("Not", b.Op("Equal", g, b.Float(0f))), b.Op("Not", b.Op("Equal", denominator, b.Float(0f))));
            string safe = b.Op("Where", defined, denominator, b.Float(1f));
            string alpha = b.Op("Where", defined, b.Op("Div", g2, safe), b.Float(0f));
            return b.Op("ReduceSum", [b.Op("Mul", alpha, b.Op("Relu", g)), b.Int64s(2, 3)], OnnxAttribute.Int("keepdims", 1));
        }
    }
}
