using Microsoft.Win32.SafeHandles;

namespace Turnstone.Hypervisor.Interop;

/// <summary>A /dev/kvm, VM or vCPU file descriptor, closed exactly once.</summary>
internal sealed class KvmFileDescriptor : SafeHandleZeroOrMinusOneIsInvalid
{
    public KvmFileDescriptor(int fd) : base(ownsHandle: true) => SetHandle(fd);

    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;
}
