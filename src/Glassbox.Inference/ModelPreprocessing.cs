using System.Collections.Immutable;
using System.Text.Json;

namespace Glassbox.Inference;

/// <summary>
/// How a model package's input is prepared, as its manifest (or the ONNX metadata_props key
/// <c>glassbox.preprocessing</c>) describes it.
/// </summary>
public sealed record ModelPreprocessing
{
    /// <summary>"NCHW" or "NHWC".</summary>
    public string Layout { get; init; } = "NCHW";

    public int Channels { get; init; } = 1;

    public int Height { get; init; }

    public int Width { get; init; }

    /// <summary>Per channel (or one for all), applied after scaling pixels to [0, 1].</summary>
    public ImmutableArray<float> Mean { get; init; } = [0f];

    public ImmutableArray<float> Std { get; init; } = [1f];

    /// <summary>True when drawings (dark strokes on light paper) must be inverted to match the training data.</summary>
    public bool InvertDrawings { get; init; }

    /// <summary>How the object is fitted into the frame (free text; "mnist…" means the MNIST size and centre-of-mass normalisation).</summary>
    public string? Fit { get; init; }

    /// <summary>How images are fitted to the input ("stretch", "letterbox" or "centre-crop" in the manifest's "resize").</summary>
    public ResizeMode Resize { get; init; } = ResizeMode.Stretch;

    /// <summary>Channel order of a 3-channel input ("channel_order": "RGB" or "BGR").</summary>
    public bool Bgr { get; init; }

    /// <summary>Settings for <see cref="ImageToTensor"/> that produce this model's input from any image.</summary>
    /// <param name="drawing">True for a drawing or photo of dark ink on light paper: inverted when the model wants it.</param>
    public ImageToTensorOptions ToImageOptions(bool drawing = false) => new()
    {
        Width = Width,
        Height = Height,
        Channels = Channels,
        Resize = Resize,
        Bgr = Bgr,
        ChannelsLast = Layout == "NHWC",
        Mean = Mean.ToArray(),
        Std = Std.ToArray(),
        Invert = drawing && InvertDrawings,
    };

    /// <summary>
    /// Normalises one grayscale image into <paramref name="destination"/>: <c>(pixel / 255 − mean) / std</c>,
    /// with the same float32 operations in the same order as the PyTorch training code, so both
    /// produce identical inputs.
    /// </summary>
    public void NormaliseGray(ReadOnlySpan<byte> pixels, Span<float> destination)
    {
        if (Channels != 1)
            throw new GlassboxException($"This model takes {Channels} channels; NormaliseGray is for one-channel models.");
        if (destination.Length < pixels.Length)
            throw new ArgumentException($"The destination holds {destination.Length} floats for {pixels.Length} pixels.");
        float mean = Mean[0], std = Std[0];
        for (int i = 0; i < pixels.Length; i++)
            destination[i] = (pixels[i] / 255f - mean) / std;
    }

    internal static ModelPreprocessing Parse(JsonElement json, string where)
    {
        var reader = new JsonFields(json, where);
        var result = new ModelPreprocessing
        {
            Layout = reader.String("layout", "NCHW"),
            Channels = reader.Int("channels"),
            Height = reader.Int("height"),
            Width = reader.Int("width"),
            Mean = reader.Floats("mean"),
            Std = reader.Floats("std"),
            InvertDrawings = reader.Bool("invert_drawings", false),
            Fit = reader.OptionalString("fit"),
            Resize = reader.OptionalString("resize") switch
            {
                null or "stretch" => ResizeMode.Stretch,
                "letterbox" => ResizeMode.Letterbox,
                "centre-crop" or "center-crop" => ResizeMode.CentreCrop,
                var other => throw new ModelPackageException($"{where}.resize is '{other}'; use \"stretch\", \"letterbox\" or \"centre-crop\"."),
            },
            Bgr = reader.OptionalString("channel_order") switch
            {
                null or "RGB" => false,
                "BGR" => true,
                var other => throw new ModelPackageException($"{where}.channel_order is '{other}'; use \"RGB\" or \"BGR\"."),
            },
        };
        return result.Validate(where);
    }

    private ModelPreprocessing Validate(string where)
    {
        if (Layout is not ("NCHW" or "NHWC"))
            throw new ModelPackageException($"{where}.layout is '{Layout}'; use \"NCHW\" or \"NHWC\".");
        if (Channels is not (1 or 3))
            throw new ModelPackageException($"{where}.channels is {Channels}; use 1 or 3.");
        if (Height <= 0 || Width <= 0)
            throw new ModelPackageException($"{where}.height and .width must be positive (got {Height}×{Width}).");
        foreach (var (name, values) in new[] { ("mean", Mean), ("std", Std) })
        {
            if (values.Length != 1 && values.Length != Channels)
                throw new ModelPackageException($"{where}.{name} has {values.Length} values for {Channels} channels; give one, or one per channel.");
        }
        if (Std.Any(s => s == 0f || !float.IsFinite(s)))
            throw new ModelPackageException($"{where}.std has a zero or non-finite value.");
        return this;
    }
}

/// <summary>Reads fields of a JSON object with errors that name the path to the field.</summary>
internal readonly struct JsonFields(JsonElement element, string where)
{
    public JsonElement Required(string name)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new ModelPackageException($"{where} must be a JSON object.");
        if (!element.TryGetProperty(name, out var value))
            throw new ModelPackageException($"{where}.{name} is missing.");
        return value;
    }

    public string String(string name, string? fallback = null)
    {
        if (fallback is not null && !element.TryGetProperty(name, out _))
            return fallback;
        var value = Required(name);
        return value.ValueKind == JsonValueKind.String ? value.GetString()! : throw Wrong(name, "a string", value);
    }

    public string? OptionalString(string name) =>
        element.TryGetProperty(name, out var value) ? value.ValueKind == JsonValueKind.String ? value.GetString() : throw Wrong(name, "a string", value) : null;

    public int Int(string name)
    {
        var value = Required(name);
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int i) ? i : throw Wrong(name, "an integer", value);
    }

    public bool Bool(string name, bool fallback)
    {
        if (!element.TryGetProperty(name, out var value))
            return fallback;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Wrong(name, "true or false", value),
        };
    }

    public ImmutableArray<float> Floats(string name)
    {
        var value = Required(name);
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
            throw Wrong(name, "a non-empty array of numbers", value);
        var builder = ImmutableArray.CreateBuilder<float>();
        foreach (var item in value.EnumerateArray())
            builder.Add(item.ValueKind == JsonValueKind.Number ? item.GetSingle() : throw Wrong(name, "a non-empty array of numbers", value));
        return builder.ToImmutable();
    }

    public ImmutableArray<string> Strings(string name)
    {
        var value = Required(name);
        if (value.ValueKind != JsonValueKind.Array)
            throw Wrong(name, "an array of strings", value);
        var builder = ImmutableArray.CreateBuilder<string>();
        foreach (var item in value.EnumerateArray())
            builder.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw Wrong(name, "an array of strings", value));
        return builder.ToImmutable();
    }

    private ModelPackageException Wrong(string name, string expected, JsonElement actual) =>
        new($"{where}.{name} must be {expected}, not {actual.ValueKind.ToString().ToLowerInvariant()} {Shorten(actual.GetRawText())}.");

    private static string Shorten(string text) => text.Length > 40 ? text[..40] + "…" : text;
}
