using Glassbox.Inference.Planning;

namespace Glassbox.Explain.Methods;

/// <summary>
/// A method that weighs the feature maps of the explainer's layer. The map has the layer's grid;
/// ReLU keeps the evidence for the class, as in the papers.
/// </summary>
public abstract class LayerMapMethod : AttributionMethod
{
    public override bool UsesLayer => true;

    public override RunNeeds Needs(Explainer explainer) =>
        UsesGradients ? RunNeeds.ForTaps(explainer.Layer).Merge(RunNeeds.ForGradients(explainer.Layer)) : RunNeeds.ForTaps(explainer.Layer);

    public override AttributionMap Compute(ExplainContext context)
    {
        string layer = context.Explainer.Layer;
        var shape = context.ShapeOf(layer);
        if (shape.Rank != 3)
            throw new GlassboxException($"{Name} needs layer '{layer}' to be [channels, height, width] per sample; it is {shape}. Pick a convolutional feature map.");
        var layerShape = new LayerShape((int)shape[0], (int)shape[1], (int)shape[2]);
        var map = Weigh(context, context.Tensor(layer), layerShape);
        MapMath.Relu(map);
        return MapOf(context, map, layerShape.Width, layerShape.Height, layer);
    }

    /// <summary>The class map before the final ReLU, [height × width].</summary>
    protected abstract float[] Weigh(ExplainContext context, float[] activations, LayerShape shape);

    /// <summary>The layer's size per sample.</summary>
    protected readonly record struct LayerShape(int Channels, int Height, int Width)
    {
        public int Plane => Height * Width;
    }
}

/// <summary>CAM (Zhou et al. 2016): the classifier's own weights on each channel; needs global average pooling then one linear layer.</summary>
public sealed class Cam : LayerMapMethod
{
    public override string Name => "cam";

    protected override float[] Weigh(ExplainContext context, float[] activations, LayerShape shape)
    {
        var head = context.Explainer.Model.LinearHeadAfter(context.Explainer.Layer, context.Explainer.Output);
        if (head.Channels != shape.Channels)
            throw new GlassboxException($"The linear layer after '{head.Layer}' reads {head.Channels} channels, but the layer has {shape.Channels}.");
        var weights = new float[shape.Channels];
        for (int c = 0; c < shape.Channels; c++)
        {
            weights[c] = head.Weights[context.TargetClass * head.Channels + c];
            if (context.Target.Contrast is { } against)
                weights[c] -= head.Weights[against * head.Channels + c];
        }
        return MapMath.WeightedSum(activations, weights, shape.Plane);
    }
}

/// <summary>
/// A CAM method whose map is Σ_c w_c · A_c, each channel's weight worked out from that channel's
/// activations and gradients (Grad-CAM, Grad-CAM++, XGrad-CAM differ only in that weight).
/// </summary>
public abstract class GradientWeightedCam : LayerMapMethod
{
    public override bool UsesGradients => true;

    protected sealed override float[] Weigh(ExplainContext context, float[] activations, LayerShape shape)
    {
        var gradients = context.Gradient(context.Explainer.Layer);
        var weights = new float[shape.Channels];
        for (int c = 0; c < shape.Channels; c++)
            weights[c] = ChannelWeight(activations.AsSpan(c * shape.Plane, shape.Plane), gradients.AsSpan(c * shape.Plane, shape.Plane));
        return MapMath.WeightedSum(activations, weights, shape.Plane);
    }

    /// <summary>One channel's weight from its activations and gradients (one plane each).</summary>
    protected abstract float ChannelWeight(ReadOnlySpan<float> activations, ReadOnlySpan<float> gradients);
}

/// <summary>Grad-CAM (Selvaraju et al. 2017): channels weighted by the spatial mean of the score's gradient.</summary>
public sealed class GradCam : GradientWeightedCam
{
    public override string Name => "grad-cam";

    protected override float ChannelWeight(ReadOnlySpan<float> activations, ReadOnlySpan<float> gradients)
    {
        float sum = 0f;
        foreach (float g in gradients)
            sum += g;
        return sum / gradients.Length;
    }
}

/// <summary>
/// Grad-CAM++ (Chattopadhay et al. 2018): per-position weights α = g² / (2g² + Σ A · g³) on the
/// positive gradients, the closed form for an exponential score used by the authors' code.
/// </summary>
public sealed class GradCamPlusPlus : GradientWeightedCam
{
    public override string Name => "grad-cam++";

    protected override float ChannelWeight(ReadOnlySpan<float> activations, ReadOnlySpan<float> gradients)
    {
        double activationSum = 0;
        foreach (float v in activations)
            activationSum += v;
        double weight = 0;
        foreach (float g in gradients)
        {
            double g2 = (double)g * g, g3 = g2 * g;
            double denominator = 2 * g2 + activationSum * g3;
            double alpha = g != 0f && denominator != 0 ? g2 / denominator : 0;
            weight += alpha * Math.Max(0f, g);
        }
        return (float)weight;
    }
}

/// <summary>XGrad-CAM (Fu et al. 2020): weights Σ(g · A) / Σ A, which make the map satisfy the paper's sensitivity and conservation axioms.</summary>
public sealed class XGradCam : GradientWeightedCam
{
    public override string Name => "xgrad-cam";

    protected override float ChannelWeight(ReadOnlySpan<float> activations, ReadOnlySpan<float> gradients)
    {
        double weighted = 0, total = 0;
        for (int i = 0; i < activations.Length; i++)
        {
            weighted += (double)gradients[i] * activations[i];
            total += activations[i];
        }
        return (float)(weighted / (total + 1e-7));
    }
}

/// <summary>Layer-CAM (Jiang et al. 2021): each position weighted by its own positive gradient, Σ_c ReLU(g) · A.</summary>
public sealed class LayerCam : LayerMapMethod
{
    public override string Name => "layer-cam";

    public override bool UsesGradients => true;

    protected override float[] Weigh(ExplainContext context, float[] activations, LayerShape shape)
    {
        var gradients = context.Gradient(context.Explainer.Layer);
        var map = new float[shape.Plane];
        for (int c = 0; c < shape.Channels; c++)
        {
            for (int i = 0; i < shape.Plane; i++)
                map[i] += MathF.Max(0f, gradients[c * shape.Plane + i]) * activations[c * shape.Plane + i];
        }
        return map;
    }
}

/// <summary>
/// Eigen-CAM (Muhammad and Yeasin 2020): the layer's activations projected on their first principal
/// component. Class-agnostic and gradient-free. The component's sign is chosen so the map agrees
/// with the mean activation, which the SVD alone leaves open.
/// </summary>
public sealed class EigenCam : LayerMapMethod
{
    public override string Name => "eigen-cam";

    protected override float[] Weigh(ExplainContext context, float[] activations, LayerShape shape) =>
        FirstComponentProjection(activations, shape.Channels, shape.Plane);

    /// <summary>Positions × channels, centred per channel, projected on the top right singular vector (power iteration on the covariance).</summary>
    internal static float[] FirstComponentProjection(ReadOnlySpan<float> activations, int channels, int plane)
    {
        var centred = new double[channels * plane];
        for (int c = 0; c < channels; c++)
        {
            double mean = 0;
            for (int i = 0; i < plane; i++)
                mean += activations[c * plane + i];
            mean /= plane;
            for (int i = 0; i < plane; i++)
                centred[c * plane + i] = activations[c * plane + i] - mean;
        }
        var covariance = new double[channels * channels];
        for (int a = 0; a < channels; a++)
        {
            for (int b = a; b < channels; b++)
            {
                double sum = 0;
                for (int i = 0; i < plane; i++)
                    sum += centred[a * plane + i] * centred[b * plane + i];
                covariance[a * channels + b] = covariance[b * channels + a] = sum;
            }
        }
        var vector = new double[channels];
        Array.Fill(vector, 1.0 / Math.Sqrt(channels));
        var next = new double[channels];
        for (int iteration = 0; iteration < 500; iteration++)
        {
            double norm = 0;
            for (int a = 0; a < channels; a++)
            {
                double sum = 0;
                for (int b = 0; b < channels; b++)
                    sum += covariance[a * channels + b] * vector[b];
                next[a] = sum;
                norm += sum * sum;
            }
            norm = Math.Sqrt(norm);
            if (norm == 0)
                return new float[plane];
            double change = 0;
            for (int a = 0; a < channels; a++)
            {
                double v = next[a] / norm;
                change = Math.Max(change, Math.Abs(v - vector[a]));
                vector[a] = v;
            }
            if (change < 1e-10)
                break;
        }
        var projection = new float[plane];
        double agreement = 0;
        for (int i = 0; i < plane; i++)
        {
            double sum = 0, mean = 0;
            for (int c = 0; c < channels; c++)
            {
                sum += centred[c * plane + i] * vector[c];
                mean += centred[c * plane + i];
            }
            projection[i] = (float)sum;
            agreement += sum * mean;
        }
        if (agreement < 0)
        {
            for (int i = 0; i < plane; i++)
                projection[i] = -projection[i];
        }
        return projection;
    }
}

/// <summary>
/// Score-CAM (Wang et al. 2020): each channel, upsampled and scaled to [0, 1], masks the input
/// (towards black); its weight is the class probability this keeps above the all-black input's.
/// One batched run of channels + 1 inputs.
/// </summary>
public sealed class ScoreCam : LayerMapMethod
{
    public override string Name => "score-cam";

    protected override float[] Weigh(ExplainContext context, float[] activations, LayerShape shape)
    {
        var explainer = context.Explainer;
        int size = explainer.InputSize, pixels = explainer.Height * explainer.Width;
        var batch = new float[(shape.Channels + 1) * size];
        var input = context.Input;
        var black = explainer.BlackLevel;
        for (int k = 0; k < shape.Channels; k++)
        {
            var mask = MapMath.MinMaxNormalised(MapMath.Resample(activations.AsSpan(k * shape.Plane, shape.Plane), shape.Width, shape.Height, explainer.Width, explainer.Height));
            Perturbation.Blend(input, black, mask, batch.AsSpan(k * size, size), pixels);
        }
        Perturbation.Fill(black, batch.AsSpan(shape.Channels * size, size), pixels);
        var scores = new float[shape.Channels + 1];
        context.TargetScores(batch, shape.Channels + 1, scores, ScoreKind.Probability);
        var weights = new float[shape.Channels];
        for (int k = 0; k < shape.Channels; k++)
            weights[k] = scores[k] - scores[shape.Channels];
        return MapMath.WeightedSum(activations, weights, shape.Plane);
    }
}

/// <summary>
/// Ablation-CAM (Desai and Ramaswamy 2020): each channel is switched off in turn at the layer; its
/// weight is the relative drop of the score, (y − y_k) / y. One batched run through a channel gate.
/// </summary>
public sealed class AblationCam : LayerMapMethod
{
    public override string Name => "ablation-cam";

    public override RunNeeds Needs(Explainer explainer) => base.Needs(explainer) with { ChannelGate = explainer.Layer };

    protected override float[] Weigh(ExplainContext context, float[] activations, LayerShape shape)
    {
        int channels = shape.Channels;
        var gates = new float[channels * channels];
        Array.Fill(gates, 1f);
        for (int k = 0; k < channels; k++)
            gates[k * channels + k] = 0f;
        var logits = new float[channels * context.Classes];
        context.GatedScoreBatch(gates, channels, logits);
        float score = context.TargetScore;
        var weights = new float[channels];
        for (int k = 0; k < channels; k++)
        {
            float ablated = context.ScoreOf(logits.AsSpan(k * context.Classes, context.Classes), ScoreKind.Logit);
            weights[k] = score == 0f ? 0f : (score - ablated) / score;
        }
        return MapMath.WeightedSum(activations, weights, shape.Plane);
    }
}
