using Turnstone.Devices.Bus;

namespace Turnstone.Devices.InterruptControllers;

/// <summary>One input pin (GSI) of the <see cref="IoApic"/>.</summary>
internal sealed class IoApicPin(IoApic ioApic, int pin) : IInterruptLine
{
    public void SetLevel(bool asserted) => ioApic.SetLevel(pin, asserted);
}
