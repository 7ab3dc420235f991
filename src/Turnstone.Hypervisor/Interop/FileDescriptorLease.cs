namespace Turnstone.Hypervisor.Interop;

/// <summary>
/// A hold on a <see cref="KvmFileDescriptor"/> while its number is in use. A Dispose of the owner
/// that races with the use only marks the handle closed; close(2) runs when the last lease ends.
/// Without this, a descriptor closed on one thread could be reused by an unrelated file before a
/// blocked poll or a pending ioctl on another thread reaches the kernel. Dispose each lease once.
/// </summary>
internal readonly struct FileDescriptorLease : IDisposable
{
    private readonly KvmFileDescriptor _handle;

    /// <exception cref="ObjectDisposedException">The descriptor is already closed.</exception>
    public FileDescriptorLease(KvmFileDescriptor handle)
    {
        bool added = false;
        handle.DangerousAddRef(ref added);
        _handle = handle;
    }

    public int Fd => _handle.Fd;

    public void Dispose() => _handle.DangerousRelease();
}

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
