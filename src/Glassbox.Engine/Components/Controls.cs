using Glassbox.Visualisation;

namespace Glassbox.Engine;

/// <summary>A component that reacts to letter keys (the host delivers them, and on-screen buttons send theirs).</summary>
public interface IKeyHandler
{
    /// <summary>Returns true when the key was used.</summary>
    bool OnKey(char key);
}

/// <summary>
/// A component that reacts to the pointer where it draws (the host delivers presses and moves in scene pixels; the
/// component decides whether a press is its own).
/// </summary>
public interface IPointerHandler
{
    /// <summary>A press at (x, y); returns true when it was used (it then goes nowhere else).</summary>
    bool OnPointerDown(float x, float y);

    /// <summary>The pointer moved to (x, y), pressed or not.</summary>
    void OnPointerMove(float x, float y);
}

/// <summary>An on-screen button: clicking (or touching) it sends its key to the scene's key handlers.</summary>
public sealed class Button : Component
{
    public int X { get; set; }

    public int Y { get; set; }

    public int Width { get; set; } = 120;

    public int Height { get; set; } = 32;

    public string Text { get; set; } = "";

    /// <summary>The key it stands for, as a one-letter string ("m").</summary>
    [RequiredField]
    public string Key { get; set; } = "";

    public uint Color { get; set; } = 0xFF504030u;

    public bool Contains(float x, float y) => x >= X && x < X + Width && y >= Y && y < Y + Height;

    /// <summary>Sends the key to every active key handler until one uses it.</summary>
    public bool Press() => Key.Length == 1 && Scene.SendKey(Key[0]);

    protected internal override void Render(IRenderer renderer)
    {
        renderer.FillRect(X, Y, Width, Height, Color);
        renderer.DrawText(Text, X + 8, Y + 8, 0xFFFFFFFFu);
    }
}
