namespace Turnstone.Devices.Timers;

/// <summary>
/// The guest clock of a vCPU run by a host thread between looks at its timers (the software
/// engine): host time, except that while the vCPU runs the guest never sees it pass the next timer
/// deadline before that timer has been serviced. The clock stands at the deadline until the vCPU
/// loop's next <see cref="Step"/> raises the interrupt, so every timer fires exactly on time in
/// guest time, however long the slice, exit or host stall that crossed it; with no timer armed a
/// step shows at most <see cref="MaxStepNanoseconds"/>. The host time so held
/// back (<see cref="LagNanoseconds"/>) is given back while the guest runs, an eighth faster than
/// the host, until guest time is host time again.
/// </summary>
/// <remarks>
/// Why: Linux's periodic tick re-arms each tick from the time its handler reads, so every
/// microsecond between a deadline and the handler stretches that tick. Until its clocksource
/// switch at fs_initcall the kernel keeps time with jiffies; its clocksource watchdog compares
/// jiffies with the TSC every 0.5 s and marks the TSC unstable beyond about 12%. Handlers late by
/// a slice (20,000 instructions) or a host stall made Debian's cloud kernel's ticks 4.5 ms long
/// (jiffies 512 ms against TSC 580-646 ms), so it fell back to refined-jiffies and its clock
/// wandered. With the deadline held, a tick is late only by the guest's own interrupt path, and a
/// host stall inside that path (no timer armed until the handler programs the next) shows as 1 ms.
/// A stall while a timer is armed shows up to its deadline: after boot that is the tick, at most
/// 4 ms, which Linux's high-resolution tick takes in its stride.
/// <para>
/// A halted vCPU (<see cref="EnterIdle"/>, <see cref="LeaveIdle"/>) sees host time unheld: time
/// asleep is the guest's own, so an idle guest's clock runs at exactly the host's rate (a wake-up
/// the host runs late is late for the guest too), and nothing is given back meanwhile. Read and
/// stepped on the vCPU thread only.
/// </para>
/// </remarks>
public sealed class VcpuPacedClock(IGuestClock host) : IGuestClock
{
    /// <summary>
    /// The most guest time one step can take while no timer is armed (between a tick and its
    /// handler's next programming, or a guest that arms none): a step is normally one slice
    /// (<c>SoftwareVcpuInterrupts.SliceInstructions</c>, about 0.2-0.4 ms) or one exit, so only a
    /// stall of the host thread reaches this bound. With a timer armed, its deadline is the bound.
    /// </summary>
    public const long MaxStepNanoseconds = 1_000_000;

    /// <summary>Held-back time is given back at this fraction of the time the guest runs.</summary>
    public const int CatchUpDivisor = 8;

    private long _lag;
    private long _last = host.NowNanoseconds;
    private long _hold = long.MaxValue;
    private bool _idle;

    /// <summary>How far the clock may go before the next step: the armed deadline, else a bounded step.</summary>
    private long Bound => _hold != long.MaxValue ? _hold : _last + MaxStepNanoseconds;

    /// <summary>How far guest time is behind host time now.</summary>
    public long LagNanoseconds => _lag;

    /// <summary>All host time held back from the guest so far (some of it given back since).</summary>
    public long HeldBackNanoseconds { get; private set; }

    public long NowNanoseconds
    {
        get
        {
            long guest = host.NowNanoseconds - _lag;
            return _idle ? guest : Math.Max(_last, Math.Min(guest, Bound));
        }
    }

    /// <summary>
    /// Before each entry into the guest: the guest time now, no later than the deadline the last
    /// step was given (held there when the host has gone past it), with a part of the held-back
    /// time given back when there was room.
    /// </summary>
    public long Step()
    {
        long guest = host.NowNanoseconds - _lag;
        long hold = Bound;
        if (guest > hold && hold >= _last)
        {
            HoldBack(guest - hold);
            guest = hold;
        }
        else if (_lag > 0 && guest > _last)
        {
            long giveBack = Math.Min(Math.Min(_lag, (guest - _last) / CatchUpDivisor), hold - guest);
            _lag -= giveBack;
            guest += giveBack;
        }
        _last = guest;
        return guest;
    }

    /// <summary>
    /// The earliest timer deadline after the step just taken (null: none): the clock will not pass
    /// it before the next <see cref="Step"/>. A deadline moved earlier meanwhile (a guest write) is
    /// held from the next step on; one not after the step (a timer that stayed due) holds nothing,
    /// so guest time cannot stand still for good.
    /// </summary>
    public void HoldAt(long? deadlineNanoseconds)
    {
        long oldBound = Bound;
        _hold = deadlineNanoseconds is { } deadline && deadline > _last ? deadline : long.MaxValue;
        if (Bound < oldBound && !_idle)
        {
            // Called late in a step, the clock may have been read past the new bound: stand where it
            // was read, never go back. (Right after a step, as the vCPU loop calls it, the reading is
            // the step's time and the bound stays.)
            long reading = Math.Max(_last, Math.Min(host.NowNanoseconds - _lag, oldBound));
            _hold = Math.Max(Bound, reading);
        }
    }

    /// <summary>The vCPU halts: until <see cref="LeaveIdle"/> the clock is host time (less the lag), unheld.</summary>
    public void EnterIdle()
    {
        _ = Step();
        _idle = true;
    }

    /// <summary>The halted vCPU woke: guest time is where host time took it while asleep.</summary>
    public void LeaveIdle()
    {
        _idle = false;
        _last = Math.Max(_last, host.NowNanoseconds - _lag);
        _hold = long.MaxValue; // the deadline it slept until has passed; the next step holds the one after
    }

    private void HoldBack(long nanoseconds)
    {
        _lag += nanoseconds;
        HeldBackNanoseconds += nanoseconds;
    }
}
