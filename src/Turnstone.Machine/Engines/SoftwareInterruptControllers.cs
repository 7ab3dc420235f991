using Turnstone.Cpu;
using Turnstone.Devices.Bus;
using Turnstone.Devices.InterruptControllers;
using Turnstone.Devices.Pci;
using Turnstone.Devices.Timers;

namespace Turnstone.Machine.Engines;

/// <summary>
/// The interrupt controllers and timers the software engine's machine has where KVM has its
/// in-kernel ones: one local APIC (xAPIC page at 0xFEE0_0000), the I/O APIC at 0xFEC0_0000, the
/// 8259 pair with its ELCR, the 8254 PIT and port 0x61, all reading one host-following guest clock.
/// Routing is KVM's default: ISA IRQ n drives PIC line n and I/O APIC pin n (the MADT overrides no
/// ISA IRQ's number), GSIs 16-23 (PCI INTx) only the I/O APIC, MSI-X messages the local APIC; the
/// PIC's INTR reaches LINT0 (ExtINT) and level-triggered EOIs go back to the I/O APIC. The clock
/// is host time paced by the vCPU (<see cref="VcpuPacedClock"/>), so a stall of the vCPU thread
/// does not make the guest's timers skip ticks.
/// </summary>
internal sealed class SoftwareInterruptControllers : IDisposable
{
    /// <param name="hostClock">The time the guest's clock follows: the host's monotonic clock unless a test passes its own.</param>
    public SoftwareInterruptControllers(IGuestClock? hostClock = null)
    {
        Clock = new VcpuPacedClock(hostClock ?? new HostMonotonicClock());
        // The APIC timer counts the core crystal CPUID leaf 0x15 reports (25 MHz), so Linux need not calibrate it.
        LocalApic = new LocalApic(Clock, apicId: 0, bootstrapProcessor: true, timerFrequencyHz: 25_000_000, SoftwareCpu.TscFrequency);
        IoApic = new IoApic(LocalApic, id: 0);
        LocalApic.LevelTriggeredEoi = IoApic.EndOfInterrupt;
        LocalApic.ConnectExternalController(Pic);
        Pic.ConnectOutput(LocalApic.Lint0);
        Pit = new Pit8254(Clock, InterruptLine(0));
        PitControlPort = new PitSystemControlPort(Pit, Clock);
        Timers = [Pit, LocalApic];
    }

    /// <summary>The clock of the TSC and every timer here; the vCPU loop steps it before each entry.</summary>
    public VcpuPacedClock Clock { get; }

    public LocalApic LocalApic { get; }

    public IoApic IoApic { get; }

    public DualPic8259 Pic { get; } = new();

    public Pit8254 Pit { get; }

    public PitSystemControlPort PitControlPort { get; }

    /// <summary>Every device with deadlines the vCPU loop services and a halted vCPU sleeps until.</summary>
    public IDeadlineTimer[] Timers { get; }

    /// <summary>Wakes the vCPU thread sleeping in HLT (set as the APIC's InterruptPending, and as a machine stop kicker).</summary>
    public VcpuWakeSignal Wake { get; } = new();

    /// <summary>Where MSI-X messages go: the local APIC, from any thread.</summary>
    public IMsiSink MsiSink => LocalApic;

    /// <summary>The line for global system interrupt <paramref name="gsi"/>: ISA IRQs to both controllers, the rest to the I/O APIC.</summary>
    public IInterruptLine InterruptLine(uint gsi)
    {
        if (gsi >= IoApic.PinCount)
        {
            throw new ArgumentOutOfRangeException(nameof(gsi), $"GSI {gsi} is beyond the I/O APIC's {IoApic.PinCount} pins");
        }
        return gsi < 16 ? new InterruptLineFanOut(Pic.Irq((int)gsi), IoApic.Pin((int)gsi)) : IoApic.Pin((int)gsi);
    }

    /// <summary>Puts the controllers' registers on the machine's buses.</summary>
    public void Attach(DeviceBus ports, DeviceBus mmio)
    {
        ports.Register(DualPic8259.MasterBasePort, DualPic8259.PortSpan, Pic.MasterPorts);
        ports.Register(DualPic8259.SlaveBasePort, DualPic8259.PortSpan, Pic.SlavePorts);
        ports.Register(DualPic8259.ElcrBasePort, DualPic8259.PortSpan, Pic.ElcrPorts);
        ports.Register(Pit8254.BasePort, Pit8254.PortSpan, Pit);
        ports.Register(PitSystemControlPort.Port, PitSystemControlPort.PortSpan, PitControlPort);
        mmio.Register(LocalApic.DefaultBaseAddress, LocalApic.PageSize, LocalApic);
        mmio.Register(IoApic.DefaultBaseAddress, IoApic.MmioSpan, IoApic);
    }

    /// <summary>The earliest deadline of any timer, or null when none is armed.</summary>
    public long? NextDeadlineNanoseconds()
    {
        long? earliest = null;
        foreach (var timer in Timers)
        {
            if (timer.NextDeadlineNanoseconds is { } deadline && (earliest is null || deadline < earliest))
            {
                earliest = deadline;
            }
        }
        return earliest;
    }

    /// <summary>Raises whatever the timers owe by now.</summary>
    public void ServiceTimers()
    {
        foreach (var timer in Timers)
        {
            timer.Service();
        }
    }

    public void Dispose() => Wake.Dispose();
}
