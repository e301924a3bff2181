using System.Text.Json;

namespace Glassbox.Tests;

/// <summary>A tensor stored by the PyTorch fixture tools: little-endian float32 plus its shape in index.json.</summary>
internal sealed record FloatFixture(long[] Shape, float[] Values)
{
    public static FloatFixture Read(string directory, JsonElement entry)
    {
        var shape = entry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var bytes = File.ReadAllBytes(Path.Combine(directory, entry.GetProperty("file").GetString()!));
        var values = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        Assert.That(values.LongLength, Is.EqualTo(shape.Aggregate(1L, (a, b) => a * b)), "fixture size matches its shape");
        return new FloatFixture(shape, values);
    }
}
