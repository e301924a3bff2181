namespace Glassbox.Media;

/// <summary>Where a <see cref="ReconnectingSource"/> stands.</summary>
public enum SourceState
{
    /// <summary>Frames are arriving.</summary>
    Running,
    /// <summary>The pipeline failed (or could not start); it is reopened when the backoff has passed.</summary>
    Waiting,
    /// <summary>A finite source delivered its last frame.</summary>
    Ended,
}

/// <summary>
/// A frame source that survives failing — a camera unplugged, a stream cut, a host that stopped
/// pushing pixels and threw — by reopening it after a backoff that doubles up to a limit and resets once frames flow again. Reads
/// never block past their timeout, so a live app keeps drawing while the source recovers. The
/// sequence numbers continue across reconnections. Use from one thread (the capture thread).
/// </summary>
public sealed class ReconnectingSource : IDisposable
{
    private readonly Func<IFrameSource> _open;
    private readonly TimeSpan _initialBackoff, _maxBackoff;
    private readonly TimeProvider _time;
    private readonly long _start;
    private IFrameSource? _source;
    private TimeSpan _backoff, _retryAt;
    private long _sequence;

    /// <param name="open">Opens the source; called at the first read and again after each failure once the backoff has passed.</param>
    /// <param name="time">The clock backoffs are measured on; the system clock if null.</param>
    public ReconnectingSource(Func<IFrameSource> open, TimeSpan? initialBackoff = null, TimeSpan? maxBackoff = null, TimeProvider? time = null)
    {
        _open = open;
        _time = time ?? TimeProvider.System;
        _start = _time.GetTimestamp();
        _initialBackoff = initialBackoff ?? TimeSpan.FromMilliseconds(500);
        _maxBackoff = maxBackoff ?? TimeSpan.FromSeconds(10);
        if (_initialBackoff <= TimeSpan.Zero || _maxBackoff < _initialBackoff)
            throw new ArgumentException("Backoffs must be positive, the maximum no smaller than the first.");
        _backoff = _initialBackoff;
        State = SourceState.Waiting;
    }

    public SourceState State { get; private set; }

    /// <summary>The last failure's message, kept until the next one (for a status panel or a health file).</summary>
    public string? LastError { get; private set; }

    /// <summary>How many times the pipeline was reopened after a failure.</summary>
    public int Reconnections { get; private set; }

    public bool TryRead(TimeSpan timeout, FrameBuffer target)
    {
        if (State == SourceState.Ended)
            return false;
        if (_source is null)
        {
            if (Now < _retryAt)
            {
                // Waits out the read's timeout at most, so the capture thread still comes round its loop.
                var wait = Min(timeout, _retryAt - Now);
                if (wait > TimeSpan.Zero)
                    Thread.Sleep(wait);
                return false;
            }
            try
            {
                _source = _open();
                if (LastError is not null)
                    Reconnections++;
            }
            catch (Exception e) when (IsSourceFailure(e))
            {
                Fail(Explain(e));
                return false;
            }
        }
        try
        {
            if (_source.TryRead(timeout, target))
            {
                target.Sequence = ++_sequence;
                State = SourceState.Running;
                _backoff = _initialBackoff;
                return true;
            }
            if (_source.EndOfStream)
                State = SourceState.Ended;
            return false;
        }
        catch (Exception e) when (IsSourceFailure(e))
        {
            Fail(Explain(e));
            return false;
        }
    }

    // Whatever a source throws (one written by a host may throw anything) is its failure: the capture thread
    // must never die of it. Only the runtime's own emergencies go up.
    private static bool IsSourceFailure(Exception e) => e is not (OutOfMemoryException or StackOverflowException or ThreadAbortException);

    private static string Explain(Exception e) => e is GlassboxException ? e.Message : $"the source threw {e.GetType().Name}: {e.Message}";

    public void Dispose()
    {
        _source?.Dispose();
        _source = null;
    }

    private void Fail(string message)
    {
        LastError = message;
        State = SourceState.Waiting;
        _source?.Dispose();
        _source = null;
        _retryAt = Now + _backoff;
        _backoff = Min(_backoff * 2, _maxBackoff);
    }

    private TimeSpan Now => _time.GetElapsedTime(_start);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
