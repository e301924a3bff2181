using Glassbox.Graphics;

namespace Glassbox.Examples.LiveDemo;

/// <summary>
/// Keys held together, written as "ctrl+alt+q": a modifier (ctrl, alt, shift: either side), a letter, a digit,
/// escape, delete or f1–f12. The demo's kiosk quits only on its chord, which a visitor will not press by chance;
/// <see cref="IsHeld"/> is what the host's <c>KioskOptions.ExitWhen</c> asks.
/// </summary>
public sealed class KeyChord
{
    private readonly int[][] _keys;

    private KeyChord(string text, int[][] keys)
    {
        Text = text;
        _keys = keys;
    }

    public string Text { get; }

    public static KeyChord Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.ToLowerInvariant().Split('+', StringSplitOptions.TrimEntries);
        var keys = parts.Select(part => KeysFor(part) ?? throw new GlassboxException(
            $"Unknown key '{part}' in the chord '{text}'. Join two or more of: ctrl, alt, shift, a letter, a digit, escape, delete, f1 to f12 with '+', as in ctrl+alt+q.")).ToArray();
        if (keys.Length < 2)
            throw new GlassboxException($"The chord '{text}' is one key; a kiosk's exit needs two or more held together (such as ctrl+alt+q), so a visitor cannot press it by chance.");
        return new KeyChord(text, keys);
    }

    /// <summary>True when one key of every part is held.</summary>
    public bool IsHeld(IReadOnlySet<int> held) => _keys.All(alternatives => alternatives.Any(held.Contains));

    public override string ToString() => Text;

    private static int[]? KeysFor(string part) => part switch
    {
        "ctrl" or "control" => [(int)WindowKey.LeftControl, (int)WindowKey.RightControl],
        "alt" => [(int)WindowKey.LeftAlt, (int)WindowKey.RightAlt],
        "shift" => [(int)WindowKey.LeftShift, (int)WindowKey.RightShift],
        "escape" or "esc" => [(int)WindowKey.Escape],
        "delete" or "del" => [(int)WindowKey.Delete],
        [var c] when c is >= 'a' and <= 'z' => [(int)WindowKey.A + (c - 'a')],
        [var c] when c is >= '0' and <= '9' => [(int)WindowKey.D0 + (c - '0')],
        ['f', .. var n] when int.TryParse(n, out int f) && f is >= 1 and <= 12 => [(int)WindowKey.F1 + f - 1],
        _ => null,
    };
}
