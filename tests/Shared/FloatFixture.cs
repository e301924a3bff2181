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

    /// <summary>A fixture file read by name and expected shape.</summary>
    public static FloatFixture Read(string directory, string file, long[] shape)
    {
        var bytes = File.ReadAllBytes(Path.Combine(directory, file));
        var values = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        Assert.That(values.LongLength, Is.EqualTo(shape.Aggregate(1L, (a, b) => a * b)), "fixture size matches its shape");
        return new FloatFixture(shape, values);
    }

    /// <summary>‖a − reference‖ / ‖reference‖ in double precision: how far an engine's tensor is from a reference one.</summary>
    public static double RelativeL2(float[] a, float[] reference)
    {
        Assert.That(a, Has.Length.EqualTo(reference.Length), "element count");
        return Math.Sqrt(a.Zip(reference, (x, y) => (double)(x - y) * (x - y)).Sum() / Math.Max(reference.Sum(y => (double)y * y), 1e-30));
    }
}
