using System.Runtime.InteropServices;
using Turnstone.HostIo.Interop;

namespace Turnstone.HostIo;

// The completion side: taking finished requests off the CQ ring, and the eventfd the kernel
// signals when it posts one.
public sealed unsafe partial class IoUring
{
    private FileDescriptorLease? _eventFdLease;

    /// <summary>Takes one completion from the completion ring without blocking; false when it is empty.</summary>
    public bool TryTakeCompletion(out IoCompletion completion)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        uint head = _completionsTaken;
        if (head == Volatile.Read(ref *_cqTail))
        {
            completion = default;
            return false;
        }
        IoUringCqe* cqe = _cqes + (head & _cqMask);
        completion = new IoCompletion(cqe->UserData, cqe->Result);
        _completionsTaken = head + 1;
        // Release: the entry is read before the kernel may see its slot as free and reuse it.
        Volatile.Write(ref *_cqHead, _completionsTaken);
        return true;
    }

    /// <summary>
    /// Makes the kernel signal <paramref name="eventFd"/> whenever it posts a completion
    /// (IORING_REGISTER_EVENTFD), so a thread blocked on that eventfd, such as a virtio queue's
    /// worker waiting for guest kicks, also wakes for finished I/O. One eventfd per ring. The kernel
    /// resolves the descriptor number once, here, and holds its own reference from then on; the
    /// ring still keeps a lease on the descriptor until <see cref="Dispose"/>, as KVM registrations
    /// do, so the eventfd's descriptor outlives the registration in whatever order both are disposed.
    /// </summary>
    /// <exception cref="InvalidOperationException">An eventfd is already registered.</exception>
    /// <exception cref="IOException">io_uring_register failed.</exception>
    public void SignalOnCompletion(EventFd eventFd)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(eventFd);
        if (_eventFdLease is not null)
        {
            throw new InvalidOperationException("this ring already signals an eventfd on completion; the kernel takes one per ring");
        }
        var lease = eventFd.Lease();
        int fd = lease.Fd;
        if (Libc.IoUringRegister(_ring.Fd, IoUringAbi.RegisterEventFd, &fd, 1) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            lease.Dispose();
            throw Failure("io_uring_register(IORING_REGISTER_EVENTFD)", errno);
        }
        _eventFdLease = lease;
    }

    private uint ReadyCompletions => Volatile.Read(ref *_cqTail) - _completionsTaken;
}
