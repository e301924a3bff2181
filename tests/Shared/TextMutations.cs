using System.Text;

namespace Glassbox.Tests;

/// <summary>The fuzz tests' seeded mutations of a text file: one to three characters changed, runs deleted or duplicated, or the text cut.</summary>
internal static class TextMutations
{
    /// <summary>Characters that make JSON mean something else more often than noise does.</summary>
    public const string JsonAlphabet = "{}[]\":,0123456789-.eEtruefalsn \\/abcxyz#";

    public static string Mutate(string text, Random random, string alphabet = JsonAlphabet)
    {
        var sb = new StringBuilder(text);
        for (int e = 1 + random.Next(3); e > 0 && sb.Length > 0; e--)
        {
            int at = random.Next(sb.Length);
            switch (random.Next(4))
            {
                case 0: sb[at] = alphabet[random.Next(alphabet.Length)]; break;
                case 1: sb.Remove(at, Math.Min(sb.Length - at, 1 + random.Next(8))); break;
                case 2: sb.Insert(at, sb.ToString(at, Math.Min(sb.Length - at, 1 + random.Next(40)))); break;
                default: sb.Length = at; break;
            }
        }
        return sb.ToString();
    }
}
