using System.Text.Json;

namespace Glassbox.Tests;

/// <summary>tests/fixtures/tiny-cnn: a model, one input and what PyTorch computed for it (tools/fixtures/make_tiny_cnn.py).</summary>
internal sealed class TinyCnnFixture
{
    private TinyCnnFixture(string directory, JsonElement index)
    {
        Directory = directory;
        ModelPath = Path.Combine(directory, index.GetProperty("model").GetString()!);
        InputName = index.GetProperty("input").GetProperty("name").GetString()!;
        Input = FloatFixture.Read(directory, index.GetProperty("input"));
        Logits = FloatFixture.Read(directory, index.GetProperty("outputs").GetProperty("logits"));
        var intermediate = index.GetProperty("intermediates").EnumerateObject().First();
        TapName = intermediate.Name;
        Tap = FloatFixture.Read(directory, intermediate.Value);
        Top1 = index.GetProperty("top1").GetInt32();
    }

    public string Directory { get; }
    public string ModelPath { get; }
    public string InputName { get; }
    public FloatFixture Input { get; }
    public FloatFixture Logits { get; }
    public string TapName { get; }
    public FloatFixture Tap { get; }
    public int Top1 { get; }

    public static TinyCnnFixture Load()
    {
        string dir = RepoPaths.Fixture("tiny-cnn");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "index.json")));
        return new TinyCnnFixture(dir, doc.RootElement.Clone());
    }
}
