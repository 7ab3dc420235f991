using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Turnstone.HostIo.Interop;

namespace Turnstone.HostIo;

/// <summary>
/// A Linux io_uring driven by raw system calls: readv, writev and fsync against host files, many in
/// flight at once, finished in any order. A virtio-blk queue keeps its guest's requests moving with
/// it instead of blocking its thread on each one, and the kernel can signal an eventfd when a
/// request finishes so that the thread sleeps in one place for guest kicks and completions alike.
/// </summary>
/// <remarks>
/// <para>
/// One thread at a time, <see cref="Dispose"/> included: the rings are plain memory shared with
/// the kernel, and only the kernel's side of them synchronizes. No method allocates after the
/// constructor.
/// </para>
/// <para>
/// Lifetimes the caller keeps: every buffer named in a request until its completion has been
/// taken (the kernel writes or reads it until then), and every file until <see cref="InFlight"/>
/// is 0, because the kernel resolves the descriptor number only at submission. The vectors
/// themselves are copied into the ring's own memory, so the span passed in may die at once.
/// </para>
/// <para>
/// At most <see cref="CompletionEntries"/> requests are in flight: the queue methods refuse more,
/// so the completion ring can never overflow and no completion ever waits in the kernel's overflow
/// list for a system call to flush it.
/// </para>
/// </remarks>
public sealed unsafe partial class IoUring : IDisposable
{
    private bool _disposed;

    /// <summary>Ring position of the next SQE we fill; published to the kernel's SQ tail by submission.</summary>
    private uint _sqeTail;

    /// <summary>Completions taken so far, which is also our CQ head (both start at 0).</summary>
    private uint _completionsTaken;

    /// <summary>Submission ring slots: the entries argument rounded up to a power of two.</summary>
    public uint SubmissionEntries { get; }

    /// <summary>Completion ring slots (twice <see cref="SubmissionEntries"/>), and the cap on <see cref="InFlight"/>.</summary>
    public uint CompletionEntries { get; }

    /// <summary>The most buffers one readv or writev may carry (the ring reserves iovec room for this many per slot).</summary>
    public int MaxVectorsPerRequest { get; }

    /// <summary>Requests queued or submitted whose completion has not been taken yet.</summary>
    public int InFlight => (int)(_sqeTail - _completionsTaken);

    /// <summary>
    /// Queues (does not submit) a read from <paramref name="file"/> at <paramref name="fileOffset"/>
    /// into <paramref name="vectors"/>, in order. Returns false, queuing nothing, when every
    /// submission slot holds an unsubmitted request or <see cref="CompletionEntries"/> requests are
    /// in flight; <see cref="Submit"/> or taking completions makes room. As in preadv2, a
    /// <paramref name="fileOffset"/> of <see cref="ulong.MaxValue"/> (-1) means the file's current position.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="vectors"/> is empty or longer than <see cref="MaxVectorsPerRequest"/>, or the handle is invalid.</exception>
    public bool TryQueueReadv(SafeFileHandle file, ReadOnlySpan<IoVector> vectors, ulong fileOffset, ulong userData) =>
        TryQueueVectored(IoUringAbi.OpReadv, file, vectors, fileOffset, userData);

    /// <summary>Queues a write of <paramref name="vectors"/> to <paramref name="file"/>; otherwise as <see cref="TryQueueReadv"/>.</summary>
    public bool TryQueueWritev(SafeFileHandle file, ReadOnlySpan<IoVector> vectors, ulong fileOffset, ulong userData) =>
        TryQueueVectored(IoUringAbi.OpWritev, file, vectors, fileOffset, userData);

    /// <summary>
    /// Queues an fsync of the whole file. It is not ordered after earlier requests: the kernel runs
    /// requests in any order, so flush only once the writes it must cover have completed.
    /// </summary>
    public bool TryQueueFsync(SafeFileHandle file, ulong userData)
    {
        int fd = DescriptorOf(file);
        if (!TryReserveSlot(out uint slot))
        {
            return false;
        }
        _sqes[slot] = new IoUringSqe { Opcode = IoUringAbi.OpFsync, Fd = fd, UserData = userData };
        _sqeTail++;
        return true;
    }

    private bool TryQueueVectored(byte opcode, SafeFileHandle file, ReadOnlySpan<IoVector> vectors, ulong fileOffset, ulong userData)
    {
        int fd = DescriptorOf(file);
        if (vectors.IsEmpty || vectors.Length > MaxVectorsPerRequest)
        {
            throw new ArgumentException($"a request carries 1 to {MaxVectorsPerRequest} vectors, not {vectors.Length}", nameof(vectors));
        }
        if (!TryReserveSlot(out uint slot))
        {
            return false;
        }
        IoVec* copy = _vectors + (nuint)slot * (nuint)MaxVectorsPerRequest;
        for (int i = 0; i < vectors.Length; i++)
        {
            copy[i] = new IoVec { Base = vectors[i].Address, Length = vectors[i].Length };
        }
        _sqes[slot] = new IoUringSqe
        {
            Opcode = opcode,
            Fd = fd,
            Offset = fileOffset,
            Address = (ulong)copy,
            Length = (uint)vectors.Length,
            UserData = userData,
        };
        _sqeTail++;
        return true;
    }

    private bool TryReserveSlot(out uint slot)
    {
        slot = _sqeTail & _sqMask;
        return _sqeTail - Volatile.Read(ref *_sqHead) < SubmissionEntries && (uint)InFlight < CompletionEntries;
    }

    private int DescriptorOf(SafeFileHandle file)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(file);
        ObjectDisposedException.ThrowIf(file.IsClosed, file);
        if (file.IsInvalid)
        {
            throw new ArgumentException("the file handle is invalid", nameof(file));
        }
        return (int)file.DangerousGetHandle();
    }

    /// <summary>
    /// Hands everything queued to the kernel (io_uring_enter) and returns how many requests it took.
    /// When it pushes back (EAGAIN, EBUSY: short of memory for requests), the rest stay queued for
    /// the next call. Buffered I/O on a cached file often completes inside this call.
    /// </summary>
    /// <exception cref="IOException">io_uring_enter failed otherwise.</exception>
    public int Submit()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int taken = 0;
        uint pending;
        while ((pending = PublishSubmissions()) > 0)
        {
            int result = Libc.IoUringEnter(_ring.Fd, pending, 0, 0);
            if (result > 0)
            {
                // The kernel stops at the first request it cannot allocate; offer the rest again.
                taken += result;
                continue;
            }
            if (result == 0)
            {
                break;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno is Libc.EAGAIN or Libc.EBUSY)
            {
                break;
            }
            if (errno != Libc.EINTR)
            {
                throw Failure("io_uring_enter", errno);
            }
        }
        return taken;
    }

    /// <summary>
    /// Submits what is queued, then blocks until at least <paramref name="minComplete"/> completions
    /// wait in the completion ring (IORING_ENTER_GETEVENTS). Returns how many requests the kernel took.
    /// A signal that cuts the wait short (EINTR) is waited out again. If the kernel refuses requests
    /// (EAGAIN, EBUSY) that the wait needs, they are offered again until it takes them.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minComplete"/> exceeds <see cref="InFlight"/>: the wait could never end.</exception>
    public int SubmitAndWait(uint minComplete)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (minComplete > (uint)InFlight)
        {
            throw new ArgumentOutOfRangeException(nameof(minComplete), minComplete,
                $"only {InFlight} requests are in flight, so waiting for {minComplete} completions would never end");
        }
        int taken = 0;
        bool kernelRefused = false;
        while (true)
        {
            uint pending = PublishSubmissions();
            if (ReadyCompletions >= minComplete && (pending == 0 || kernelRefused))
            {
                return taken;
            }
            uint toSubmit = kernelRefused ? 0 : pending;
            if (toSubmit == 0 && Volatile.Read(ref *_sqHead) - _completionsTaken < minComplete)
            {
                // Only requests the kernel refused a moment ago could end the wait: offer them again.
                Thread.Yield();
                kernelRefused = false;
                continue;
            }
            // The kernel skips the wait when it takes fewer than toSubmit, and may return the count
            // taken when a signal cut the wait short, so the loop checks the ring, not the result.
            int result = Libc.IoUringEnter(_ring.Fd, toSubmit, minComplete, IoUringAbi.EnterGetEvents);
            if (result >= 0)
            {
                taken += result;
                kernelRefused = toSubmit > 0 && result == 0;
                continue;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno is Libc.EAGAIN or Libc.EBUSY)
            {
                kernelRefused = true;
            }
            else if (errno != Libc.EINTR)
            {
                throw Failure("io_uring_enter", errno);
            }
        }
    }

    /// <summary>Publishes our SQ tail (release: the SQEs are written before the kernel sees it); returns the requests the kernel has not consumed.</summary>
    private uint PublishSubmissions()
    {
        Volatile.Write(ref *_sqTail, _sqeTail);
        return _sqeTail - Volatile.Read(ref *_sqHead);
    }
}
