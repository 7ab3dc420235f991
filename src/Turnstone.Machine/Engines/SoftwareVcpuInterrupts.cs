using Turnstone.Cpu;

namespace Turnstone.Machine.Engines;

/// <summary>
/// What the vCPU loop does with the software engine's interrupt controllers, as KVM does in its
/// run loop: before each entry it services timers whose deadline passed and, when the local APIC
/// has a deliverable interrupt, hands the core its highest vector if the interrupt window is open
/// (acknowledging it, IRR to ISR) or asks the core to exit when the window opens. A halted vCPU
/// sleeps until the earliest timer deadline or a device's interrupt (no busy waiting). Each entry
/// steps the guest clock (<see cref="Turnstone.Devices.Timers.VcpuPacedClock"/>) and holds it at
/// the next deadline, so in guest time every timer fires on time however long the slice that
/// crossed it.
/// </summary>
/// <remarks>
/// The APIC's queries take a lock, so they are made only when something may have changed: the
/// <see cref="_attention"/> flag is set from any thread when the APIC reports an interrupt pending,
/// and by the loop after every write exit (an EOI, a TPR or LVT write, a PIT count); the timers'
/// deadlines are looked at again after a write exit or a TSC-deadline write. A device interrupt from
/// another thread also stops the running CPU at its next block boundary, so it is taken at once.
/// </remarks>
internal sealed class SoftwareVcpuInterrupts
{
    /// <summary>Instructions between looks at the clock while the guest computes without exits: at
    /// tens of millions of instructions a second, a timer is late by well under a millisecond.</summary>
    public const long SliceInstructions = 20_000;

    private readonly SoftwareCpu _cpu;
    private readonly SoftwareInterruptControllers _controllers;
    private readonly int _vcpuThread = Environment.CurrentManagedThreadId;
    private int _attention = 1;
    private long _nextDeadline = long.MinValue;
    private readonly VcpuThreadInputRelay? _input;

    /// <summary>Connects <paramref name="cpu"/> to the controllers; call it on the vCPU thread.</summary>
    /// <param name="input">Console input handed to its device on this thread before each entry, if any.</param>
    public SoftwareVcpuInterrupts(SoftwareCpu cpu, SoftwareInterruptControllers controllers, VcpuThreadInputRelay? input = null)
    {
        _cpu = cpu;
        _controllers = controllers;
        _input = input;
        controllers.LocalApic.InterruptPending = OnInterruptPending;
        cpu.ConnectLocalApic(new LocalApicConnection(controllers.LocalApic, OnTscDeadlineWritten));
    }

    /// <summary>Interrupts the vCPU loop handed to the core.</summary>
    public long InterruptsDelivered { get; private set; }

    /// <summary>Times a halted vCPU went to sleep.</summary>
    public long HaltSleeps { get; private set; }

    /// <summary>A write exit may have changed a deadline, the TPR, or ended an interrupt (EOI).</summary>
    public void OnWriteExit()
    {
        _nextDeadline = long.MinValue;
        _attention = 1;
    }

    /// <summary>Before entering the core: timers due, then the interrupt the APIC offers.</summary>
    public void BeforeEntry()
    {
        _input?.DrainIfPending();
        var clock = _controllers.Clock;
        if (clock.Step() >= _nextDeadline)
        {
            _controllers.ServiceTimers();
            _nextDeadline = _controllers.NextDeadlineNanoseconds() ?? long.MaxValue;
        }
        clock.HoldAt(_nextDeadline);
        if (Volatile.Read(ref _attention) != 0)
        {
            OfferInterrupt();
        }
    }

    private void OfferInterrupt()
    {
        // Cleared before looking, so an interrupt arriving from another thread meanwhile sets it again.
        Volatile.Write(ref _attention, 0);
        var apic = _controllers.LocalApic;
        if (apic.TakePendingNmi())
        {
            _cpu.RequestNmi(); // the core takes it whatever IF says, once no NMI handler runs
            InterruptsDelivered++;
        }
        if (_cpu.InterruptPending)
        {
            Volatile.Write(ref _attention, 1); // the core holds a vector until IF; look again after it took it
            return;
        }
        if (!apic.HasDeliverableInterrupt)
        {
            return;
        }
        Volatile.Write(ref _attention, 1);
        if (!_cpu.InterruptWindowOpen)
        {
            _cpu.RequestInterruptWindowExit();
            return;
        }
        if (apic.TryAcknowledgeInterrupt(out byte vector))
        {
            _cpu.RequestInterrupt(vector);
            InterruptsDelivered++;
        }
    }

    /// <summary>
    /// The core halted: wakes it with an interrupt if one is deliverable, else sleeps until the next
    /// timer deadline or a device interrupt (or a machine stop, which also sets the wake signal).
    /// False when nothing can ever wake it: interrupts are off (<c>cli; hlt</c>) and no NMI waits
    /// (nothing on this platform raises one while the vCPU sleeps: NMIs come from the vCPU's own APIC writes).
    /// </summary>
    public bool WaitWhileHalted()
    {
        BeforeEntry();
        if (_cpu.InterruptPending || (_cpu.NmiPending && !_cpu.NmisBlocked))
        {
            return true;
        }
        if (!_cpu.InterruptWindowOpen)
        {
            return false;
        }
        HaltSleeps++;
        var clock = _controllers.Clock;
        clock.EnterIdle();
        try
        {
            _controllers.Wake.SleepUntil(clock, _controllers.NextDeadlineNanoseconds());
        }
        finally
        {
            clock.LeaveIdle();
        }
        _nextDeadline = long.MinValue;
        Volatile.Write(ref _attention, 1);
        return true;
    }

    private void OnInterruptPending()
    {
        Volatile.Write(ref _attention, 1);
        if (Environment.CurrentManagedThreadId != _vcpuThread)
        {
            _controllers.Wake.Wake();
            _cpu.RequestStop();
        }
    }

    private void OnTscDeadlineWritten()
    {
        _nextDeadline = long.MinValue;
        _cpu.RequestStop(); // leave the block so a deadline already due is serviced now
    }
}
