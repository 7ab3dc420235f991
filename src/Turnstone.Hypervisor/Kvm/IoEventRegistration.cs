using Turnstone.Hypervisor.Interop;

namespace Turnstone.Hypervisor.Kvm;

/// <summary>
/// An ioeventfd made by <see cref="VirtualMachine.RegisterIoEvent"/>. Dispose removes it, after
/// which guest writes to the address exit to user space again.
/// </summary>
public sealed unsafe class IoEventRegistration : KvmRegistration
{
    private readonly KvmIoEventFd _assigned;

    internal IoEventRegistration(FileDescriptorLeases leases, int vmFd, KvmIoEventFd assigned, string description)
        : base(leases, vmFd, description) => _assigned = assigned;

    private protected override int Deassign()
    {
        // KVM finds the registration by every field it was made with, plus the deassign flag.
        var deassign = _assigned;
        deassign.Flags |= KvmIoEventFdFlags.Deassign;
        return Libc.Ioctl(VmFd, KvmIoctls.IoEventFd, &deassign);
    }
}
