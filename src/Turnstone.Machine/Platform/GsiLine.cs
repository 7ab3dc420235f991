using Turnstone.Devices.Bus;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Machine.Platform;

/// <summary>An interrupt line into KVM's in-kernel PIC and I/O APIC (KVM_IRQ_LINE on one GSI).</summary>
internal sealed class GsiLine(VirtualMachine vm, uint gsi) : IInterruptLine
{
    public void SetLevel(bool asserted) => vm.SetIrqLine(gsi, asserted);
}
