using System.Runtime.InteropServices;

namespace Glassbox.Media;

/// <summary>
/// Frames a host engine pushes from its own pixels (a camera texture, a render target read back, a
/// decoded clip): the engine calls <see cref="Push(ReadOnlySpan{byte}, int, int, int, bool)"/> on its
/// thread, a feed reads the newest on its capture thread through <see cref="OpenReader"/>. Frames pushed
/// faster than they are read replace each other (latest wins). Once a frame of the same size has been
/// pushed, pushing and reading allocate nothing.
/// </summary>
/// <remarks>
/// The engine owns this object and disposes it; a feed owns only the readers it opens (disposing one, as
/// a feed does when it is disabled or its source fails, leaves the pixel source open for the next).
/// </remarks>
public sealed class PixelSource : IDisposable
{
    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly long _start;
    private RgbaImage? _pending;
    private bool _fresh, _ended, _disposed;

    /// <param name="description">How status lines name the source ("engine camera").</param>
    /// <param name="time">The clock frames are stamped with; the system clock if null.</param>
    public PixelSource(string description = "host pixels", TimeProvider? time = null)
    {
        Description = description;
        _time = time ?? TimeProvider.System;
        _start = _time.GetTimestamp();
    }

    public string Description { get; }

    /// <summary>A reader of the newest frame, for a feed: <c>new FrameFeed { Source = pixels.OpenReader }</c>.</summary>
    public IFrameSource OpenReader() => new Reader(this);

    /// <summary>True once <see cref="Complete"/> was called and the last frame has been read.</summary>
    public bool EndOfStream
    {
        get
        {
            lock (_gate)
                return _ended && !_fresh;
        }
    }

    /// <summary>Frames pushed so far.</summary>
    public long Pushed { get; private set; }

    /// <summary>
    /// Copies one RGBA8 frame in: <paramref name="stride"/> bytes per row (at least width × 4; 0 for
    /// tightly packed rows), row 0 at the top unless <paramref name="bottomUp"/> (as GL reads a texture back).
    /// </summary>
    public void Push(ReadOnlySpan<byte> rgba, int width, int height, int stride = 0, bool bottomUp = false)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentException($"A frame of {width}×{height} is empty; both sides must be at least 1 pixel.");
        int row = checked(width * 4);
        if (stride == 0)
            stride = row;
        if (stride < row)
            throw new ArgumentException($"A stride of {stride} bytes is shorter than a row of {width} RGBA pixels ({row} bytes).");
        if (rgba.Length < (long)stride * (height - 1) + row)
            throw new ArgumentException($"{rgba.Length} bytes are too few for {width}×{height} RGBA rows of stride {stride}.");
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_pending is not { } image || image.Width != width || image.Height != height)
                _pending = image = new RgbaImage(width, height);
            var target = MemoryMarshal.AsBytes(image.Pixels.AsSpan());
            for (int y = 0; y < height; y++)
                rgba.Slice((bottomUp ? height - 1 - y : y) * stride, row).CopyTo(target.Slice(y * row, row));
            _fresh = true;
            Pushed++;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Copies an image in.</summary>
    public void Push(RgbaImage image) =>
        Push(MemoryMarshal.AsBytes(image.Pixels.AsSpan()), image.Width, image.Height);

    /// <summary>Says no more frames will come: the source ends once the last one has been read.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            _ended = true;
            Monitor.PulseAll(_gate);
        }
    }

    private bool TryRead(TimeSpan timeout, FrameBuffer target)
    {
        lock (_gate)
        {
            if (_disposed)
                throw new GlassboxException($"{Description}: the host disposed this pixel source; frames stop until it gives the feed another.");
            if (!_fresh && !_ended && timeout > TimeSpan.Zero)
                Monitor.Wait(_gate, timeout);
            if (!_fresh || _pending is not { } image)
                return false;
            image.Pixels.AsSpan().CopyTo(target.Reserve(image.Width, image.Height).Pixels);
            target.Timestamp = _time.GetElapsedTime(_start);
            _fresh = false;
            return true;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>What a feed holds: reads the pixel source; disposing it leaves the source open.</summary>
    private sealed class Reader(PixelSource pixels) : IFrameSource
    {
        public string Description => pixels.Description;

        public bool EndOfStream => pixels.EndOfStream;

        public bool TryRead(TimeSpan timeout, FrameBuffer target) => pixels.TryRead(timeout, target);

        public void Dispose()
        {
        }
    }
}
