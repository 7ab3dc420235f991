using Turnstone.Hypervisor.Interop;

namespace Turnstone.Hypervisor.Kvm;

/// <summary>
/// An irqfd made by <see cref="VirtualMachine.RegisterIrqFd"/>. Dispose removes it, after which a
/// signal of its eventfd no longer raises the interrupt line.
/// </summary>
public sealed unsafe class IrqFdRegistration : KvmRegistration
{
    private readonly KvmIrqFd _assigned;

    internal IrqFdRegistration(FileDescriptorLeases leases, int vmFd, KvmIrqFd assigned, string description)
        : base(leases, vmFd, description) => _assigned = assigned;

    private protected override int Deassign()
    {
        // KVM finds the registration by eventfd and GSI; the resample flag must not come with deassign.
        var deassign = new KvmIrqFd { Fd = _assigned.Fd, Gsi = _assigned.Gsi, Flags = KvmIrqFdFlags.Deassign };
        return Libc.Ioctl(VmFd, KvmIoctls.IrqFd, &deassign);
    }
}
