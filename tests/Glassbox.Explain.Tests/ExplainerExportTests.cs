using System.Diagnostics;
using System.Text.Json;
using Glassbox.Explain;
using Glassbox.Explain.Methods;
using Glassbox.Inference;
using Glassbox.Visualisation;

namespace Glassbox.Tests;

/// <summary>
/// An explainer exported as one standard ONNX model, run by a plain ONNX Runtime session (no Glassbox explain code):
/// the same class and the same maps as the library, at input resolution, with the overlay's normalisation.
/// </summary>
public class ExplainerExportTests
{
    private static readonly Lazy<ModelPackage> Cnn = new(() => ModelPackage.Load(Path.Combine(RepoPaths.Root, "models", "mnist-cnn")));
    private static readonly Lazy<ModelPackage> Vit = new(() => ModelPackage.Load(Path.Combine(RepoPaths.Root, "models", "mnist-vit")));

    private static IEnumerable<TestCaseData> Exports() =>
    [
        new TestCaseData("mnist-cnn", "cam,grad-cam,grad-cam++,xgrad-cam,layer-cam,gradient,gradient-x-input", null).SetArgDisplayNames("cnn", "gradient methods"),
        new TestCaseData("mnist-cnn", "cam", null).SetArgDisplayNames("cnn", "cam alone"),
        new TestCaseData("mnist-cnn", "smoothgrad:samples=12:seed=5", null).SetArgDisplayNames("cnn", "smoothgrad"),
        new TestCaseData("mnist-vit", "smoothgrad:samples=6:noise=0.2", null).SetArgDisplayNames("vit", "smoothgrad"),
        new TestCaseData("mnist-cnn", "lrp", null).SetArgDisplayNames("cnn", "lrp"),
        new TestCaseData("mnist-cnn", "guided-backprop", null).SetArgDisplayNames("cnn", "guided-backprop"),
        new TestCaseData("mnist-cnn", "integrated-gradients:steps=16", null).SetArgDisplayNames("cnn", "integrated-gradients"),
        new TestCaseData("mnist-vit", "integrated-gradients:steps=8:baseline=zero", null).SetArgDisplayNames("vit", "integrated-gradients"),
        new TestCaseData("mnist-vit", "lrp:composite=epsilon", null).SetArgDisplayNames("vit", "lrp"),
        new TestCaseData("mnist-vit", "gradient-x-input,gradient", null).SetArgDisplayNames("vit", "gradients"),
        new TestCaseData("mnist-vit", "attention-rollout", null).SetArgDisplayNames("vit", "attention-rollout"),
        new TestCaseData("mnist-vit", "attention-rollout:fusion=max:discard=0.8,lrp:composite=epsilon", null).SetArgDisplayNames("vit", "rollout (max) beside lrp"),
        new TestCaseData("mnist-vit", "attention-rollout:fusion=min:discard=0", null).SetArgDisplayNames("vit", "rollout (min, nothing discarded)"),
        // For engines that stop at opset 15 (Unity Sentis up to 2.5): LayerNormalization written out, MaxPool's gradient without a scatter reduction.
        new TestCaseData("mnist-cnn", "cam,grad-cam,grad-cam++,gradient,gradient-x-input", 15L).SetArgDisplayNames("cnn", "gradient methods", "opset 15"),
        new TestCaseData("mnist-cnn", "lrp", 15L).SetArgDisplayNames("cnn", "lrp", "opset 15"),
        new TestCaseData("mnist-cnn", "smoothgrad:samples=6", 15L).SetArgDisplayNames("cnn", "smoothgrad", "opset 15"),
        new TestCaseData("mnist-vit", "attention-rollout,lrp:composite=epsilon", 15L).SetArgDisplayNames("vit", "rollout beside lrp", "opset 15"),
        new TestCaseData("mnist-vit", "integrated-gradients:steps=4", 15L).SetArgDisplayNames("vit", "integrated-gradients", "opset 15"),
        new TestCaseData("mnist-vit", "gradient-x-input", 23L).SetArgDisplayNames("vit", "gradient-x-input", "opset 23"),
    ];

    /// <summary>
    /// The exported raw map equals the library's, upsampled to the input as the library resamples, within 1e-5 of its
    /// scale. Returns the upsampled library map.
    /// </summary>
    private static float[] AssertRawMapIsTheLibrarys(SessionRun run, string method, AttributionMap map, int width, int height, string what, float tolerance = 1e-5f)
    {
        var expected = MapMath.Resample(map.Values, map.Width, map.Height, width, height);
        var raw = run.Output<float>(ExplainerExport.MapOutputs(method).Raw).ToArray();
        float scale = Math.Max(expected.Max(MathF.Abs), 1e-12f);
        float worst = raw.Zip(expected, (a, b) => MathF.Abs(a - b)).Max();
        TestContext.Out.WriteLine($"{what}{method}: max |Δ| {worst:E2} of scale {scale:E2}");
        Assert.That(worst, Is.LessThanOrEqualTo(tolerance * scale), $"{what}{method}: raw map");
        return expected;
    }

    [TestCaseSource(nameof(Exports))]
    public void The_exported_graph_gives_the_librarys_class_and_maps(string model, string methods, long? opset)
    {
        var package = model == "mnist-cnn" ? Cnn.Value : Vit.Value;
        var list = AttributionMethods.ParseList(methods);
        using var explainer = Explainer.Create(package, MnistExplainTests.Options);
        var exported = ExplainerExport.Export(explainer, list, opset: opset);
        Assert.That(exported.Opsets["ai.onnx"], Is.EqualTo(opset ?? 17), "the opset asked for, or the model's own");
        if (opset < 17)
            Assert.That(exported.Nodes.Select(n => n.OpType).Intersect(["LayerNormalization", "Gelu", "GridSample", "Col2Im"]), Is.Empty, "ops newer than the opset");
        var smoothGrad = list.OfType<SmoothGrad>().FirstOrDefault();
        // The model's input alone; SmoothGrad also takes the seed its noise is drawn from.
        Assert.That(exported.Inputs.Select(i => i.Name), Is.EqualTo(smoothGrad is null ? new[] { "input" } : ["input", ExplainerExport.SeedInput]));
        Assert.That(exported.Outputs.Select(o => o.Name), Does.Contain("logits").And.Contain(ExplainerExport.ClassOutput));

        using var session = ModelSession.Open(exported, InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 2 });
        using var run = session.CreateRun(dimensions: new Dictionary<string, long> { ["batch"] = 1 });
        if (smoothGrad is not null)
            run.Input<long>(ExplainerExport.SeedInput)[0] = smoothGrad.Seed;
        for (int digit = 0; digit < 6; digit++)
        {
            var input = MnistExplainTests.Digit(package, digit);
            var library = explainer.Explain(input, list);
            input.CopyTo(run.Input<float>("input"));
            run.Execute();
            Assert.That(run.Output<long>(ExplainerExport.ClassOutput)[0], Is.EqualTo(library.TargetClass), $"digit {digit}");
            for (int m = 0; m < list.Count; m++)
            {
                var map = library.Maps[m];
                // Below opset 17 the ViT's LayerNormalization is written out with older ops: the same formula, sums in
                // another order. Gradients and rollout stay within 1e-5; ε-LRP divides by pre-activations near zero and
                // amplifies that last-bit difference (measured: up to 4.4e-5 of the map's scale), so it is held to 1e-4.
                float tolerance = opset < 17 && model == "mnist-vit" && list[m] is Lrp ? 1e-4f : 1e-5f;
                var expected = AssertRawMapIsTheLibrarys(run, list[m].Name, map, 28, 28, $"digit {digit}, ", tolerance);
                string normalisedName = ExplainerExport.MapOutputs(list[m].Name).Normalised;

                // The overlay's normalisation: its range over the map at its own resolution, then the upsampled value in it.
                var (low, high) = HeatmapOverlay.Range(map.Values, HeatmapOverlayOptions.Default with { Symmetric = map.Signed });
                var normalised = run.Output<float>(normalisedName).ToArray();
                for (int i = 0; i < normalised.Length; i++)
                {
                    float t = high > low ? Math.Clamp((expected[i] - low) / (high - low), 0f, 1f) : 0f;
                    Assert.That(normalised[i], Is.EqualTo(t).Within(1e-4f), $"digit {digit}, {list[m].Name}: normalised at {i}");
                }
            }
        }
    }

    /// <summary>
    /// The same exported files in onnxruntime-node (tests/node/run-exported-explainer.mjs), a runtime in another
    /// language that has never seen Glassbox: every output within 1e-5 of ONNX Runtime's in .NET.
    /// </summary>
    [TestCase("mnist-cnn", "grad-cam,layer-cam,gradient-x-input")]
    [TestCase("mnist-cnn", "lrp")]
    [TestCase("mnist-vit", "lrp:composite=epsilon")]
    [TestCase("mnist-cnn", "integrated-gradients:steps=8")]
    [TestCase("mnist-cnn", "smoothgrad:samples=8")]
    [TestCase("mnist-vit", "lrp:composite=epsilon", 15L)]
    [TestCase("mnist-cnn", "grad-cam,gradient", 15L)]
    public void Onnxruntime_node_runs_the_exported_file_to_the_same_outputs(string model, string methods, long? opset = null)
    {
        var package = model == "mnist-cnn" ? Cnn.Value : Vit.Value;
        using var explainer = Explainer.Create(package, MnistExplainTests.Options);
        var exported = ExplainerExport.Export(explainer, AttributionMethods.ParseList(methods), opset: opset);
        string folder = Directory.CreateTempSubdirectory("glassbox-export-").FullName;
        try
        {
            string file = Path.Combine(folder, "explainer.onnx"), inputFile = Path.Combine(folder, "input.bin"), outFile = Path.Combine(folder, "out.json");
            File.WriteAllBytes(file, exported.ToBytes());
            var input = MnistExplainTests.Digit(package, 2);
            var bytes = new byte[input.Length * 4];
            Buffer.BlockCopy(input, 0, bytes, 0, bytes.Length);
            File.WriteAllBytes(inputFile, bytes);

            var start = new ProcessStartInfo("node", [Path.Combine(RepoPaths.Root, "tests", "node", "run-exported-explainer.mjs"), file, inputFile, "1,1,28,28", outFile])
            {
                RedirectStandardOutput = true, RedirectStandardError = true,
            };
            using var node = Process.Start(start)!;
            string errors = node.StandardError.ReadToEnd();
            node.StandardOutput.ReadToEnd();
            Assert.That(node.WaitForExit(TimeSpan.FromMinutes(2)), Is.True, "node finished");
            Assert.That(node.ExitCode, Is.Zero, errors);

            using var session = ModelSession.Open(exported, InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 1 });
            using var run = session.CreateRun(dimensions: new Dictionary<string, long> { ["batch"] = 1 });
            input.CopyTo(run.Input<float>("input"));
            if (exported.Inputs.Length > 1)
                run.Input<long>(ExplainerExport.SeedInput)[0] = 0;
            run.Execute();
            using var json = JsonDocument.Parse(File.ReadAllText(outFile));
            foreach (var output in exported.Outputs)
            {
                var theirs = json.RootElement.GetProperty(output.Name).GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToArray();
                double[] ours = output.ElementType == TensorElementType.Int64
                    ? [.. run.Output<long>(output.Name).ToArray().Select(v => (double)v)]
                    : [.. run.Output<float>(output.Name).ToArray().Select(v => (double)v)];
                Assert.That(theirs, Has.Length.EqualTo(ours.Length), output.Name);
                double scale = Math.Max(ours.Max(Math.Abs), 1e-12);
                Assert.That(theirs.Zip(ours, (a, b) => Math.Abs(a - b)).Max(), Is.LessThanOrEqualTo(1e-5 * scale), $"{model} {methods}: {output.Name}");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// A detection head [batch, boxes, 4 + classes] and a sequence [batch, steps, classes]: the K-th best box (by its
    /// highest score, ties in row order) or one step is explained inside the graph as the library explains it, and the
    /// detection's row comes out beside its class.
    /// </summary>
    [TestCase("detection:1")]
    [TestCase("detection:2")]
    [TestCase("detection:3:2")]
    [TestCase("step:2")]
    [TestCase("step:1:4")]
    public void Detection_and_step_targets_export_as_the_library_explains_them(string targetText)
    {
        bool detection = targetText.StartsWith("detection", StringComparison.Ordinal);
        int rows = 5, columns = detection ? 4 + 3 : 6;
        const int c = 1, h = 4, w = 3;
        var weights = TinyModels.Random(rows * columns * c * h * w, seed: 41);
        using var explainer = Explainer.Create(TinyModels.LinearRows(weights, rows, columns, c, h, w),
            ExplainerOptions.Default with { Inference = InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 1 } });
        var target = ExplanationTarget.Parse(targetText);
        AttributionMethod[] methods = [new GradientTimesInput(), new VanillaGradient()];
        var exported = ExplainerExport.Export(explainer, methods, target);
        Assert.That(exported.Outputs.Any(o => o.Name == ExplainerExport.BoxOutput), Is.EqualTo(detection));

        using var session = ModelSession.Open(exported, InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 1 });
        using var run = session.CreateRun(dimensions: new Dictionary<string, long> { ["batch"] = 1 });
        for (int sample = 0; sample < 4; sample++)
        {
            var input = TinyModels.Random(c * h * w, seed: 50 + sample);
            var library = explainer.Explain(input, methods, target);
            input.CopyTo(run.Input<float>("input"));
            run.Execute();
            Assert.That(run.Output<long>(ExplainerExport.ClassOutput)[0], Is.EqualTo(library.TargetClass), $"sample {sample}: class");
            if (detection)
            {
                // The library's choice of row: rows ranked by their best score, stable.
                var outputs = run.Output<float>("rows").ToArray();
                var ranked = Enumerable.Range(0, rows).OrderByDescending(r => Enumerable.Range(4, columns - 4).Max(k => outputs[r * columns + k])).ToArray();
                Assert.That(run.Output<long>(ExplainerExport.BoxOutput)[0], Is.EqualTo(ranked[target.Rank]), $"sample {sample}: row");
            }
            for (int m = 0; m < methods.Length; m++)
                AssertRawMapIsTheLibrarys(run, methods[m].Name, library.Maps[m], w, h, $"{targetText} sample {sample}, ");
        }
    }

    [Test]
    public void A_detection_or_step_that_does_not_exist_is_refused_before_anything_is_built()
    {
        using var explainer = Explainer.Create(TinyModels.LinearRows(TinyModels.Random(5 * 7 * 12, seed: 1), 5, 7, 1, 4, 3), ExplainerOptions.Default);
        Assert.That(() => ExplainerExport.Export(explainer, [new VanillaGradient()], ExplanationTarget.Detection(6)),
            Throws.TypeOf<GlassboxException>().With.Message.EqualTo("Detection 6 does not exist: the head has 5 boxes."));
        Assert.That(() => ExplainerExport.Export(explainer, [new VanillaGradient()], ExplanationTarget.Step(5)),
            Throws.TypeOf<GlassboxException>().With.Message.EqualTo("Step 5 does not exist: output 'rows' has 5 steps, 0 to 4."));
        Assert.That(() => ExplainerExport.Export(explainer, [new VanillaGradient()]),
            Throws.TypeOf<GlassboxException>().With.Message.Contains("'top' on output 'rows'"));
    }

    /// <summary>ImageNet-sized models (random weights, 224²): the exported Grad-CAM and input-gradient maps are the library's.</summary>
    [Category(TestCategories.Slow)]
    [TestCase("resnet18", null)]
    [TestCase("mobilenetv2", null)]
    [TestCase("resnet18", 15L)]
    public void Exported_maps_on_imagenet_sized_models_are_the_librarys(string name, long? opset)
    {
        var model = Glassbox.Onnx.OnnxModel.Load(Path.Combine(RepoPaths.Root, "artifacts", "models", $"{name}.onnx"));
        using var explainer = Explainer.Create(model, ExplainerOptions.Default with { Inference = InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 2 } });
        var random = new Random(5);
        var input = Enumerable.Range(0, 3 * 224 * 224).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        foreach (var methods in new[] { "grad-cam,layer-cam", "gradient,gradient-x-input" })
        {
            var list = AttributionMethods.ParseList(methods);
            var exported = ExplainerExport.Export(explainer, list, opset: opset);
            using var session = ModelSession.Open(exported, InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 2 });
            using var run = session.CreateRun(dimensions: new Dictionary<string, long> { ["batch"] = 1 });
            input.CopyTo(run.Input<float>("input"));
            run.Execute();
            var library = explainer.Explain(input, list);
            Assert.That(run.Output<long>(ExplainerExport.ClassOutput)[0], Is.EqualTo(library.TargetClass));
            for (int m = 0; m < list.Count; m++)
                AssertRawMapIsTheLibrarys(run, list[m].Name, library.Maps[m], 224, 224, $"{name} ");
        }
    }

    /// <summary>
    /// A segmentation model (LR-ASPP MobileNetV3 from the corpus of models from the wild): a box of its dense map is
    /// explained, its class the largest sum over the box (or a fixed one), and the exported maps are the library's.
    /// </summary>
    [Category(TestCategories.Slow)]
    [TestCase("box:20,20,100,70")]
    [TestCase("box:0,40,64,96:3")]
    public void A_box_of_a_dense_map_exports_as_the_library_explains_it(string targetText)
    {
        var model = Glassbox.Onnx.OnnxModel.Load(Path.Combine(RepoPaths.Root, "artifacts", "corpus", "lraspp-mobilenetv3", "model.onnx"));
        using var explainer = Explainer.Create(model, ExplainerOptions.Default with
        {
            InputWidth = 128, InputHeight = 96,
            Inference = InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 2 },
        });
        var target = ExplanationTarget.Parse(targetText);
        var methods = AttributionMethods.ParseList("grad-cam,gradient-x-input");
        var exported = ExplainerExport.Export(explainer, methods, target);
        using var session = ModelSession.Open(exported, InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 2 });
        using var run = session.CreateRun(dimensions: new Dictionary<string, long> { ["batch"] = 1 });
        var random = new Random(9);
        var input = Enumerable.Range(0, 3 * 96 * 128).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        input.CopyTo(run.Input<float>(explainer.Input.Name));
        run.Execute();
        var library = explainer.Explain(input, methods, target);
        Assert.That(run.Output<long>(ExplainerExport.ClassOutput)[0], Is.EqualTo(library.TargetClass));
        for (int m = 0; m < methods.Count; m++)
            AssertRawMapIsTheLibrarys(run, methods[m].Name, library.Maps[m], 128, 96, $"{targetText}: ");
    }

    [Test]
    public void A_fixed_class_is_explained_whatever_the_prediction()
    {
        using var explainer = Explainer.Create(Cnn.Value, MnistExplainTests.Options);
        var methods = AttributionMethods.ParseList("grad-cam,gradient-x-input");
        var exported = ExplainerExport.Export(explainer, methods, ExplanationTarget.Class(3));
        using var session = ModelSession.Open(exported, InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 2 });
        using var run = session.CreateRun(dimensions: new Dictionary<string, long> { ["batch"] = 1 });
        var input = MnistExplainTests.Digit(Cnn.Value, 0); // a 7
        input.CopyTo(run.Input<float>("input"));
        run.Execute();
        var library = explainer.Explain(input, methods, ExplanationTarget.Class(3));
        Assert.That(run.Output<long>(ExplainerExport.ClassOutput)[0], Is.EqualTo(3));
        var expected = MapMath.Resample(library.Maps[0].Values, library.Maps[0].Width, library.Maps[0].Height, 28, 28);
        Assert.That(run.Output<float>(ExplainerExport.MapOutputs("grad-cam").Raw).ToArray(), Is.EqualTo(expected).Within(1e-5f * Math.Max(1e-12f, expected.Max())));
        Assert.That(run.Output<float>(ExplainerExport.MapOutputs("gradient-x-input").Raw).ToArray(), Is.EqualTo(library.Maps[1].Values).Within(1e-5f * library.Maps[1].Values.Max(MathF.Abs)));
    }

    [Test]
    public void The_exported_model_records_where_it_came_from()
    {
        using var explainer = Explainer.Create(Cnn.Value, MnistExplainTests.Options);
        var exported = ExplainerExport.Export(explainer, [new GradCam()]);
        var metadata = exported.Metadata;
        Assert.That(metadata["glassbox.source_sha256"], Is.EqualTo(Sha256Hex.Of(Cnn.Value.Model.ToBytes())));
        Assert.That(metadata["glassbox.methods"], Is.EqualTo("grad-cam"));
        Assert.That(metadata["glassbox.layer"], Is.EqualTo("relu4"));
        Assert.That(metadata["glassbox.target"], Is.EqualTo("top"));
        Assert.That(metadata, Does.ContainKey("glassbox.version"));
    }

    [Test]
    public void What_cannot_be_one_graph_is_refused_with_the_reason()
    {
        using var explainer = Explainer.Create(Cnn.Value, MnistExplainTests.Options);
        Assert.That(() => ExplainerExport.Export(explainer, [new Rise()]), Throws.TypeOf<GlassboxException>().With.Message.Contains("many perturbed inputs"));
        Assert.That(() => ExplainerExport.Export(explainer, [new IntegratedGradients(), new GradCam()]), Throws.TypeOf<GlassboxException>().With.Message.Contains("a file of its own"));
        Assert.That(() => ExplainerExport.Export(explainer, [new IntegratedGradients(baseline: IntegrationBaseline.Blurred)]), Throws.TypeOf<GlassboxException>().With.Message.Contains("baseline=black"));
        Assert.That(() => ExplainerExport.Export(explainer, [new GradCam(), new Lrp()]), Throws.TypeOf<GlassboxException>().With.Message.Contains("separate files"));
        Assert.That(() => ExplainerExport.Export(explainer, [new GradCam()], ExplanationTarget.Versus(3, 12)), Throws.TypeOf<GlassboxException>().With.Message.EqualTo("Class 12 is out of range; the model has 10 classes."));
        Assert.That(() => ExplainerExport.Export(explainer, [new GradCam()], ExplanationTarget.Detection(1)), Throws.TypeOf<GlassboxException>().With.Message.Contains("'detection:1' on output 'logits'"));
    }

    /// <summary>A contrast, 3 versus 5: the score explained is the difference, +1 on 3 and −1 on 5 in the seed (CAM: the difference of the rows).</summary>
    [TestCase("cam,grad-cam,gradient-x-input")]
    [TestCase("integrated-gradients:steps=8")]
    public void A_contrast_between_two_classes_exports_as_the_library_explains_it(string methods)
    {
        using var explainer = Explainer.Create(Cnn.Value, MnistExplainTests.Options);
        var list = AttributionMethods.ParseList(methods);
        var target = ExplanationTarget.Versus(3, 5);
        var exported = ExplainerExport.Export(explainer, list, target);
        Assert.That(exported.Metadata["glassbox.target"], Is.EqualTo("3-5"));
        using var session = ModelSession.Open(exported, InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 2 });
        using var run = session.CreateRun(dimensions: new Dictionary<string, long> { ["batch"] = 1 });
        foreach (int digit in new[] { 3, 5, 8 })
        {
            var input = MnistExplainTests.Digit(Cnn.Value, digit);
            var library = explainer.Explain(input, list, target);
            input.CopyTo(run.Input<float>("input"));
            run.Execute();
            Assert.That(run.Output<long>(ExplainerExport.ClassOutput)[0], Is.EqualTo(3));
            for (int m = 0; m < list.Count; m++)
                AssertRawMapIsTheLibrarys(run, list[m].Name, library.Maps[m], 28, 28, $"digit {digit}, 3 versus 5, ");
        }
    }
}
