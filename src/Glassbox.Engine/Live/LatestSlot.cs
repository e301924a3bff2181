namespace Glassbox.Engine.Live;

/// <summary>
/// A "latest wins" hand-over between two threads: the producer publishes, the consumer takes the
/// newest item or peeks at it; an item not taken before the next is published is dropped (and
/// counted), so no queue grows and a slow consumer always sees the freshest data.
/// </summary>
internal sealed class LatestSlot<T> : IDisposable where T : class
{
    private readonly SemaphoreSlim _signal = new(0, 1);
    private T? _item;
    private T? _latest;
    private long _published;
    private long _dropped;

    public long Published => Interlocked.Read(ref _published);

    /// <summary>Items replaced before anyone took them.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>True while an item waits that the consumer has not taken.</summary>
    public bool HasWaiting => Volatile.Read(ref _item) is not null;

    /// <summary>The item waiting to be taken, if any, left in place.</summary>
    public T? Waiting => Volatile.Read(ref _item);

    /// <summary>The newest item published, taken or not; null before the first.</summary>
    public T? Latest => Volatile.Read(ref _latest);

    public void Publish(T item)
    {
        ArgumentNullException.ThrowIfNull(item);
        Volatile.Write(ref _latest, item);
        if (Interlocked.Exchange(ref _item, item) is not null)
            Interlocked.Increment(ref _dropped);
        Interlocked.Increment(ref _published);
        lock (_signal)
        {
            if (_signal.CurrentCount == 0)
                _signal.Release();
        }
    }

    /// <summary>The item waiting, removing it; null when none arrived since the last take.</summary>
    public T? TryTake() => Interlocked.Exchange(ref _item, null);

    /// <summary>Waits until an item is published or the timeout passes; true when one may be waiting.</summary>
    public bool Wait(TimeSpan timeout, CancellationToken cancellation)
    {
        try
        {
            return _signal.Wait(timeout, cancellation);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose() => _signal.Dispose();
}
