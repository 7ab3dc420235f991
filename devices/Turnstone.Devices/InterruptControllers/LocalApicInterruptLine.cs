using Turnstone.Devices.Bus;

namespace Turnstone.Devices.InterruptControllers;

/// <summary>A local APIC's LINT0 or LINT1 pin (LINT0 carries the 8259's INTR in virtual-wire mode; LINT1 is NMI on a PC).</summary>
internal sealed class LocalApicInterruptLine(LocalApic apic, int pin) : IInterruptLine
{
    public void SetLevel(bool asserted) => apic.SetLocalInterruptPin(pin, asserted);
}
