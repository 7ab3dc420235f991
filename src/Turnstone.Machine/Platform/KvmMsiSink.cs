using Turnstone.Devices.Pci;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Machine.Platform;

/// <summary>
/// Delivers a function's MSI-X messages with KVM_SIGNAL_MSI: the in-kernel local APICs decode the
/// address and data, so no GSI route per vector is needed. A message the guest's APIC state
/// blocks is dropped, as the bus write would be on hardware.
/// </summary>
internal sealed class KvmMsiSink(VirtualMachine vm) : IMsiSink
{
    public void Signal(ulong address, uint data) => vm.SignalMsi(address, data);
}
