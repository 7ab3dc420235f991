using System.Runtime.InteropServices;
using Turnstone.HostIo.Interop;

namespace Turnstone.HostIo;

/// <summary>
/// A Linux eventfd(2): a 64-bit counter the kernel can add to without waking the monitor's vCPU
/// thread. KVM signals one on a guest queue notification (the engine's ioeventfd registration)
/// and injects an interrupt when one is signalled (irqfd), so neither costs an exit to user space;
/// io_uring signals one when a request completes (<see cref="IoUring.SignalOnCompletion"/>). It is a
/// host primitive, so it lives with host I/O and the KVM engine uses it from here.
/// </summary>
/// <remarks>
/// <para>
/// Shutdown pattern for a worker thread that loops on <see cref="Wait"/>: another thread calls
/// <see cref="Dispose"/>, which marks the instance disposed and then signals it; every blocked
/// <see cref="Wait"/> wakes and returns 0, a count a real wake-up never has, and the worker leaves
/// its loop. The descriptor is closed only after the last <see cref="Wait"/> has returned and the
/// last KVM registration on it is disposed, so its number is never reused underneath them.
/// </para>
/// <para>
/// The descriptor is opened non-blocking so that <see cref="TryRead"/> can never block, even
/// when two threads drain the same counter; <see cref="Wait"/> blocks in poll(2) instead of read(2).
/// </para>
/// </remarks>
public sealed unsafe class EventFd : IDisposable
{
    private readonly FileDescriptor _handle;
    private int _disposed;

    public EventFd()
    {
        int fd = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (fd < 0)
        {
            throw Failure("eventfd");
        }
        _handle = new FileDescriptor(fd);
    }

    /// <summary>Adds 1 to the counter, waking a <see cref="Wait"/>. Safe from any thread.</summary>
    public void Signal()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        using var lease = _handle.Lease();
        ulong one = 1;
        // Fails with EAGAIN only if the counter would pass 2^64 - 2, which no caller reaches.
        if (Libc.Write(lease.Fd, &one, sizeof(ulong)) != sizeof(ulong))
        {
            throw Failure("eventfd write");
        }
    }

    /// <summary>
    /// Blocks until the counter is non-zero, then returns it and resets it to zero. Returns 0 when
    /// <see cref="Dispose"/> was called, the signal for a worker to stop.
    /// </summary>
    public ulong Wait()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        using var lease = _handle.Lease();
        var poll = new Libc.PollFd { Fd = lease.Fd, Events = Libc.POLLIN };
        while (true)
        {
            PollForInput(&poll, 1);
            // Checked before reading, so Dispose's own signal stays in the counter and wakes every waiter.
            if (IsDisposed)
            {
                return 0;
            }
            if (TryRead(lease.Fd, out ulong count))
            {
                return count;
            }
            // Another reader took the count between poll and read: wait again.
        }
    }

    /// <summary>
    /// Blocks until either counter is non-zero, then takes both (0 for one that was not signalled),
    /// so a worker woken by two sources knows which woke it. Returns false, both counts 0, when
    /// either was disposed: the signal for the worker to stop, as <see cref="Wait"/>'s 0 is.
    /// </summary>
    public static bool WaitEither(EventFd first, EventFd second, out ulong firstCount, out ulong secondCount)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        ObjectDisposedException.ThrowIf(first.IsDisposed, first);
        ObjectDisposedException.ThrowIf(second.IsDisposed, second);
        using var firstLease = first._handle.Lease();
        using var secondLease = second._handle.Lease();
        var polls = stackalloc Libc.PollFd[2];
        polls[0] = new Libc.PollFd { Fd = firstLease.Fd, Events = Libc.POLLIN };
        polls[1] = new Libc.PollFd { Fd = secondLease.Fd, Events = Libc.POLLIN };
        while (true)
        {
            PollForInput(polls, 2);
            // Checked before reading, so Dispose's own signal stays in the counter and wakes every waiter.
            if (first.IsDisposed || second.IsDisposed)
            {
                (firstCount, secondCount) = (0, 0);
                return false;
            }
            bool firstSignalled = TryRead(firstLease.Fd, out firstCount);
            bool secondSignalled = TryRead(secondLease.Fd, out secondCount);
            if (firstSignalled || secondSignalled)
            {
                return true;
            }
            // Another reader took the counts between poll and read: wait again.
        }
    }

    /// <summary>Takes the counter and resets it to zero if it is non-zero; never blocks.</summary>
    public bool TryRead(out ulong count)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        using var lease = _handle.Lease();
        return TryRead(lease.Fd, out count);
    }

    private bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Blocks until one of <paramref name="polls"/> is readable; an interrupted poll simply returns.</summary>
    private static void PollForInput(Libc.PollFd* polls, nuint count)
    {
        if (Libc.Poll(polls, count, -1) < 0 && Marshal.GetLastPInvokeError() != Libc.EINTR)
        {
            throw Failure("poll on eventfd");
        }
    }

    /// <summary>
    /// Keeps the descriptor open while its number is handed to the kernel (a KVM or io_uring
    /// registration names the eventfd by number); dispose the lease once the registration is gone.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The eventfd is already closed.</exception>
    public FileDescriptorLease Lease() => _handle.Lease();

    private static bool TryRead(int fd, out ulong count)
    {
        ulong value;
        while (Libc.Read(fd, &value, sizeof(ulong)) != sizeof(ulong))
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EAGAIN)
            {
                count = 0;
                return false;
            }
            if (errno != Libc.EINTR)
            {
                throw Failure("eventfd read");
            }
        }
        count = value;
        return true;
    }

    private static IOException Failure(string operation)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new IOException($"{operation} failed: {Libc.ErrorText(errno)} (errno {errno})");
    }

    /// <summary>Wakes every blocked <see cref="Wait"/> (each returns 0) and releases the descriptor once no one uses it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        using (var lease = _handle.Lease())
        {
            ulong one = 1;
            Libc.Write(lease.Fd, &one, sizeof(ulong));
        }
        _handle.Dispose();
    }
}
