namespace Turnstone.Devices.Timers;

/// <summary>
/// How a halted vCPU waits without spinning: it sleeps until the earliest timer deadline
/// (<see cref="IDeadlineTimer.NextDeadlineNanoseconds"/>) or until another thread calls
/// <see cref="Wake"/> (set it as <c>LocalApic.InterruptPending</c>), whichever comes first.
/// A wake that arrives before the sleep makes the sleep return at once, so none is lost; a
/// spurious early return is harmless because the vCPU looks at its APIC again either way.
/// </summary>
public sealed class VcpuWakeSignal : IDisposable
{
    private readonly ManualResetEventSlim _signal = new(initialState: false);

    /// <summary>Wakes the sleeping vCPU (from any thread).</summary>
    public void Wake() => _signal.Set();

    /// <summary>
    /// Sleeps until woken or until <paramref name="clock"/> reaches <paramref name="deadlineNanoseconds"/>
    /// (null: until woken). True when woken, false when the deadline came. Never returns before the
    /// deadline unless woken; the host's timed waits have millisecond granularity, so it may return
    /// up to about a millisecond after it.
    /// </summary>
    public bool SleepUntil(IGuestClock clock, long? deadlineNanoseconds, CancellationToken cancellation = default)
    {
        while (true)
        {
            int timeoutMilliseconds = Timeout.Infinite;
            if (deadlineNanoseconds is { } deadline)
            {
                long remaining = deadline - clock.NowNanoseconds;
                if (remaining <= 0)
                {
                    return ConsumeWake();
                }
                timeoutMilliseconds = (int)Math.Min(int.MaxValue, (remaining + 999_999) / 1_000_000);
            }
            if (_signal.Wait(timeoutMilliseconds, cancellation))
            {
                _signal.Reset();
                return true;
            }
        }
    }

    private bool ConsumeWake()
    {
        bool woken = _signal.IsSet;
        _signal.Reset();
        return woken;
    }

    public void Dispose() => _signal.Dispose();
}
