using Microsoft.Win32.SafeHandles;
using Turnstone.HostIo.Interop;

namespace Turnstone.HostIo;

/// <summary>
/// A Linux file descriptor that is not a regular file (an io_uring ring, an eventfd, /dev/kvm and
/// the KVM engine's VM and vCPU descriptors), closed exactly once with close(2).
/// </summary>
public sealed class FileDescriptor : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>Takes ownership of <paramref name="fd"/>, a descriptor the caller has just opened.</summary>
    public FileDescriptor(int fd) : base(ownsHandle: true) => SetHandle(fd);

    public int Fd => (int)handle;

    /// <summary>Keeps the descriptor open until the lease is disposed (see <see cref="FileDescriptorLease"/>).</summary>
    public FileDescriptorLease Lease() => new(this);

    protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;
}
