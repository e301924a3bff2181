using Glassbox.Explain;
using Glassbox.Explain.Methods;

namespace Glassbox.Tests;

/// <summary>
/// Each method on tiny models whose explanation is known in closed form: a linear model, where the
/// gradient is the weight row, and global average pooling then a linear layer, where CAM's
/// weights are the linear layer's weights. References are computed here, independently of the methods.
/// </summary>
public class AnalyticMethodTests
{
    private const int C = 2, H = 5, W = 6, K = 3, Plane = H * W;

    private static readonly float[] LinearWeights = TinyModels.Random(K * C * Plane, seed: 1);
    private static readonly float[] Bias = [0.1f, -0.2f, 0.3f];
    private static readonly float[] GapWeights = [0.8f, -0.5f, -0.3f, 0.9f, 0.2f, 0.4f];
    private static readonly float[] Input = TinyModels.Random(C * Plane, seed: 2);

    private static Explainer LinearExplainer(float black = 0f) =>
        Explainer.Create(TinyModels.Linear(LinearWeights, Bias, C, H, W), ExplainerOptions.Default with { BlackLevel = [black] });

    private static Explainer GapExplainer() =>
        Explainer.Create(TinyModels.GapLinear(GapWeights, Bias, C, H, W), ExplainerOptions.Default with { Layer = "features" });

    private static float[] Row(float[] weights, int k, int length) => weights.AsSpan(k * length, length).ToArray();

    [Test]
    public void Gradient_times_input_of_a_linear_model_is_each_pixels_exact_contribution()
    {
        using var explainer = LinearExplainer();
        var map = explainer.Explain(Input, [new GradientTimesInput()], ExplanationTarget.Class(2)).Maps[0];
        var w = Row(LinearWeights, 2, C * Plane);
        var expected = Enumerable.Range(0, Plane).Select(p => w[p] * Input[p] + w[Plane + p] * Input[Plane + p]).ToArray();
        Assert.That(map.Values, Is.EqualTo(expected).Within(1e-6f));
        Assert.That((map.Width, map.Height, map.Signed, map.TargetClass), Is.EqualTo((W, H, true, 2)));
    }

    [Test]
    public void Vanilla_gradient_and_smoothgrad_of_a_linear_model_are_the_largest_weight_magnitude()
    {
        using var explainer = LinearExplainer();
        var result = explainer.Explain(Input, [new VanillaGradient(), new SmoothGrad(samples: 8, seed: 3)], ExplanationTarget.Class(1));
        var w = Row(LinearWeights, 1, C * Plane);
        var expected = Enumerable.Range(0, Plane).Select(p => MathF.Max(MathF.Abs(w[p]), MathF.Abs(w[Plane + p]))).ToArray();
        Assert.That(result.Maps[0].Values, Is.EqualTo(expected).Within(1e-6f));
        // The gradient does not depend on the input, so noise cannot change it.
        Assert.That(result.Maps[1].Values, Is.EqualTo(expected).Within(1e-6f));
        Assert.That(result.Maps[1].Seed, Is.EqualTo(3));
    }

    [Test]
    public void Integrated_gradients_of_a_linear_model_are_exact_and_complete([Values] IntegrationBaseline baseline)
    {
        using var explainer = LinearExplainer(black: -0.4f);
        var map = explainer.Explain(Input, [new IntegratedGradients(steps: 4, baseline, seed: 5)], ExplanationTarget.Class(0)).Maps[0];
        Assert.That(double.Parse(map.Details["completeness_gap"], System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(0).Within(1e-4));
        if (baseline == IntegrationBaseline.Zero)
        {
            var w = Row(LinearWeights, 0, C * Plane);
            var expected = Enumerable.Range(0, Plane).Select(p => w[p] * Input[p] + w[Plane + p] * Input[Plane + p]).ToArray();
            Assert.That(map.Values, Is.EqualTo(expected).Within(1e-5f));
        }
        if (baseline == IntegrationBaseline.Black)
        {
            var w = Row(LinearWeights, 0, C * Plane);
            var expected = Enumerable.Range(0, Plane).Select(p => w[p] * (Input[p] + 0.4f) + w[Plane + p] * (Input[Plane + p] + 0.4f)).ToArray();
            Assert.That(map.Values, Is.EqualTo(expected).Within(1e-5f));
        }
    }

    [Test]
    public void A_contrast_explains_the_difference_of_two_classes()
    {
        using var explainer = LinearExplainer();
        var map = explainer.Explain(Input, [new GradientTimesInput()], ExplanationTarget.Versus(0, 2)).Maps[0];
        var expected = Enumerable.Range(0, Plane).Select(p =>
            (LinearWeights[p] - LinearWeights[2 * C * Plane + p]) * Input[p] + (LinearWeights[Plane + p] - LinearWeights[2 * C * Plane + Plane + p]) * Input[Plane + p]).ToArray();
        Assert.That(map.Values, Is.EqualTo(expected).Within(1e-5f));
        var logits = TinyModels.LinearLogits(LinearWeights, Bias, Input);
        Assert.That(map.TargetScore, Is.EqualTo(logits[0] - logits[2]).Within(1e-5f));
        Assert.That(map.ContrastClass, Is.EqualTo(2));
    }

    [Test]
    public void The_top_class_is_found_and_explained_in_one_run()
    {
        using var explainer = LinearExplainer();
        var logits = TinyModels.LinearLogits(LinearWeights, Bias, Input);
        int top = Array.IndexOf(logits, logits.Max());
        var byTop = explainer.Explain(Input, [new GradientTimesInput()]);
        var byLabel = explainer.Explain(Input, [new GradientTimesInput()], ExplanationTarget.Class(top));
        Assert.That(byTop.TargetClass, Is.EqualTo(top));
        Assert.That(byTop.Maps[0].Values, Is.EqualTo(byLabel.Maps[0].Values), "bit-identical to naming the class");
        Assert.That(byTop.Scores, Is.EqualTo(logits).Within(1e-5f));
    }

    [Test]
    public void Occlusion_matches_a_direct_computation_of_probability_drops()
    {
        using var explainer = LinearExplainer(black: 0f);
        var map = explainer.Explain(Input, [new Occlusion(window: 2, stride: 2)], ExplanationTarget.Class(1)).Maps[0];
        float original = TinyModels.Softmax(TinyModels.LinearLogits(LinearWeights, Bias, Input))[1];
        var sum = new double[Plane];
        var count = new int[Plane];
        // Windows at 0, 2 (and flush with the far edge: rows 3 for H = 5); columns 0, 2, 4.
        foreach (int top in new[] { 0, 2, 3 })
        {
            foreach (int left in new[] { 0, 2, 4 })
            {
                var x = (float[])Input.Clone();
                for (int c = 0; c < C; c++)
                {
                    for (int y = top; y < top + 2; y++)
                    {
                        for (int xx = left; xx < left + 2; xx++)
                            x[c * Plane + y * W + xx] = 0f;
                    }
                }
                float drop = original - TinyModels.Softmax(TinyModels.LinearLogits(LinearWeights, Bias, x))[1];
                for (int y = top; y < top + 2; y++)
                {
                    for (int xx = left; xx < left + 2; xx++)
                    {
                        sum[y * W + xx] += drop;
                        count[y * W + xx]++;
                    }
                }
            }
        }
        Assert.That(map.Values, Is.EqualTo(sum.Select((s, i) => (float)(s / count[i]))).Within(1e-6f));
    }

    [Test]
    public void Rise_matches_a_direct_computation_with_the_same_masks()
    {
        using var explainer = LinearExplainer(black: -0.5f);
        var rise = new Rise(masks: 40, gridSize: 3, keepProbability: 0.5f, seed: 9);
        var map = explainer.Explain(Input, [rise], ExplanationTarget.Class(2)).Maps[0];
        var expected = new double[Plane];
        var mask = new float[Plane];
        for (int i = 0; i < 40; i++)
        {
            rise.Mask(i, W, H, mask);
            Assert.That(mask.All(m => m is >= 0f and <= 1f));
            var x = new float[C * Plane];
            for (int c = 0; c < C; c++)
            {
                for (int p = 0; p < Plane; p++)
                    x[c * Plane + p] = -0.5f + mask[p] * (Input[c * Plane + p] + 0.5f);
            }
            float score = TinyModels.Softmax(TinyModels.LinearLogits(LinearWeights, Bias, x))[2];
            for (int p = 0; p < Plane; p++)
                expected[p] += score * mask[p] / (40 * 0.5);
        }
        Assert.That(map.Values, Is.EqualTo(expected.Select(v => (float)v)).Within(1e-5f));
        Assert.That(map.Seed, Is.EqualTo(9));
    }

    [Test]
    public void Cam_weights_are_the_linear_layers_weights()
    {
        using var explainer = GapExplainer();
        var result = explainer.Explain(Input, [new Cam()], ExplanationTarget.Class(1));
        var expected = Enumerable.Range(0, Plane).Select(p =>
            MathF.Max(0f, GapWeights[2] * MathF.Max(0f, Input[p]) + GapWeights[3] * MathF.Max(0f, Input[Plane + p]))).ToArray();
        Assert.That(result.Maps[0].Values, Is.EqualTo(expected).Within(1e-6f));
        Assert.That((result.Maps[0].Width, result.Maps[0].Height, result.Maps[0].Layer), Is.EqualTo((W, H, "features")));
    }

    [Test]
    public void On_pooling_then_linear_models_the_gradient_cams_reduce_to_cam()
    {
        using var explainer = GapExplainer();
        var result = explainer.Explain(Input, [new GradCam(), new XGradCam(), new LayerCam(), new GradCamPlusPlus()], ExplanationTarget.Class(2));
        var a = Input.Select(v => MathF.Max(0f, v)).ToArray();
        float g0 = GapWeights[4] / Plane, g1 = GapWeights[5] / Plane;
        float[] Combine(float w0, float w1) => Enumerable.Range(0, Plane).Select(p => MathF.Max(0f, w0 * a[p] + w1 * a[Plane + p])).ToArray();

        // The gradient at every position is w/HW: Grad-CAM and XGrad-CAM weights are w/HW; Layer-CAM keeps positive ones.
        Assert.That(result.Maps[0].Values, Is.EqualTo(Combine(g0, g1)).Within(1e-6f), "Grad-CAM");
        Assert.That(result.Maps[1].Values, Is.EqualTo(Combine(g0, g1)).Within(1e-5f), "XGrad-CAM");
        Assert.That(result.Maps[2].Values, Is.EqualTo(Combine(MathF.Max(0f, g0), MathF.Max(0f, g1))).Within(1e-6f), "Layer-CAM");

        // Grad-CAM++ with a constant gradient g: Σ_positions g² / (2g² + ΣA·g³) · ReLU(g).
        float PlusPlus(float g, int channel)
        {
            double sumA = a.AsSpan(channel * Plane, Plane).ToArray().Sum();
            double alpha = g * g / (2.0 * g * g + sumA * g * g * g);
            return (float)(Plane * alpha * Math.Max(0f, g));
        }
        Assert.That(result.Maps[3].Values, Is.EqualTo(Combine(PlusPlus(g0, 0), PlusPlus(g1, 1))).Within(1e-5f), "Grad-CAM++");
    }

    [Test]
    public void Ablation_cam_weights_are_the_relative_score_drops()
    {
        using var explainer = GapExplainer();
        var map = explainer.Explain(Input, [new AblationCam()], ExplanationTarget.Class(0)).Maps[0];
        var a = Input.Select(v => MathF.Max(0f, v)).ToArray();
        float y = TinyModels.GapLinearLogits(GapWeights, Bias, Input, C)[0];
        // Removing channel c removes its term w_c · mean(A_c) from the logit.
        float[] weights = [0, 1];
        for (int c = 0; c < C; c++)
            weights[c] = GapWeights[c] * a.AsSpan(c * Plane, Plane).ToArray().Average() / y;
        var expected = Enumerable.Range(0, Plane).Select(p => MathF.Max(0f, weights[0] * a[p] + weights[1] * a[Plane + p])).ToArray();
        Assert.That(map.Values, Is.EqualTo(expected).Within(1e-5f));
    }

    [Test]
    public void Score_cam_weights_are_the_probability_kept_by_each_channel_mask()
    {
        using var explainer = GapExplainer();
        var map = explainer.Explain(Input, [new ScoreCam()], ExplanationTarget.Class(1)).Maps[0];
        var a = Input.Select(v => MathF.Max(0f, v)).ToArray();
        float baseline = TinyModels.Softmax(TinyModels.GapLinearLogits(GapWeights, Bias, new float[C * Plane], C))[1];
        var weights = new float[C];
        for (int c = 0; c < C; c++)
        {
            // The layer already has the input's size, so the mask is the channel scaled to [0, 1].
            var channel = a.AsSpan(c * Plane, Plane).ToArray();
            float min = channel.Min(), max = channel.Max();
            var masked = new float[C * Plane];
            for (int ch = 0; ch < C; ch++)
            {
                for (int p = 0; p < Plane; p++)
                    masked[ch * Plane + p] = (channel[p] - min) / (max - min) * Input[ch * Plane + p];
            }
            weights[c] = TinyModels.Softmax(TinyModels.GapLinearLogits(GapWeights, Bias, masked, C))[1] - baseline;
        }
        var expected = Enumerable.Range(0, Plane).Select(p => MathF.Max(0f, weights[0] * a[p] + weights[1] * a[Plane + p])).ToArray();
        Assert.That(map.Values, Is.EqualTo(expected).Within(1e-5f));
    }

    [Test]
    public void Eigen_cam_recovers_the_spatial_pattern_shared_by_the_channels()
    {
        // A_c(p) = u_c · s(p) + m_c: one principal component, along u, with scores s − mean(s).
        float[] u = [0.6f, 0.8f], m = [2f, 3f];
        var s = TinyModels.Random(Plane, seed: 4, low: 0f, high: 1f);
        var x = new float[C * Plane];
        for (int c = 0; c < C; c++)
        {
            for (int p = 0; p < Plane; p++)
                x[c * Plane + p] = u[c] * s[p] + m[c];
        }
        using var explainer = GapExplainer();
        var map = explainer.Explain(x, [new EigenCam()]).Maps[0];
        float mean = s.Average();
        Assert.That(map.Values, Is.EqualTo(s.Select(v => MathF.Max(0f, v - mean))).Within(1e-5f));
    }

    [Test]
    public void Attention_rollout_multiplies_residual_averaged_attention()
    {
        // Two tokens, one head, uniform attention: (A + I)/2 = [[.75, .25], [.25, .75]].
        float[] uniform = [0.5f, 0.5f, 0.5f, 0.5f];
        Assert.That(ClassRow([uniform], heads: 1, tokens: 2, HeadFusion.Mean, discardRatio: 0f), Is.EqualTo(new[] { 0.75, 0.25 }).Within(1e-12));
        Assert.That(ClassRow([uniform, uniform], heads: 1, tokens: 2, HeadFusion.Mean, discardRatio: 0f), Is.EqualTo(new[] { 0.625, 0.375 }).Within(1e-12));

        // Two heads fused by max, then min: [[1, 0], [0, 1]] and [[0, 1], [1, 0]].
        float[] heads = [1, 0, 0, 1, 0, 1, 1, 0];
        // Max gives all ones: (W + I)/2 = [[1, .5], [.5, 1]], row 0 renormalised to [2/3, 1/3]; min gives zeros, so only the residual.
        Assert.That(ClassRow([heads], 2, 2, HeadFusion.Max, 0f), Is.EqualTo(new[] { 2.0 / 3, 1.0 / 3 }).Within(1e-12));
        Assert.That(ClassRow([heads], 2, 2, HeadFusion.Min, 0f), Is.EqualTo(new[] { 1.0, 0.0 }).Within(1e-12));

        // Discarding the weakest half of [[.1, .9], [.3, .7]] keeps index 0 and the two largest.
        float[] skewed = [0.1f, 0.9f, 0.3f, 0.7f];
        double row0Sum = 0.5 * (0.1 + 1) + 0.5 * 0.9;
        Assert.That(ClassRow([skewed], 1, 2, HeadFusion.Mean, 0.5f), Is.EqualTo(new[] { 0.5 * 1.1 / row0Sum, 0.5 * 0.9 / row0Sum }).Within(1e-7));
    }

    [Test]
    public void Rollout_discards_the_weakest_weights_in_value_then_index_order_with_ties()
    {
        // Three heads over 17 tokens with values on a coarse grid, so hundreds of weights tie at the threshold.
        var random = new Random(11);
        const int heads = 3, tokens = 17;
        var attention = Enumerable.Range(0, heads * tokens * tokens).Select(_ => random.Next(0, 5) / 4f).ToArray();
        var fused = new double[tokens * tokens];
        var scratch = new double[tokens * tokens];
        foreach (var fusion in new[] { HeadFusion.Mean, HeadFusion.Max, HeadFusion.Min })
        {
            foreach (float ratio in new[] { 0f, 0.5f, 0.9f })
            {
                AttentionRollout.FuseLayer(attention, heads, tokens, fusion, ratio, fused, scratch);
                Assert.That(fused, Is.EqualTo(ReferenceFuse(attention, heads, tokens, fusion, ratio)), $"{fusion}, {ratio}");
            }
        }
    }

    [Test]
    public void The_live_rollout_applies_the_layers_to_one_row_and_matches_the_whole_product([Values(1, 4)] int layers)
    {
        var random = new Random(3);
        const int heads = 4, tokens = 50;
        var attention = Enumerable.Range(0, layers).Select(_ => Enumerable.Range(0, heads * tokens * tokens).Select(_ => (float)random.NextDouble()).ToArray()).ToList();
        foreach (var fusion in new[] { HeadFusion.Mean, HeadFusion.Max, HeadFusion.Min })
        {
            var product = ReferenceProduct(attention, heads, tokens, fusion, 0.9f);
            Assert.That(ClassRow(attention, heads, tokens, fusion, 0.9f), Is.EqualTo(product.Take(tokens)).Within(1e-12).Percent, $"{fusion}: the class token's row");

            var meanRow = new double[tokens];
            AttentionRollout.RolloutRow(attention, heads, tokens, fusion, 0.9f, Enumerable.Repeat(1.0 / tokens, tokens).ToArray(), meanRow);
            var columnMeans = Enumerable.Range(0, tokens).Select(c => Enumerable.Range(0, tokens).Sum(r => product[r * tokens + c]) / tokens);
            Assert.That(meanRow, Is.EqualTo(columnMeans).Within(1e-12).Percent, $"{fusion}: without a class token, the mean of the rows");
        }
    }

    // Row 0 of the rollout, as the live method computes it.
    private static double[] ClassRow(IReadOnlyList<float[]> layers, int heads, int tokens, HeadFusion fusion, float discardRatio)
    {
        var e0 = new double[tokens];
        e0[0] = 1;
        var row = new double[tokens];
        AttentionRollout.RolloutRow(layers, heads, tokens, fusion, discardRatio, e0, row);
        return row;
    }

    // One layer as first written: heads fused, the discarded weights chosen by a stable sort of their indices,
    // the residual added and rows renormalised.
    private static double[] ReferenceFuse(float[] attention, int heads, int n, HeadFusion fusion, float discardRatio)
    {
        var fused = new double[n * n];
        for (int i = 0; i < n * n; i++)
        {
            double value = attention[i];
            for (int h = 1; h < heads; h++)
                value = fusion switch { HeadFusion.Max => Math.Max(value, attention[h * n * n + i]), HeadFusion.Min => Math.Min(value, attention[h * n * n + i]), _ => value + attention[h * n * n + i] };
            fused[i] = fusion == HeadFusion.Mean ? value / heads : value;
        }
        foreach (int i in Enumerable.Range(0, n * n).OrderBy(i => fused[i]).ThenBy(i => i).Take((int)(n * n * discardRatio)).ToList())
        {
            if (i != 0)
                fused[i] = 0;
        }
        for (int r = 0; r < n; r++)
        {
            double rowSum = 0;
            for (int c = 0; c < n; c++)
            {
                fused[r * n + c] = 0.5 * (fused[r * n + c] + (r == c ? 1 : 0));
                rowSum += fused[r * n + c];
            }
            for (int c = 0; c < n; c++)
                fused[r * n + c] /= rowSum;
        }
        return fused;
    }

    // The whole product F_L ⋯ F_1, as first written.
    private static double[] ReferenceProduct(IReadOnlyList<float[]> layers, int heads, int n, HeadFusion fusion, float discardRatio)
    {
        var result = new double[n * n];
        for (int i = 0; i < n; i++)
            result[i * n + i] = 1;
        foreach (var attention in layers)
        {
            var fused = ReferenceFuse(attention, heads, n, fusion, discardRatio);
            var next = new double[n * n];
            for (int r = 0; r < n; r++)
            {
                for (int c = 0; c < n; c++)
                {
                    double sum = 0;
                    for (int k = 0; k < n; k++)
                        sum += fused[r * n + k] * result[k * n + c];
                    next[r * n + c] = sum;
                }
            }
            result = next;
        }
        return result;
    }
}
