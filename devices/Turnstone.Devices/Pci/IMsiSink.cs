namespace Turnstone.Devices.Pci;

/// <summary>An MSI write as the function would put it on the bus: a dword of data to an address.</summary>
public readonly record struct MsiMessage(ulong Address, uint Data)
{
    public override string ToString() => $"MSI 0x{Address:x} <- 0x{Data:x}";
}

/// <summary>
/// Delivers message-signalled interrupts. The machine implements it (KVM_SIGNAL_MSI, or an irqfd
/// behind an MSI route); devices and tests only see this.
/// </summary>
public interface IMsiSink
{
    void Signal(ulong address, uint data);
}
