using Glassbox.Visualisation;

namespace Glassbox.Engine;

/// <summary>A line of text at a position of the target.</summary>
public sealed class Label : Component
{
    public string Text { get; set; } = "";

    public int X { get; set; }

    public int Y { get; set; }

    /// <summary>RGBA8 packed, R in the low byte (scene files write "#RRGGBB").</summary>
    public uint Color { get; set; } = 0xFFFFFFFF;

    protected internal override void Render(IRenderer renderer)
    {
        if (Text.Length > 0)
            renderer.DrawText(Text, X, Y, Color);
    }
}
