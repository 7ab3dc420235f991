using Turnstone.Devices.Bus;

namespace Turnstone.Devices.InterruptControllers;

/// <summary>
/// One device line wired to several controller inputs, as an ISA IRQ reaches both the 8259 and
/// the I/O APIC pin of the same number (KVM's default GSI routing does the same): whichever
/// controller the guest unmasks delivers it.
/// </summary>
public sealed class InterruptLineFanOut(params IInterruptLine[] lines) : IInterruptLine
{
    public void SetLevel(bool asserted)
    {
        foreach (var line in lines)
        {
            line.SetLevel(asserted);
        }
    }
}
