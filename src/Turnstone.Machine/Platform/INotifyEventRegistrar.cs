using Turnstone.HostIo;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Machine.Platform;

/// <summary>
/// Makes a guest's write to a queue's notify address signal an eventfd without an exit to the
/// monitor: KVM_IOEVENTFD on the VM (<see cref="KvmNotifyEventRegistrar"/>). A seam, so
/// <see cref="VirtioQueueNotifiers"/> following the guest's BARs is tested without /dev/kvm.
/// </summary>
internal interface INotifyEventRegistrar
{
    /// <summary>
    /// Guest MMIO writes of <paramref name="length"/> bytes at <paramref name="address"/> signal
    /// <paramref name="fd"/> until the result is disposed. Throws <see cref="Hypervisor.KvmException"/>
    /// when another registration already claims the address.
    /// </summary>
    IDisposable Register(EventFd fd, ulong address, int length);
}
