using Turnstone.HostIo;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Machine.Platform;

/// <summary>Queue notifications absorbed by KVM: an MMIO ioeventfd on the VM, no data match (Linux writes the queue index).</summary>
internal sealed class KvmNotifyEventRegistrar(VirtualMachine vm) : INotifyEventRegistrar
{
    public IDisposable Register(EventFd fd, ulong address, int length) => vm.RegisterIoEvent(fd, address, length, isPortIo: false);
}
