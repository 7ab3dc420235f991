using Turnstone.HostIo;

namespace Turnstone.Machine.Platform;

/// <summary>
/// Queue notifications on an engine without ioeventfds (the software engine): nothing is
/// registered, so the driver's notify write is an MMIO exit like any other and reaches the
/// function's BAR handler, which runs the queue on the vCPU thread. That thread is the only one
/// running guest code, so the device's writes to guest RAM happen while the CPU is stopped at the
/// exit, never under a block it is executing.
/// </summary>
internal sealed class TrappedNotifications : INotifyEventRegistrar
{
    public IDisposable Register(EventFd fd, ulong address, int length) => Nothing.Instance;

    private sealed class Nothing : IDisposable
    {
        public static Nothing Instance { get; } = new();

        public void Dispose()
        {
        }
    }
}
