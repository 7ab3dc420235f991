using Microsoft.Win32.SafeHandles;

namespace Turnstone.Hypervisor.Interop;

/// <summary>A /dev/kvm, VM, vCPU or eventfd file descriptor, closed exactly once.</summary>
internal sealed class KvmFileDescriptor : SafeHandleZeroOrMinusOneIsInvalid
{
    public KvmFileDescriptor(int fd) : base(ownsHandle: true) => SetHandle(fd);

    public int Fd => (int)handle;

    /// <summary>Keeps the descriptor open until the lease is disposed (see <see cref="FileDescriptorLease"/>).</summary>
    public FileDescriptorLease Lease() => new(this);

    protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;
}
