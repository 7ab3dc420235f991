using Turnstone.Devices.Bus;
using Turnstone.Devices.Pci;

namespace Turnstone.Machine.Engines;

/// <summary>
/// Where the devices' interrupts go on an engine without interrupt controllers (the software
/// engine until issue 12): nowhere, as on a board with no PIC or APIC fitted. Each assertion and
/// MSI message is counted so the run summary says how many a guest could not have seen; a guest
/// that waits for one halts, and the machine stops saying the interrupt can never arrive.
/// </summary>
internal sealed class InterruptsWithoutController : IInterruptLine, IMsiSink
{
    private long _raised;

    public long Raised => Interlocked.Read(ref _raised);

    public void SetLevel(bool asserted)
    {
        if (asserted)
        {
            Interlocked.Increment(ref _raised);
        }
    }

    public void Signal(ulong address, uint data) => Interlocked.Increment(ref _raised);
}
