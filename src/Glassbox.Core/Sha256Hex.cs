using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Glassbox;

/// <summary>SHA-256 fingerprints in lower-case hex, as model manifests, explanation results and session recordings write them.</summary>
public static class Sha256Hex
{
    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Of the floats' little-endian bytes: equal hashes mean equal bits, on any machine.</summary>
    public static string Of(ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
            return Of(MemoryMarshal.AsBytes(values));
        var swapped = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
            swapped[i] = BinaryPrimitives.ReverseEndianness(BitConverter.SingleToInt32Bits(values[i]));
        return Of(MemoryMarshal.AsBytes(swapped.AsSpan()));
    }
}
