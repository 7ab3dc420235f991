using Turnstone.Devices.Timers;

namespace Turnstone.Devices.InterruptControllers;

/// <summary>
/// The APIC timer: the initial count runs down at the timer frequency over the divide value,
/// once (one-shot) or over and over (periodic), or the timer fires when the TSC reaches
/// IA32_TSC_DEADLINE. Times are kept as clock deadlines, so nothing ticks while the guest waits.
/// </summary>
public sealed partial class LocalApic
{
    /// <summary>
    /// A periodic timer never fires more often than this (KVM's min_timer_period_us default), so a
    /// guest programming a period of a few counts cannot flood the vCPU thread.
    /// </summary>
    public const long MinimumPeriodNanoseconds = 200_000;

    private const int OneShot = 0, Periodic = 1, TscDeadlineMode = 2;

    private uint _timerInitialCount;
    private uint _timerDivide;
    private long? _timerExpiry;
    private long _timerPeriod;
    private ulong _tscDeadline;

    private int TimerMode => (int)(_lvt[LvtTimerIndex] >> 17 & 3);

    /// <summary>The divide configuration register's divisor: bits 0, 1 and 3 give 2, 4, ... 128, and 0b111 divides by 1.</summary>
    private int TimerDivisor
    {
        get
        {
            int code = (int)(_timerDivide & 3 | (_timerDivide & 8) >> 1);
            return code == 7 ? 1 : 2 << code;
        }
    }

    private void ResetTimer()
    {
        _timerInitialCount = 0;
        _timerDivide = 0;
        _timerExpiry = null;
        _timerPeriod = 0;
        _tscDeadline = 0;
    }

    private long CountDuration(long count, int divisor) => TimeConversion.NanosecondsFor(count * divisor, TimerFrequencyHz);

    /// <summary>The TSC the CPU must show for TSC-deadline mode to agree with it: the clock at <see cref="TscFrequencyHz"/>.</summary>
    public ulong ReadTimeStampCounter() => (ulong)TimeConversion.TicksIn(_clock.NowNanoseconds, TscFrequencyHz);

    /// <summary>IA32_TSC_DEADLINE (MSR 0x6E0): reads 0 and ignores writes outside TSC-deadline mode; 0 disarms.
    /// After a write the vCPU loop must look at <see cref="NextDeadlineNanoseconds"/> again (a past deadline is due at once).</summary>
    public ulong TscDeadline
    {
        get
        {
            lock (_gate)
            {
                return TimerMode == TscDeadlineMode ? _tscDeadline : 0;
            }
        }
        set
        {
            lock (_gate)
            {
                if (TimerMode == TscDeadlineMode)
                {
                    _tscDeadline = value;
                }
            }
        }
    }

    private void WriteTimerInitialCount(uint value)
    {
        int mode = TimerMode;
        if (mode == TscDeadlineMode)
        {
            return; // the SDM: ignored in TSC-deadline mode
        }
        _timerInitialCount = value;
        if (value == 0 || mode is not (OneShot or Periodic))
        {
            _timerExpiry = null;
            return;
        }
        long duration = CountDuration(value, TimerDivisor);
        _timerPeriod = mode == Periodic ? Math.Max(duration, MinimumPeriodNanoseconds) : 0;
        _timerExpiry = _clock.NowNanoseconds + (mode == Periodic ? _timerPeriod : duration);
    }

    private void WriteTimerDivide(uint value)
    {
        int oldDivisor = TimerDivisor;
        _timerDivide = value & 0xB;
        int newDivisor = TimerDivisor;
        if (_timerExpiry is not { } expiry || oldDivisor == newDivisor)
        {
            return;
        }
        // A running count keeps counting, at the new rate.
        long now = _clock.NowNanoseconds;
        long remaining = Math.Max(0, expiry - now);
        _timerExpiry = now + (long)((Int128)remaining * newDivisor / oldDivisor);
        if (_timerPeriod != 0)
        {
            _timerPeriod = Math.Max(CountDuration(_timerInitialCount, newDivisor), MinimumPeriodNanoseconds);
        }
    }

    private uint TimerCurrentCount(long now)
    {
        if (_timerExpiry is not { } expiry || TimerMode == TscDeadlineMode)
        {
            return 0;
        }
        long remaining = expiry - now;
        if (remaining <= 0)
        {
            if (_timerPeriod == 0)
            {
                return 0;
            }
            remaining = _timerPeriod - (now - expiry) % _timerPeriod;
        }
        int divisor = TimerDivisor;
        long count = (TimeConversion.TicksIn(remaining, TimerFrequencyHz) + divisor - 1) / divisor;
        return (uint)Math.Min(count, _timerInitialCount);
    }

    private bool WriteLvtTimer(uint value)
    {
        // Whatever came due under the old setting happens first (or is skipped, when it was masked).
        bool wake = ServiceTimerLocked(_clock.NowNanoseconds);
        int oldMode = TimerMode;
        _lvt[LvtTimerIndex] = value;
        int newMode = TimerMode;
        if ((oldMode == TscDeadlineMode) != (newMode == TscDeadlineMode))
        {
            // Switching to or from TSC-deadline mode disarms the timer (SDM 11.5.4.1).
            _timerInitialCount = 0;
            _timerExpiry = null;
            _tscDeadline = 0;
        }
        else if (oldMode != newMode && _timerExpiry is not null)
        {
            _timerPeriod = newMode == Periodic ? Math.Max(CountDuration(_timerInitialCount, TimerDivisor), MinimumPeriodNanoseconds) : 0;
        }
        return wake;
    }

    /// <summary>Fires the timer when due; true when that made an interrupt pending.</summary>
    private bool ServiceTimerLocked(long now)
    {
        bool due;
        if (TimerMode == TscDeadlineMode)
        {
            due = _tscDeadline != 0 && (ulong)TimeConversion.TicksIn(now, TscFrequencyHz) >= _tscDeadline;
            if (due)
            {
                _tscDeadline = 0; // the MSR reads 0 once the deadline has passed
            }
        }
        else if (_timerExpiry is { } expiry && now >= expiry)
        {
            due = true;
            // Missed periods coalesce: the next expiry is the first period boundary after now.
            _timerExpiry = _timerPeriod == 0 ? null : expiry + _timerPeriod * ((now - expiry) / _timerPeriod + 1);
        }
        else
        {
            due = false;
        }
        uint lvt = _lvt[LvtTimerIndex];
        return due && (lvt & LvtMasked) == 0 && AcceptFixed((byte)lvt, levelTriggered: false);
    }

    public long? NextDeadlineNanoseconds
    {
        get
        {
            lock (_gate)
            {
                if ((_lvt[LvtTimerIndex] & LvtMasked) != 0)
                {
                    return null; // a masked timer raises nothing; WriteLvtTimer catches up when it is unmasked
                }
                if (TimerMode == TscDeadlineMode)
                {
                    if (_tscDeadline == 0)
                    {
                        return null;
                    }
                    Int128 nanoseconds = ((Int128)_tscDeadline * TimeConversion.NanosecondsPerSecond + TscFrequencyHz - 1) / TscFrequencyHz;
                    return nanoseconds > long.MaxValue ? long.MaxValue : (long)nanoseconds;
                }
                return _timerExpiry;
            }
        }
    }

    public void Service()
    {
        bool wake;
        lock (_gate)
        {
            wake = ServiceTimerLocked(_clock.NowNanoseconds);
            wake |= TakeErrorInterrupt();
        }
        if (wake)
        {
            InterruptPending?.Invoke();
        }
    }
}
