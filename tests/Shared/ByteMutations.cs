namespace Glassbox.Tests;

/// <summary>The fuzz tests' seeded mutations of a binary file: bits flipped, bytes overwritten, slices duplicated or deleted, or the file cut short.</summary>
internal static class ByteMutations
{
    public static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = original.ToArray();
        int edits = 1 + random.Next(4);
        for (int e = 0; e < edits; e++)
        {
            switch (random.Next(5))
            {
                case 0: // flip a bit
                    int bit = random.Next(bytes.Length * 8);
                    bytes[bit / 8] ^= (byte)(1 << (bit % 8));
                    break;
                case 1: // overwrite a few bytes, favouring values that matter to binary formats (lengths, tags, sizes)
                    int at = random.Next(bytes.Length);
                    for (int i = at; i < Math.Min(bytes.Length, at + 1 + random.Next(4)); i++)
                        bytes[i] = random.Next(3) switch { 0 => 0xFF, 1 => 0x00, _ => (byte)random.Next(256) };
                    break;
                case 2: // cut short
                    bytes = bytes[..random.Next(1, bytes.Length)];
                    break;
                case 3: // duplicate a slice in place
                    int start = random.Next(bytes.Length), length = Math.Min(bytes.Length - start, 1 + random.Next(64));
                    bytes = [.. bytes[..start], .. bytes.AsSpan(start, length), .. bytes[start..]];
                    break;
                default: // delete a slice
                    int from = random.Next(bytes.Length), count = Math.Min(bytes.Length - from, 1 + random.Next(32));
                    bytes = [.. bytes[..from], .. bytes[(from + count)..]];
                    break;
            }
            if (bytes.Length == 0)
                bytes = [0];
        }
        return bytes;
    }
}
