namespace Glassbox.Explain;

/// <summary>What an explanation is of: the top class, a given class, or class A against class B.</summary>
public sealed record ExplanationTarget
{
    private ExplanationTarget(int? label, int? contrast)
    {
        Label = label;
        Contrast = contrast;
    }

    /// <summary>The class the model ranks first.</summary>
    public static ExplanationTarget TopClass { get; } = new(null, null);

    /// <summary>The given class, whatever the model predicts.</summary>
    public static ExplanationTarget Class(int label) =>
        label >= 0 ? new(label, null) : throw new GlassboxException($"Class {label} is negative; classes are numbered from 0.");

    /// <summary>What makes it <paramref name="label"/> rather than <paramref name="against"/>: the score is their difference.</summary>
    public static ExplanationTarget Versus(int label, int against)
    {
        if (label < 0 || against < 0)
            throw new GlassboxException($"Classes {label} and {against}: classes are numbered from 0.");
        if (label == against)
            throw new GlassboxException($"A contrast needs two different classes; both are {label}.");
        return new(label, against);
    }

    /// <summary>The explained class; null for the top class, known only after a run.</summary>
    public int? Label { get; }

    /// <summary>The class subtracted in a contrast; null otherwise.</summary>
    public int? Contrast { get; }

    /// <summary>
    /// Parses "top", a class number or label name, or "A-B" / "A/B" for a contrast.
    /// Labels are matched case-insensitively when the model has them.
    /// </summary>
    public static ExplanationTarget Parse(string text, IReadOnlyList<string>? labels = null)
    {
        text = text.Trim();
        if (text.Length == 0 || text.Equals("top", StringComparison.OrdinalIgnoreCase) || text.Equals("top1", StringComparison.OrdinalIgnoreCase))
            return TopClass;
        int separator = text.IndexOfAny(['-', '/'], 1);
        if (separator > 0)
            return Versus(ParseClass(text[..separator], labels, text), ParseClass(text[(separator + 1)..], labels, text));
        return Class(ParseClass(text, labels, text));
    }

    /// <summary>Checks the classes exist among <paramref name="classes"/> outputs.</summary>
    public void Validate(int classes, IReadOnlyList<string>? labels = null)
    {
        foreach (int c in new[] { Label, Contrast }.Where(c => c is not null).Select(c => c!.Value))
        {
            if (c >= classes)
            {
                string names = labels is { Count: > 0 } ? $" ({string.Join(", ", labels)})" : "";
                throw new GlassboxException($"Class {c} does not exist: the model has {classes} classes, 0 to {classes - 1}{names}.");
            }
        }
    }

    /// <summary>The explained class for these scores.</summary>
    public int Resolve(ReadOnlySpan<float> scores) => Label ?? ArgMax(scores);

    /// <summary>The gradient seed: one-hot of the class, minus one-hot of the contrast.</summary>
    public void FillSeed(Span<float> seed, int resolvedClass)
    {
        seed.Clear();
        seed[resolvedClass] = 1f;
        if (Contrast is { } against)
            seed[against] = -1f;
    }

    /// <summary>The explained score from one row of class scores (logits or probabilities).</summary>
    public float ScoreOf(ReadOnlySpan<float> row, int resolvedClass) => Contrast is { } against ? row[resolvedClass] - row[against] : row[resolvedClass];

    public override string ToString() => Label is null ? "top" : Contrast is null ? $"{Label}" : $"{Label}-{Contrast}";

    /// <summary>Index of the largest value; the first of equal maxima, as ONNX ArgMax.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
                best = i;
        }
        return best;
    }

    private static int ParseClass(string part, IReadOnlyList<string>? labels, string whole)
    {
        part = part.Trim();
        if (int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int number))
            return number;
        if (labels is not null)
        {
            for (int i = 0; i < labels.Count; i++)
            {
                if (string.Equals(labels[i], part, StringComparison.OrdinalIgnoreCase))
                    return i;
            }
        }
        string known = labels is { Count: > 0 } ? $" or a label ({string.Join(", ", labels)})" : "";
        throw new GlassboxException($"Target '{whole}' is not understood: use top, a class number{known}, or A-B for class A against class B.");
    }
}
