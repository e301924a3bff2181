using Glassbox.Visualisation;

namespace Glassbox.Engine;

/// <summary>A component that reacts to letter keys (the host delivers them, and on-screen buttons send theirs).</summary>
public interface IKeyHandler
{
    /// <summary>Returns true when the key was used.</summary>
    bool OnKey(char key);
}

/// <summary>
/// A component that reacts to the pointer where it draws (the host delivers presses, moves and releases in scene
/// pixels; the component decides whether a press is its own). A component that took a press follows the pointer
/// until its release.
/// </summary>
public interface IPointerHandler
{
    /// <summary>A press at (x, y); returns true when it was used (it then goes nowhere else).</summary>
    bool OnPointerDown(float x, float y);

    /// <summary>The pointer moved to (x, y), pressed or not.</summary>
    void OnPointerMove(float x, float y);

    /// <summary>The press ended at (x, y); every handler hears it, and the one that took the press ends its gesture.</summary>
    void OnPointerUp(float x, float y);
}

/// <summary>An on-screen button: clicking (or touching) it sends its key to the scene's key handlers.</summary>
public sealed class Button : Component, IPointerHandler
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

    /// <summary>A press on the button sends its key (and is the button's, whether a handler used the key or not).</summary>
    public bool OnPointerDown(float x, float y)
    {
        if (!Contains(x, y))
            return false;
        Press();
        return true;
    }

    public void OnPointerMove(float x, float y)
    {
    }

    public void OnPointerUp(float x, float y)
    {
    }

    protected internal override void Render(IRenderer renderer)
    {
        renderer.FillRect(X, Y, Width, Height, Color);
        renderer.DrawText(Text, X + 8, Y + 8, 0xFFFFFFFFu);
    }
}
