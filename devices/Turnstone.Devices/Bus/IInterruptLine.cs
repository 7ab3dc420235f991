namespace Turnstone.Devices.Bus;

/// <summary>An interrupt line a device drives (an ISA IRQ, a GSI).</summary>
public interface IInterruptLine
{
    void SetLevel(bool asserted);
}
