using Turnstone.HostIo;

namespace Turnstone.Hypervisor.Interop;

/// <summary>
/// Leases held for as long as a KVM registration exists: the VM descriptor its deassign ioctl goes
/// to, and the eventfds it names (KVM finds a registration to remove by the eventfd's number), so
/// the registration can be removed whatever order its VM, eventfds and itself are disposed in.
/// </summary>
internal sealed class FileDescriptorLeases : IDisposable
{
    private readonly List<FileDescriptorLease> _leases = [];

    /// <summary>Keeps <paramref name="lease"/> until <see cref="Dispose"/> and returns its descriptor number.</summary>
    public int Add(FileDescriptorLease lease)
    {
        _leases.Add(lease);
        return lease.Fd;
    }

    public void Dispose()
    {
        foreach (var lease in _leases)
        {
            lease.Dispose();
        }
        _leases.Clear();
    }
}
