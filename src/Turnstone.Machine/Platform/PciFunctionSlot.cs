using Turnstone.Devices.Pci;

namespace Turnstone.Machine.Platform;

/// <summary>
/// One PCI function's place in the machine: function 0 of <paramref name="Device"/> on bus 0,
/// and the GSI its INTA line arrives on, which is what the _PRT tells the guest; null for a
/// function without an interrupt pin (the host bridge).
/// </summary>
internal sealed record PciFunctionSlot(byte Device, uint? IntaGsi)
{
    public PciAddress Address => new(PciSegment.RootBus, Device, 0);
}
