using Turnstone.Hypervisor.Interop;

namespace Turnstone.Hypervisor.Kvm;

/// <summary>
/// An irqfd made by <see cref="VirtualMachine.RegisterIrqFd"/>. Dispose removes it, after which a
/// signal of its eventfd no longer raises the interrupt line. It keeps the VM and eventfd
/// descriptors open until then, so it may be disposed after any of them.
/// </summary>
public sealed unsafe class IrqFdRegistration : IDisposable
{
    private readonly FileDescriptorLeases _leases;
    private readonly int _vmFd;
    private readonly KvmIrqFd _assigned;
    private readonly string _description;
    private int _disposed;

    internal IrqFdRegistration(FileDescriptorLeases leases, int vmFd, KvmIrqFd assigned, string description)
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
            // KVM finds the registration by eventfd and GSI; the resample flag must not come with deassign.
            var deassign = new KvmIrqFd { Fd = _assigned.Fd, Gsi = _assigned.Gsi, Flags = KvmIrqFdFlags.Deassign };
            if (Libc.Ioctl(_vmFd, KvmIoctls.IrqFd, &deassign) < 0)
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
