using Turnstone.Hypervisor.Interop;

namespace Turnstone.Hypervisor.Kvm;

/// <summary>
/// Something registered with a VM against an eventfd (an ioeventfd, an irqfd) that Dispose
/// removes again. It keeps the VM and eventfd descriptors open until then, so it may be disposed
/// after either of them.
/// </summary>
public abstract class KvmRegistration : IDisposable
{
    private readonly FileDescriptorLeases _leases;
    private readonly string _description;
    private int _disposed;

    private protected KvmRegistration(FileDescriptorLeases leases, int vmFd, string description)
    {
        _leases = leases;
        VmFd = vmFd;
        _description = description;
    }

    private protected int VmFd { get; }

    public override string ToString() => _description;

    /// <summary>The ioctl that undoes the registration; negative with errno set on failure.</summary>
    private protected abstract int Deassign();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        try
        {
            if (Deassign() < 0)
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
