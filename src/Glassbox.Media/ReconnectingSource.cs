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
/// A GStreamer source that survives its pipeline failing — a camera unplugged, a stream cut — by
/// reopening it after a backoff that doubles up to a limit and resets once frames flow again. Reads
/// never block past their timeout, so a live app keeps drawing while the source recovers. The
/// sequence numbers continue across reconnections. Use from one thread (the capture thread).
/// </summary>
public sealed class ReconnectingSource : IDisposable
{
    private readonly Func<GStreamerSource> _open;
    private readonly TimeSpan _initialBackoff, _maxBackoff;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private GStreamerSource? _source;
    private TimeSpan _backoff, _retryAt;
    private long _sequence;

    public ReconnectingSource(string description, TimeSpan? initialBackoff = null, TimeSpan? maxBackoff = null)
        : this(() => GStreamerSource.Open(description), initialBackoff, maxBackoff)
    {
    }

    public ReconnectingSource(Func<GStreamerSource> open, TimeSpan? initialBackoff = null, TimeSpan? maxBackoff = null)
    {
        _open = open;
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
            if (_clock.Elapsed < _retryAt)
            {
                Thread.Sleep(Min(timeout, _retryAt - _clock.Elapsed));
                return false;
            }
            try
            {
                _source = _open();
                if (LastError is not null)
                    Reconnections++;
            }
            catch (GlassboxException e)
            {
                Fail(e.Message);
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
        catch (GlassboxException e)
        {
            Fail(e.Message);
            return false;
        }
    }

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
        _retryAt = _clock.Elapsed + _backoff;
        _backoff = Min(_backoff * 2, _maxBackoff);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
