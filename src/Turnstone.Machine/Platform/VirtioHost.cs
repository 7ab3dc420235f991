using Turnstone.Devices.Bus;
using Turnstone.Devices.Pci;
using Turnstone.GuestMemory;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Machine.Platform;

/// <summary>
/// What the virtio functions need of the VM: guest RAM (io_uring reads and writes it by host
/// address when it is <see cref="IHostMappedGuestMemory"/>; otherwise disks work one request at a
/// time through <see cref="IGuestMemory"/> spans, which the software engine sees), MSI-X delivery
/// and ioeventfds for queue notifications.
/// <see cref="Of"/> gives a KVM VM's; the unit tests give fakes, so the functions' assembly and
/// teardown run without /dev/kvm.
/// </summary>
internal sealed record VirtioHost(IGuestMemory Memory, IMsiSink Msi, INotifyEventRegistrar NotifyEvents)
{
    public static VirtioHost Of(VirtualMachine vm) =>
        new(vm.Memory, new KvmMsiSink(vm), new KvmNotifyEventRegistrar(vm));
}
