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

    [Test]
    public void The_methods_parse_by_name()
    {
        Assert.That(AttributionMethods.Parse("guided-backprop"), Is.TypeOf<GuidedBackprop>());
        Assert.That(AttributionMethods.Parse("deconvnet"), Is.TypeOf<DeconvNet>());
        Assert.That(AttributionMethods.Parse("guided-grad-cam"), Is.TypeOf<GuidedGradCam>());
    }
}
