namespace Glassbox.Graphics.Passes;

/// <summary>Colormap tables uploaded once per kind, for the passes that colour values.</summary>
internal sealed class ColormapTables(GlContext context) : IDisposable
{
    private readonly Dictionary<ColormapKind, StorageBuffer> _tables = [];

    public StorageBuffer this[ColormapKind kind]
    {
        get
        {
            if (!_tables.TryGetValue(kind, out var table))
            {
                table = new StorageBuffer(context, Colormaps.Size * sizeof(uint));
                table.Write<uint>(Colormaps.PackedTable(kind));
                _tables[kind] = table;
            }
            return table;
        }
    }

    public void Dispose()
    {
        foreach (var table in _tables.Values)
            table.Dispose();
        _tables.Clear();
    }
}

internal static class PassBuffers
{
    /// <summary>The buffer if it holds <paramref name="bytes"/>, else a larger replacement (the old one is disposed).</summary>
    public static StorageBuffer Grow(GlContext context, StorageBuffer? buffer, long bytes)
    {
        if (buffer is not null && buffer.SizeInBytes >= bytes)
            return buffer;
        buffer?.Dispose();
        return new StorageBuffer(context, Math.Max(bytes, 16));
    }
}
