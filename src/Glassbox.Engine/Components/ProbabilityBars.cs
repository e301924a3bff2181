using Glassbox.Visualisation;

namespace Glassbox.Engine;

/// <summary>One bar per class for the latest probabilities, the top class highlighted.</summary>
public sealed class ProbabilityBars : Component
{
    /// <summary>The inference this reads: set in code, or in a scene file by the entity holding it ("inference": "Input"); unset, the scene's only one.</summary>
    public CnnInference? Inference { get; set; }

    public int X { get; set; } = 320;

    public int Y { get; set; } = 20;

    public int Width { get; set; } = 240;

    public int BarHeight { get; set; } = 18;

    public uint Color { get; set; } = 0xFFB4783Cu;

    public uint TopColor { get; set; } = 0xFF3CB4F0u;

    protected internal override void Render(IRenderer renderer)
    {
        var inference = Referenced(Inference, "inference");
        if (inference?.Latest is not { } result || inference.Package is not { } package)
            return;
        var probabilities = result.Explanation.Probabilities;
        int top = result.Explanation.PredictedClass;
        for (int k = 0; k < probabilities.Length; k++)
        {
            int y = Y + k * (BarHeight + 4);
            string label = k < package.Labels.Length ? package.Labels[k] : k.ToString(System.Globalization.CultureInfo.InvariantCulture);
            renderer.DrawText(label, X, y, 0xFFFFFFFF);
            renderer.FillRect(X + 30, y, Math.Max(1, (int)(probabilities[k] * Width)), BarHeight, k == top ? TopColor : Color);
        }
    }
}
