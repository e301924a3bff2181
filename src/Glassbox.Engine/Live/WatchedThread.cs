namespace Glassbox.Engine.Live;

/// <summary>
/// A background thread that shows its progress and can be let go when stuck: the loop calls
/// <see cref="Beat"/> each time round, a watchdog reads <see cref="SinceProgress"/>, and <see cref="Stop"/>
/// waits a while for it. The resources the loop uses are released exactly once, by whoever finishes last:
/// by <see cref="Stop"/> when the thread ended in time, or by the thread itself when a stuck call finally
/// returns (freeing a session or a pipeline under a running call could crash in native code).
/// </summary>
internal sealed class WatchedThread
{
    private const int Running = 0, Ended = 1, Abandoned = 2;
    private readonly Thread _thread;
    private readonly Action _release;
    private readonly TimeProvider _clock;
    private long _heartbeat;
    private int _state;

    /// <param name="clock">The clock progress is measured on (a watchdog test moves a fake one).</param>
    public WatchedThread(string name, Action loop, Action release, TimeProvider clock)
    {
        _release = release;
        _clock = clock;
        _heartbeat = clock.GetTimestamp();
        _thread = new Thread(() =>
        {
            try
            {
                loop();
            }
            finally
            {
                if (Interlocked.CompareExchange(ref _state, Ended, Running) == Abandoned)
                    _release();
            }
        }) { Name = name, IsBackground = true };
    }

    /// <summary>Starts the loop; separate from construction so the owner holds this object before the loop runs.</summary>
    public void Start() => _thread.Start();

    /// <summary>Time since the loop last called <see cref="Beat"/>.</summary>
    public TimeSpan SinceProgress => _clock.GetElapsedTime(Interlocked.Read(ref _heartbeat));

    public void Beat() => Interlocked.Exchange(ref _heartbeat, _clock.GetTimestamp());

    /// <summary>
    /// Waits up to <paramref name="wait"/> for the loop (which must have been told to stop) to end. Returns
    /// false when it had to be abandoned; its resources are then released when it ends.
    /// </summary>
    public bool Stop(TimeSpan wait)
    {
        if (!_thread.Join(wait) && Interlocked.CompareExchange(ref _state, Abandoned, Running) == Running)
            return false;
        _release();
        return true;
    }
}
