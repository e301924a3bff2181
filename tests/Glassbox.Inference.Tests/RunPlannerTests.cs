using Glassbox.Inference;
using Glassbox.Inference.Planning;
using Glassbox.Onnx;

namespace Glassbox.Tests;

public class RunPlannerTests
{
    private static readonly InferenceOptions CpuOnly = InferenceOptions.Default with { Providers = [ExecutionProvider.Cpu], IntraOpThreads = 1 };

    private TinyCnnFixture _fixture = null!;

    [OneTimeSetUp]
    public void LoadFixture() => _fixture = TinyCnnFixture.Load();

    private RunPlanner Planner() => new(OnnxModel.Load(_fixture.ModelPath), "logits", CpuOnly);

    [Test]
    public void Equal_needs_share_one_session_whatever_order_they_were_merged_in()
    {
        using var planner = Planner();
        var a = planner.For(RunNeeds.ForTaps(_fixture.TapName).Merge(RunNeeds.ForGradients(_fixture.TapName, "input")));
        var b = planner.For(RunNeeds.ForGradients("input").Merge(RunNeeds.ForTaps(_fixture.TapName)).Merge(RunNeeds.ForGradients(_fixture.TapName)));
        Assert.That(b, Is.SameAs(a));
        Assert.That(planner.SessionCount, Is.EqualTo(1));
        planner.For(RunNeeds.None);
        Assert.That(planner.SessionCount, Is.EqualTo(2));
    }

    [Test]
    public void A_failed_build_is_not_kept_so_a_corrected_request_works()
    {
        using var planner = Planner();
        var e = Assert.Throws<OnnxModelException>(() => planner.For(RunNeeds.ForTaps("relu9")))!;
        Assert.That(e.Message, Does.Contain("has no tensor named 'relu9'"));
        Assert.That(planner.SessionCount, Is.EqualTo(0));
        Assert.That(planner.For(RunNeeds.ForTaps(_fixture.TapName)).Session.Outputs.Select(o => o.Name), Does.Contain(_fixture.TapName));
    }

    [Test]
    public void A_fixed_batch_model_takes_batches_of_its_size_only()
    {
        using var planner = Planner();
        var planned = planner.For(RunNeeds.None);
        Assert.That(planned.MaxBatch, Is.EqualTo(1));
        var e = Assert.Throws<GlassboxException>(() => planned.Run(2))!;
        Assert.That(e.Message, Is.EqualTo("A batch of 2 cannot run: input 'input' has a fixed batch size of 1. Ask for at most 1."));
    }

    [Test]
    public void The_graph_seeds_its_own_top_class_exactly_as_an_explicit_one_hot_does()
    {
        using var planner = Planner();
        var planned = planner.For(RunNeeds.ForGradients("input"));
        var run = planned.Run(1);
        var graph = planned.Gradients!;
        _fixture.Input.Values.CopyTo(run.Input<float>("input"));

        run.Input<float>(graph.SeedInput).Clear();
        run.Input<float>(graph.TopClassWeightInput!)[0] = 1f;
        run.Execute();
        var byGraph = run.Output<float>(planned.GradientOf("input")).ToArray();

        run.Input<float>(graph.TopClassWeightInput!)[0] = 0f;
        run.Input<float>(graph.SeedInput)[_fixture.Top1] = 1f;
        run.Execute();
        Assert.That(run.Output<float>(planned.GradientOf("input")).ToArray(), Is.EqualTo(byGraph));
        Assert.That(byGraph.Any(v => v != 0f));
    }

    [Test]
    public void A_scores_only_run_computes_the_output_alone()
    {
        using var planner = Planner();
        var planned = planner.For(RunNeeds.ForTaps(_fixture.TapName).Merge(RunNeeds.ForGradients("input")));
        var run = planned.Run(1, scoresOnly: true);
        Assert.That(run.OutputInfos.Select(o => o.Name), Is.EqualTo(new[] { "logits" }));
        _fixture.Input.Values.CopyTo(run.Input<float>("input"));
        run.Execute();
        Assert.That(run.Output<float>("logits").ToArray(), Is.EqualTo(_fixture.Logits.Values).Within(1e-5f));
    }
}
