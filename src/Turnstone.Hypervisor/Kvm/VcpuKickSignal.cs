using System.Runtime.InteropServices;
using Turnstone.Hypervisor.Interop;

namespace Turnstone.Hypervisor.Kvm;

/// <summary>
/// The signal that interrupts a vCPU thread blocked in KVM_RUN. KVM returns EINTR when a signal is
/// pending, but only if the signal has a handler (the default action would end the process, and
/// an ignored signal is never pending). The handler must be native and async-signal-safe: running
/// managed code inside a signal handler is not, so we point it at libc's getpid, which does nothing
/// harmful. Paired with kvm_run.immediate_exit, so a kick that lands just before KVM_RUN is not lost.
/// </summary>
internal static unsafe class VcpuKickSignal
{
    // SIGRTMIN+6 under glibc: above the real-time signals the .NET runtime and glibc use themselves.
    internal const int Signal = 40;

    private static readonly Lock InstallLock = new();
    private static bool _installed;

    public static void EnsureInstalled()
    {
        lock (InstallLock)
        {
            if (_installed)
            {
                return;
            }
            nint libc = NativeLibrary.Load("libc.so.6");
            var action = new Libc.SigActionStruct { Handler = NativeLibrary.GetExport(libc, "getpid"), Flags = 0 };
            if (Libc.SigAction(Signal, &action, null) != 0)
            {
                throw KvmException.FromErrno("sigaction for the vCPU kick signal");
            }
            _installed = true;
        }
    }

    public static void Send(int threadId) => Libc.TgKill(Libc.GetPid(), threadId, Signal);
}
