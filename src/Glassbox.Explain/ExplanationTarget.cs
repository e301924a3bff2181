namespace Glassbox.Explain;

/// <summary>Which part of a model's output an explanation is of.</summary>
public enum TargetKind
{
    /// <summary>Class scores: a classifier's row, or a dense map's channels over the whole map.</summary>
    Class,
    /// <summary>A class channel of a dense map [batch, channels, height, width] summed over a box of the input.</summary>
    Region,
    /// <summary>The class scores of one box of a detection head [batch, boxes, 4 + classes].</summary>
    Detection,
    /// <summary>One step of a sequence output [batch, steps, classes].</summary>
    Step,
}

/// <summary>A box in input pixels: corners (X0, Y0) included, (X1, Y1) excluded.</summary>
public readonly record struct PixelBox(int X0, int Y0, int X1, int Y1)
{
    public override string ToString() => $"{X0},{Y0},{X1},{Y1}";
}

/// <summary>
/// What an explanation is of: the top class, a given class, or class A against class B; for dense
/// outputs, a class over a box of a segmentation or probability map, one detection of a detection
/// head, or one step of a sequence. The class of those may be left open: the box's dominant class,
/// the detection's best class, the step's top class.
/// </summary>
public sealed record ExplanationTarget
{
    private ExplanationTarget(int? label, int? contrast, TargetKind kind = TargetKind.Class, PixelBox? box = null, int rank = 0)
    {
        Label = label;
        Contrast = contrast;
        Kind = kind;
        Box = box;
        Rank = rank;
    }

    /// <summary>The class the model ranks first.</summary>
    public static ExplanationTarget TopClass { get; } = new(null, null);

    /// <summary>
    /// A box of the input, for a model with a dense output (a segmentation or probability map): the
    /// class channel's values summed over the box; with no label, the class with the largest sum there.
    /// </summary>
    public static ExplanationTarget Region(PixelBox box, int? label = null)
    {
        if (box.X0 < 0 || box.Y0 < 0 || box.X1 <= box.X0 || box.Y1 <= box.Y0)
            throw new GlassboxException($"Box {box} is empty or negative; give X0,Y0,X1,Y1 in input pixels with X0 < X1 and Y0 < Y1.");
        return new(CheckLabel(label), null, TargetKind.Region, box);
    }

    /// <summary>The <paramref name="rank"/>-th highest-scoring box of a detection head (1 is the best); with no label, its best class.</summary>
    public static ExplanationTarget Detection(int rank, int? label = null) =>
        rank >= 1 ? new(CheckLabel(label), null, TargetKind.Detection, rank: rank - 1)
            : throw new GlassboxException($"Detection {rank}: detections are ranked from 1 (the highest-scoring box).");

    /// <summary>Step <paramref name="step"/> (from 0) of a sequence output; with no label, the step's top class.</summary>
    public static ExplanationTarget Step(int step, int? label = null) =>
        step >= 0 ? new(CheckLabel(label), null, TargetKind.Step, rank: step)
            : throw new GlassboxException($"Step {step} is negative; steps are numbered from 0.");

    private static int? CheckLabel(int? label) =>
        label is < 0 ? throw new GlassboxException($"Class {label} is negative; classes are numbered from 0.") : label;

    public TargetKind Kind { get; }

    /// <summary>The box of a <see cref="TargetKind.Region"/> target, in input pixels.</summary>
    public PixelBox? Box { get; }

    /// <summary>The detection's rank (from 0 for the best) or the step of a sequence target.</summary>
    public int Rank { get; }

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

    /// <summary>This target with its class fixed (the same box, detection or step), as metrics re-run what an explanation was of.</summary>
    public ExplanationTarget WithLabel(int label) => new(CheckLabel(label), Contrast, Kind, Box, Rank);

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
        var parts = text.Split(':');
        string kind = parts[0].Trim().ToLowerInvariant();
        if (kind is "box" or "detection" or "step")
        {
            if (parts.Length is < 2 or > 3)
                throw new GlassboxException($"Target '{text}' is not understood; write box:X0,Y0,X1,Y1[:CLASS], detection:K[:CLASS] or step:T[:CLASS].");
            int? label = parts.Length == 3 ? ParseClass(parts[2], labels, text) : null;
            if (kind == "box")
            {
                var corners = parts[1].Split(',');
                if (corners.Length != 4 || !corners.All(c => int.TryParse(c.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _)))
                    throw new GlassboxException($"Target '{text}': the box is four whole numbers in input pixels, X0,Y0,X1,Y1 (e.g. box:40,30,120,90).");
                var v = corners.Select(c => int.Parse(c.Trim(), System.Globalization.CultureInfo.InvariantCulture)).ToArray();
                return Region(new PixelBox(v[0], v[1], v[2], v[3]), label);
            }
            if (!int.TryParse(parts[1].Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n))
                throw new GlassboxException($"Target '{text}': {kind} takes a whole number ({(kind == "detection" ? "1 for the best box" : "the step, from 0")}).");
            return kind == "detection" ? Detection(n, label) : Step(n, label);
        }
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

    /// <summary>The explained score from one row of class scores (logits or probabilities).</summary>
    public float ScoreOf(ReadOnlySpan<float> row, int resolvedClass) => Contrast is { } against ? row[resolvedClass] - row[against] : row[resolvedClass];

    public override string ToString()
    {
        string label = Label is null ? "" : $":{Label}";
        return Kind switch
        {
            TargetKind.Region => $"box:{Box}{label}",
            TargetKind.Detection => $"detection:{Rank + 1}{label}",
            TargetKind.Step => $"step:{Rank}{label}",
            _ => Label is null ? "top" : Contrast is null ? $"{Label}" : $"{Label}-{Contrast}",
        };
    }

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
        throw new GlassboxException($"Target '{whole}' is not understood: use top, a class number{known}, or A-B for class A against class B; " +
                                    "for dense outputs box:X0,Y0,X1,Y1[:CLASS], detection:K[:CLASS] or step:T[:CLASS].");
    }
}
