namespace Turnstone.Hypervisor;

/// <summary>A KVM or host call failed; the message names the call and the host's error.</summary>
public sealed class KvmException(string message, int errno = 0) : Exception(message)
{
    public int Errno { get; } = errno;

    internal static KvmException FromErrno(string operation)
    {
        int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
        return new KvmException($"{operation} failed: {Interop.Libc.ErrorText(errno)} (errno {errno})", errno);
    }
}
