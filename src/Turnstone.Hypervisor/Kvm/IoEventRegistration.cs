using Turnstone.Hypervisor.Interop;

namespace Turnstone.Hypervisor.Kvm;

/// <summary>
/// An ioeventfd made by <see cref="VirtualMachine.RegisterIoEvent"/>. Dispose removes it, after
/// which guest writes to the address exit to user space again. It keeps the VM and eventfd
/// descriptors open until then, so it may be disposed after either of them.
/// </summary>
public sealed unsafe class IoEventRegistration : IDisposable
{
    private readonly FileDescriptorLeases _leases;
    private readonly int _vmFd;
    private readonly KvmIoEventFd _assigned;
    private readonly string _description;
    private int _disposed;

    internal IoEventRegistration(FileDescriptorLeases leases, int vmFd, KvmIoEventFd assigned, string description)
    {
        _leases = leases;
        _vmFd = vmFd;
        _assigned = assigned;
        _description = description;
    }

    public override string ToString() => _description;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        try
        {
            // KVM finds the registration by every field it was made with, plus the deassign flag.
            var deassign = _assigned;
            deassign.Flags |= KvmIoEventFdFlags.Deassign;
            if (Libc.Ioctl(_vmFd, KvmIoctls.IoEventFd, &deassign) < 0)
            {
                throw KvmException.FromErrno($"{_description} (deassign)");
            }
        }
        finally
        {
            _leases.Dispose();
        }
    }
}
