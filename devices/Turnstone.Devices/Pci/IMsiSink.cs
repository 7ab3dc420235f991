namespace Turnstone.Devices.Pci;

/// <summary>
/// Delivers message-signalled interrupts. The machine implements it (KVM_SIGNAL_MSI, or an irqfd
/// behind an MSI route); devices and tests only see this.
/// </summary>
public interface IMsiSink
{
    void Signal(ulong address, uint data);
}
