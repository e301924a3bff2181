using System.Runtime.InteropServices;
using Silk.NET.OpenGL;

namespace Glassbox.Graphics;

/// <summary>A GPU shader-storage buffer of a fixed size in bytes. Owned by one <see cref="GlContext"/>.</summary>
public sealed unsafe class StorageBuffer : IDisposable
{
    private readonly GlContext _context;
    private uint _id;

    public StorageBuffer(GlContext context, long sizeInBytes)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sizeInBytes);
        context.CheckThread();
        _context = context;
        SizeInBytes = sizeInBytes;
        var gl = context.Gl;
        uint id;
        gl.GenBuffers(1, &id);
        _id = id;
        gl.BindBuffer(GLEnum.ShaderStorageBuffer, _id);
        gl.BufferData(GLEnum.ShaderStorageBuffer, (nuint)sizeInBytes, null, GLEnum.DynamicCopy);
        gl.BindBuffer(GLEnum.ShaderStorageBuffer, 0);
    }

    public long SizeInBytes { get; }

    internal uint Id => _id;

    /// <summary>Copies <paramref name="data"/> into the buffer at <paramref name="offsetInBytes"/>.</summary>
    public void Write<T>(ReadOnlySpan<T> data, long offsetInBytes = 0) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(data);
        CheckRange(offsetInBytes, bytes.Length);
        var gl = _context.Gl;
        gl.BindBuffer(GLEnum.ShaderStorageBuffer, _id);
        fixed (byte* p = bytes)
            gl.BufferSubData(GLEnum.ShaderStorageBuffer, (nint)offsetInBytes, (nuint)bytes.Length, p);
        gl.BindBuffer(GLEnum.ShaderStorageBuffer, 0);
    }

    /// <summary>Sets the first <paramref name="count"/> 32-bit words to <paramref name="value"/> on the GPU.</summary>
    public void Fill(uint value, long count)
    {
        CheckRange(0, count * sizeof(uint));
        var gl = _context.Gl;
        gl.BindBuffer(GLEnum.ShaderStorageBuffer, _id);
        gl.ClearBufferSubData(GLEnum.ShaderStorageBuffer, GLEnum.R32ui, 0, (nuint)(count * sizeof(uint)), GLEnum.RedInteger, GLEnum.UnsignedInt, &value);
        gl.BindBuffer(GLEnum.ShaderStorageBuffer, 0);
    }

    /// <summary>Reads the buffer back into <paramref name="destination"/>; waits for the GPU writes before it.</summary>
    public void Read<T>(Span<T> destination, long offsetInBytes = 0) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(destination);
        CheckRange(offsetInBytes, bytes.Length);
        var gl = _context.Gl;
        gl.MemoryBarrier(MemoryBarrierMask.BufferUpdateBarrierBit);
        gl.BindBuffer(GLEnum.ShaderStorageBuffer, _id);
        fixed (byte* p = bytes)
            gl.GetBufferSubData(GLEnum.ShaderStorageBuffer, (nint)offsetInBytes, (nuint)bytes.Length, p);
        gl.BindBuffer(GLEnum.ShaderStorageBuffer, 0);
    }

    public void Dispose()
    {
        if (_id == 0)
            return;
        _context.CheckThread();
        uint id = _id;
        _context.Gl.DeleteBuffers(1, &id);
        _id = 0;
    }

    private void CheckRange(long offset, long length)
    {
        ObjectDisposedException.ThrowIf(_id == 0, this);
        _context.CheckThread();
        if (offset < 0 || offset + length > SizeInBytes)
            throw new ArgumentOutOfRangeException(nameof(offset), $"Bytes {offset}..{offset + length} are outside the buffer of {SizeInBytes} bytes.");
    }
}
