namespace Turnstone.Machine.Terminal;

/// <summary>
/// The guest's console output (UART bytes, BIOS video calls, hvc0), held for at most
/// <see cref="DefaultHoldFor"/> and then written to the host in one piece. Unbatched, the UART cost a
/// write(2) per byte and a BIOS character two to four (a cursor move, a colour, the glyph):
/// GRUB's 52 characters before a Debian kernel took 1.3-2.4 ms of the firmware's share on this
/// host. A few milliseconds is below what a person sees on a terminal; <see cref="Flush"/> (hvc0
/// after each batch, the run's end) writes what is held at once, so output keeps its order across
/// writers. Thread-safe: the timer writes from the thread pool. A write the host refuses (the
/// reader went away) drops the held bytes: a caller's own Flush or oversize Write sees the
/// <see cref="IOException"/>, the timer drops them quietly, as the writers themselves do.
/// </summary>
public sealed class BatchedConsoleOutput : HostIo.WriteOnlyStream
{
    public static readonly TimeSpan DefaultHoldFor = TimeSpan.FromMilliseconds(5);

    /// <summary>Held bytes beyond which a write goes out at once (a full screen redraw is under 8 KiB).</summary>
    public const int Capacity = 16 << 10;

    private static readonly TimeSpan StuckWriterWait = TimeSpan.FromMilliseconds(100);

    private readonly Stream _host;
    private readonly TimeSpan _holdFor;
    private readonly byte[] _held = new byte[Capacity];
    private readonly Lock _lock = new();
    private readonly Timer _timer;
    private int _length;
    private bool _timerArmed;
    private volatile bool _stalled;

    public BatchedConsoleOutput(Stream host, TimeSpan? holdFor = null)
    {
        _host = host;
        _holdFor = holdFor ?? DefaultHoldFor;
        _timer = new Timer(_ => FlushQuietly());
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        lock (_lock)
        {
            if (_length + buffer.Length > Capacity)
            {
                WriteHeld();
                if (buffer.Length > Capacity)
                {
                    _host.Write(buffer);
                    return;
                }
            }
            buffer.CopyTo(_held.AsSpan(_length));
            _length += buffer.Length;
            if (!_timerArmed)
            {
                _timerArmed = true;
                _timer.Change(_holdFor, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>Writes the held bytes now.</summary>
    public override void Flush()
    {
        lock (_lock)
        {
            WriteHeld();
            _host.Flush();
        }
    }

    private void FlushQuietly()
    {
        try
        {
            Flush();
        }
        catch (IOException)
        {
            // The terminal went away (closed pipe): the guest keeps running, its output is dropped.
        }
    }

    private void WriteHeld()
    {
        _timerArmed = false;
        if (_length > 0)
        {
            int length = _length;
            _length = 0;
            _host.Write(_held.AsSpan(0, length));
        }
    }

    /// <summary>
    /// Writes what is held from a thread of its own and waits at most <paramref name="wait"/> for
    /// it: false when the host did not take the bytes in time (a terminal stopped with Ctrl-S, a
    /// pipe nobody reads), which leaves that write behind so a stopping run is not held by it.
    /// </summary>
    public bool TryFlush(TimeSpan wait)
    {
        if (_stalled)
        {
            return false;
        }
        var writer = new Thread(FlushQuietly) { IsBackground = true, Name = "console flush" };
        writer.Start();
        _stalled = !writer.Join(wait);
        return !_stalled;
    }

    /// <summary>Stops the timer and writes what is still held (what hvc0's worker wrote after the run's
    /// last flush), waiting at most <see cref="StuckWriterWait"/> for a host that does not take it.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _timer.Dispose();
            TryFlush(StuckWriterWait);
        }
        base.Dispose(disposing);
    }
}
