using Turnstone.Engine;

namespace Turnstone.Components;

/// <summary>
/// The component timer. Ticks come from a host timer; each one kicks the vCPU out of its run
/// (or wakes a HALT), and before the next entry the monitor delivers it like a POSIX signal:
/// the interrupted registers and SSE state are saved on the host, where the component cannot
/// touch them, and the component's handler entry runs on its own stack below the red zone until
/// it issues TIMER_RETURN. Ticks that arrive meanwhile are merged into the next delivery.
/// </summary>
internal sealed partial class ComponentVm
{
    private const ulong RedZone = 128, DirectionFlag = 0x400;
    private readonly Timer _tickTimer;
    private ulong _timerEntry;
    private int _pendingTicks;
    private bool _inTimerHandler;
    private GeneralRegisters _interruptedRegisters;
    private SavedExtendedState? _interruptedExtendedState;

    private long StartTimer(ulong periodNs, ulong entry)
    {
        if (periodNs == 0)
        {
            StopTimer();
            return 0;
        }
        if (periodNs is < MinimumTimerPeriodNs or > MaximumTimerPeriodNs)
        {
            return ComponentErrors.InvalidArgument;
        }
        if (!_space.IsExecutable(entry))
        {
            throw Stop(ComponentFaultKind.BadHypercall, $"TIMER handler 0x{entry:x} is not in the component's text");
        }
        _timerEntry = entry;
        var period = TimeSpan.FromTicks((long)(periodNs / 100));
        _tickTimer.Change(period, period);
        return 0;
    }

    private void StopTimer()
    {
        _timerEntry = 0;
        _tickTimer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        Volatile.Write(ref _pendingTicks, 0);
    }

    /// <summary>Runs on a thread-pool thread.</summary>
    private void Tick()
    {
        Interlocked.Increment(ref _pendingTicks);
        Interrupt();
    }

    private void DeliverPendingTick()
    {
        if (_timerEntry == 0 || _inTimerHandler || Volatile.Read(ref _pendingTicks) == 0)
        {
            return;
        }
        Interlocked.Exchange(ref _pendingTicks, 0);
        ref var r = ref _machine.Vcpu.Registers;
        _interruptedRegisters = r;
        _interruptedExtendedState ??= _machine.Vcpu.CreateExtendedState();
        _machine.Vcpu.SaveExtendedState(_interruptedExtendedState);
        Statistics.TicksDelivered++;
        r.Rsp = (r.Rsp - RedZone) & ~15ul;
        r.Rip = _timerEntry;
        r.Rdi = (ulong)Statistics.TicksDelivered;
        r.Rflags &= ~DirectionFlag;
        _machine.Vcpu.MarkRegistersDirty();
        _inTimerHandler = true;
    }

    private void ReturnFromTimerHandler(ref GeneralRegisters r)
    {
        if (!_inTimerHandler)
        {
            throw Stop(ComponentFaultKind.BadHypercall, "TIMER_RETURN outside a timer handler");
        }
        _inTimerHandler = false;
        r = _interruptedRegisters;
        _machine.Vcpu.RestoreExtendedState(_interruptedExtendedState!);
        _machine.Vcpu.MarkRegistersDirty();
    }
}
