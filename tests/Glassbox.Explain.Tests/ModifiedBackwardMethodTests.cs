using Glassbox.Explain;
using Glassbox.Explain.Methods;
using Glassbox.Inference;
using Glassbox.Inference.Planning;
using Glassbox.Onnx.Gradients;

namespace Glassbox.Tests;

/// <summary>Guided Backprop, DeconvNet and Guided Grad-CAM on the shipped CNN, in the explainer.</summary>
public class ModifiedBackwardMethodTests
{
    private static readonly Lazy<ModelPackage> Cnn = new(() => ModelPackage.Load(Path.Combine(RepoPaths.Root, "models", "mnist-cnn")));

    private static float MaxAbs(float[] values, int pixel, int channels, int pixels) =>
        Enumerable.Range(0, channels).Max(c => MathF.Abs(values[c * pixels + pixel]));

    [Test]
    public void Each_map_is_its_pass_at_the_input_and_guided_grad_cam_is_that_times_grad_cam()
    {
        using var explainer = Explainer.Create(Cnn.Value, MnistExplainTests.Options);
        for (int digit = 0; digit < 3; digit++)
        {
            var input = MnistExplainTests.Digit(Cnn.Value, digit);
            var result = explainer.Explain(input, [new GuidedBackprop(), new DeconvNet(), new GuidedGradCam(), new GradCam()]);
            var (guided, deconv, guidedCam, gradCam) = (result.Maps[0], result.Maps[1], result.Maps[2], result.Maps[3]);
            Assert.That(guided.TargetClass, Is.EqualTo(result.PredictedClass));

            int pixels = explainer.Width * explainer.Height;
            foreach (var (map, pass) in new[] { (guided, BackwardPass.GuidedBackprop), (deconv, BackwardPass.DeconvNet) })
            {
                var run = explainer.Run(input, RunNeeds.ForGradients(explainer.Input.Name) with { Backward = pass }, ExplanationTarget.Class(result.PredictedClass));
                var signal = run.Gradient(explainer.Input.Name);
                Assert.That(map.Values, Is.EqualTo(Enumerable.Range(0, pixels).Select(p => MaxAbs(signal, p, explainer.Channels, pixels)).ToArray()), $"{pass} at digit {digit}");
            }
            Assert.That(guided.Values, Is.Not.EqualTo(deconv.Values), "the two passes differ on a real digit");

            var upsampled = MapMath.Resample(gradCam.Values, gradCam.Width, gradCam.Height, explainer.Width, explainer.Height);
            Assert.That(guidedCam.Values, Is.EqualTo(guided.Values.Select((v, i) => v * upsampled[i]).ToArray()).Within(1e-6f));
            Assert.That(guidedCam.Layer, Is.EqualTo(gradCam.Layer));
        }
    }

    [Test]
    public void The_modified_pass_runs_beside_the_shared_run_without_disturbing_it()
    {
        using var explainer = Explainer.Create(Cnn.Value, MnistExplainTests.Options);
        var input = MnistExplainTests.Digit(Cnn.Value, 4);
        var alone = explainer.Explain(input, [new VanillaGradient(), new GradCam()]);
        var together = explainer.Explain(input, [new VanillaGradient(), new GuidedBackprop(), new GradCam()]);
        Assert.That(together.Maps[0].Values, Is.EqualTo(alone.Maps[0].Values));
        Assert.That(together.Maps[2].Values, Is.EqualTo(alone.Maps[1].Values));
        Assert.That(together.Maps[1].RunTime, Is.GreaterThan(TimeSpan.Zero), "its own run is counted as run time");
    }

    /// <summary>
    /// Adebayo et al. (2018) found Guided Backprop's maps nearly unchanged when the top layers are re-initialised:
    /// it shows edges of the input more than what the classifier learned. Here, with the classifier layer random,
    /// its maps still rank pixels like the trained model's (mean Spearman above the check's 0.5), where the
    /// gradient's fall below it at once (the gradient's own test).
    /// </summary>
    [Test]
    public void Guided_backprop_hardly_changes_when_the_classifier_is_randomised()
    {
        using var explainer = Explainer.Create(Cnn.Value, MnistExplainTests.Options);
        var inputs = Enumerable.Range(0, 30).Select(i => MnistExplainTests.Digit(Cnn.Value, i)).ToList();
        foreach (var method in new AttributionMethod[] { new GuidedBackprop(), new DeconvNet(), new GuidedGradCam(), new VanillaGradient() })
        {
            var check = Glassbox.Explain.Metrics.SanityCheck.CascadingRandomisation(explainer, method, inputs, seed: 1);
            TestContext.Out.WriteLine($"{method.Name}: {string.Join(", ", check.Stages.Select(s => $"{s.Layer} {s.Spearman:0.00}"))}");
            if (method is GuidedBackprop)
                Assert.That(check.Stages[0].Spearman, Is.GreaterThan(0.5), $"guided backprop with '{check.Stages[0].Layer}' random");
            if (method is VanillaGradient)
                Assert.That(check.Stages[0].Spearman, Is.LessThan(0.5), "the gradient with the classifier random");
        }
    }

    /// <summary>
    /// Conservation on the shipped CNN: with its biases set to zero, the relevance LRP-ε hands back to the
    /// pixels sums to the explained logit (within 1e-4 relative); with the trained biases, the leak is reported.
    /// </summary>
    /// <summary>
    /// The conserving composites hand the logit back whole when the biases are zero (ε, z⁺, Flat, γ and z^B share each
    /// unit's relevance by the very terms its denominator sums); αβ with α − β = 1 creates relevance where a unit has no
    /// negative contribution (its β share is empty while α doubles the rest), so it is measured, not held to it.
    /// </summary>
    [TestCase("epsilon", true)]
    [TestCase("epsilon-plus", true)]
    [TestCase("epsilon-plus-flat", true)]
    [TestCase("epsilon-gamma-box", true)]
    [TestCase("epsilon-alpha2-beta1", false)]
    [TestCase("epsilon-alpha2-beta1-flat", false)]
    public void Lrp_on_the_shipped_cnn_conserves_the_logit_when_the_biases_are_zero(string composite, bool conserves)
    {
        var trained = Cnn.Value;
        var proto = trained.Model.CopyForEditing();
        var biases = proto.Graph.Node.Where(n => n.OpType is "Conv" or "Gemm" && n.Input.Count > 2).Select(n => n.Input[2]).ToHashSet();
        Assert.That(biases, Has.Count.EqualTo(5), "four convolutions and the classifier");
        // The copy shares its initializers with the trained model: each bias is replaced, not changed.
        for (int i = 0; i < proto.Graph.Initializer.Count; i++)
        {
            if (!biases.Contains(proto.Graph.Initializer[i].Name))
                continue;
            var zero = proto.Graph.Initializer[i].Clone();
            zero.RawData = Google.Protobuf.ByteString.CopyFrom(new byte[(int)zero.Dims.Aggregate(1L, (a, b) => a * b) * sizeof(float)]);
            zero.FloatData.Clear();
            proto.Graph.Initializer[i] = zero;
        }
        var unbiased = Glassbox.Onnx.OnnxModel.FromProto(proto, "mnist-cnn without biases");

        foreach (var (model, zeroBiases) in new[] { (unbiased, true), (trained.Model, false) })
        {
            using var explainer = Explainer.Create(model, MnistExplainTests.Options with { BlackLevel = [-0.1307f / 0.3081f], WhiteLevel = [(1 - 0.1307f) / 0.3081f] }, trained.Labels);
            var lrp = new Lrp(composite);
            double worstLeak = 0;
            for (int digit = 0; digit < 10; digit++)
            {
                var map = explainer.Explain(MnistExplainTests.Digit(trained, digit), [lrp]).Maps[0];
                Assert.That(map.Signed, Is.True);
                Assert.That(map.Details["composite"], Is.EqualTo(composite));
                double sum = map.Values.Sum(v => (double)v);
                Assert.That(double.Parse(map.Details["relevance_sum"], System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(sum).Within(1e-3 * Math.Abs(sum) + 1e-6));
                double leak = Math.Abs(map.TargetScore - sum) / Math.Abs(map.TargetScore);
                worstLeak = Math.Max(worstLeak, leak);
                if (zeroBiases && conserves)
                    Assert.That(leak, Is.LessThan(1e-4), $"digit {digit}: relevance {sum} for logit {map.TargetScore}");
            }
            TestContext.Out.WriteLine($"{composite} on {model.Source}: largest leak {worstLeak:P3} of the logit over 10 digits");
        }
    }

    /// <summary>
    /// A frame explained by LRP alone makes one run: the relevance graph finds the top class itself, so no forward
    /// run comes first. The map is the one LRP makes beside Grad-CAM, where the shared run serves Grad-CAM.
    /// </summary>
    [Test]
    public void Lrp_alone_is_one_run_and_gives_the_map_it_gives_beside_other_methods()
    {
        var trained = Cnn.Value;
        using var explainer = Explainer.Create(trained, MnistExplainTests.Options);
        var input = MnistExplainTests.Digit(trained, 4);
        var alone = explainer.Explain(input, [new Lrp()]);
        var beside = explainer.Explain(input, [new GradCam(), new Lrp()]);
        Assert.That(alone.Maps[0].RunTime, Is.EqualTo(TimeSpan.Zero), "no run of its own after the shared one");
        Assert.That(beside.Maps[1].RunTime, Is.GreaterThan(TimeSpan.Zero));
        Assert.That(alone.TargetClass, Is.EqualTo(beside.TargetClass));
        Assert.That(alone.Probabilities[0], Is.EqualTo(beside.Probabilities[0]));
        Assert.That(alone.Maps[0].Values, Is.EqualTo(beside.Maps[1].Values));
    }

    /// <summary>A per-layer override by name: EpsilonPlus with Flat on the first convolution is EpsilonPlusFlat.</summary>
    [Test]
    public void A_rule_named_for_one_layer_overrides_the_composite_there()
    {
        var trained = Cnn.Value;
        using var explainer = Explainer.Create(trained, MnistExplainTests.Options);
        var input = MnistExplainTests.Digit(trained, 3);
        var overridden = explainer.Explain(input, [AttributionMethods.Parse("lrp:composite=epsilon-plus:rule.conv1=flat")]).Maps[0];
        var preset = explainer.Explain(input, [AttributionMethods.Parse("lrp:composite=epsilon-plus-flat")]).Maps[0];
        var plain = explainer.Explain(input, [AttributionMethods.Parse("lrp:composite=epsilon-plus")]).Maps[0];
        Assert.That(overridden.Values, Is.EqualTo(preset.Values));
        Assert.That(plain.Values.Zip(preset.Values).Max(p => MathF.Abs(p.First - p.Second)), Is.GreaterThan(1e-3f), "the override changed something");
    }

    /// <summary>
    /// The model doctor judges a method by the pass it runs: a log-softmax inside the CNN has a gradient but no LRP
    /// rule, so inspect says gradient works and lrp does not; the shipped ViT's attention, softmax, layer
    /// normalisation and written-out GELU take the AttnLRP rules, so lrp works there.
    /// </summary>
    [Test]
    public void The_model_doctor_checks_a_methods_own_backward_pass()
    {
        var proto = Cnn.Value.Model.CopyForEditing();
        proto.Graph.Node.First(n => n.Name == "relu4").OpType = "LogSoftmax";
        var verdicts = ModelDoctor.Examine(Glassbox.Onnx.OnnxModel.FromProto(proto, "mnist-cnn with a log-softmax")).Methods.ToDictionary(v => v.Method);
        Assert.That(verdicts["gradient"].Works, Is.True);
        Assert.That(verdicts["guided-backprop"].Works, Is.True, "Guided Backprop changes only ReLU's rule");
        Assert.That(verdicts["lrp"].Works, Is.False);
        Assert.That(verdicts["lrp"].Reason, Does.StartWith("No lrp-epsilon-plus-flat rule for LogSoftmax"));

        var vit = ModelPackage.Load(Path.Combine(RepoPaths.Root, "models", "mnist-vit"));
        Assert.That(ModelDoctor.Examine(vit.Model).Methods.Single(v => v.Method == "lrp").Works, Is.True);
    }

    [Test]
    public void The_methods_parse_by_name()
    {
        Assert.That(AttributionMethods.Parse("guided-backprop"), Is.TypeOf<GuidedBackprop>());
        Assert.That(AttributionMethods.Parse("deconvnet"), Is.TypeOf<DeconvNet>());
        Assert.That(AttributionMethods.Parse("guided-grad-cam"), Is.TypeOf<GuidedGradCam>());
        Assert.That(((Lrp)AttributionMethods.Parse("lrp:epsilon=0.25")).Epsilon, Is.EqualTo(0.25f));
        Assert.That(((Lrp)AttributionMethods.Parse("lrp")).CompositeName, Is.EqualTo("epsilon-plus-flat"));
        Assert.That(((Lrp)AttributionMethods.Parse("lrp:composite=epsilon-gamma-box")).CompositeName, Is.EqualTo("epsilon-gamma-box"));
        Assert.That(() => AttributionMethods.Parse("lrp:composite=plus"), Throws.TypeOf<GlassboxException>().With.Message.Contains("epsilon-alpha2-beta1-flat"));
        Assert.That(() => AttributionMethods.Parse("lrp:rule.conv1=beta"), Throws.TypeOf<GlassboxException>().With.Message.Contains("rule.conv1: Unknown LRP rule 'beta'"));
        Assert.That(() => AttributionMethods.Parse("lrp:epsilon=0"), Throws.TypeOf<GlassboxException>().With.Message.Contains("LRP epsilon is 0"));
    }
}
