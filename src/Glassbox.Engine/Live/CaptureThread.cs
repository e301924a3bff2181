using Glassbox.Media;

namespace Glassbox.Engine.Live;

/// <summary>
/// The capture thread of the live loop: reads a (reconnecting) source into three reused frames and
/// hands the newest to the scene through a latest-wins slot. The frame the scene holds and the one
/// waiting in the slot are never written, so in steady state capture allocates nothing. A failing
/// source keeps retrying with backoff (camera unplugged and plugged back) and never blocks a frame.
/// </summary>
internal sealed class CaptureThread : IDisposable
{
    private readonly ReconnectingSource _source;
    private readonly FrameBuffer[] _frames = [new(), new(), new()];
    private readonly LatestSlot<FrameBuffer> _slot = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly WatchedThread _thread;
    private readonly object _ownership = new();
    private FrameBuffer? _heldByScene;

    /// <param name="clock">The clock <see cref="SinceProgress"/> is measured on; the system clock if null.</param>
    public CaptureThread(ReconnectingSource source, string name, TimeProvider? clock = null)
    {
        _source = source;
        _thread = new WatchedThread($"Glassbox capture: {name}", ReadFrames, ReleaseResources, clock ?? TimeProvider.System);
        _thread.Start();
    }

    /// <summary>Frames read from the source.</summary>
    public long Captured => _slot.Published;

    /// <summary>Frames replaced before the scene took them.</summary>
    public long Dropped => _slot.Dropped;

    public SourceState State => _source.State;

    public string? LastError => _source.LastError;

    public int Reconnections => _source.Reconnections;

    /// <summary>
    /// Time since the thread last came round its loop; reads wait at most 100 ms, so a long value means
    /// the source is stuck inside a call (a driver or pipeline that never returns).
    /// </summary>
    public TimeSpan SinceProgress => _thread.SinceProgress;

    /// <summary>
    /// The newest frame if one arrived since the last call, else null. The returned frame stays
    /// untouched until the next call that returns a frame.
    /// </summary>
    public FrameBuffer? TakeNewest()
    {
        lock (_ownership)
        {
            var newest = _slot.TryTake();
            if (newest is not null)
                _heldByScene = newest;
            return newest;
        }
    }

    /// <summary>
    /// Stops the thread. One stuck inside the source for 2 s is abandoned (it is a background thread) and
    /// releases the source itself when the call returns: disposing it underneath could crash in native code.
    /// </summary>
    public void Dispose()
    {
        _stop.Cancel();
        _thread.Stop(TimeSpan.FromSeconds(2));
    }

    private void ReleaseResources()
    {
        _source.Dispose();
        _slot.Dispose();
        _stop.Dispose();
    }

    private void ReadFrames()
    {
        int next = 0;
        while (!_stop.IsCancellationRequested)
        {
            _thread.Beat();
            // A frame neither held by the scene nor the newest published (which the scene may take next);
            // of three, one is always free. Chosen under the lock the scene takes frames under.
            FrameBuffer target;
            lock (_ownership)
            {
                do
                {
                    target = _frames[next];
                    next = (next + 1) % _frames.Length;
                }
                while (ReferenceEquals(target, _heldByScene) || ReferenceEquals(target, _slot.Latest));
            }
            try
            {
                if (_source.TryRead(TimeSpan.FromMilliseconds(100), target))
                    _slot.Publish(target);
            }
            catch (GlassboxException)
            {
                // ReconnectingSource keeps the message in LastError and retries; nothing to do here.
            }
        }
    }
}
