using System.Runtime.InteropServices;
using Turnstone.HostIo.Interop;

namespace Turnstone.HostIo;

// Setting the ring up and tearing it down: io_uring_setup, the three mappings the kernel shares
// with us (SQ ring, CQ ring, SQE array), and the iovec block that backs queued requests.
public sealed unsafe partial class IoUring
{
    private readonly FileDescriptor _ring;

    // Mappings, unmapped by ReleaseResources: the SQ and CQ rings share one (IORING_FEAT_SINGLE_MMAP).
    private nint _ringMapping, _sqeMapping;
    private nuint _ringSize, _sqeSize;

    // Pointers into the mappings. Heads and tails are the kernel's ring indices (free-running
    // 32-bit counters; the slot is the index masked).
    private uint* _sqHead, _sqTail, _cqHead, _cqTail;
    private uint _sqMask, _cqMask;
    private IoUringSqe* _sqes;
    private IoUringCqe* _cqes;

    /// <summary>SubmissionEntries * MaxVectorsPerRequest iovecs: the block of SQE slot s starts at s * MaxVectorsPerRequest.</summary>
    private IoVec* _vectors;

    /// <summary>
    /// Creates a ring of <paramref name="entries"/> submission slots (the kernel rounds up to a
    /// power of two; its completion queue is twice that) whose readv/writev requests carry at most
    /// <paramref name="maxVectorsPerRequest"/> buffers each. No setup flags: in particular no
    /// SQPOLL, whose kernel thread would spin on one of the few host cores the vCPUs need.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="entries"/> is 0 or above 32768, or <paramref name="maxVectorsPerRequest"/> is not in 1..1024.</exception>
    /// <exception cref="NotSupportedException">
    /// The host refuses io_uring (ENOSYS or EPERM: not built in, switched off by
    /// kernel.io_uring_disabled, or blocked by a seccomp profile), or its kernel predates 5.5
    /// (IORING_FEAT_SUBMIT_STABLE and IORING_FEAT_SINGLE_MMAP). Callers can fall back to synchronous I/O.
    /// </exception>
    /// <exception cref="IOException">io_uring_setup or mmap failed for another reason (the message names the errno).</exception>
    public IoUring(uint entries, int maxVectorsPerRequest)
    {
        ArgumentOutOfRangeException.ThrowIfZero(entries);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(entries, IoUringAbi.MaxEntries);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxVectorsPerRequest, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxVectorsPerRequest, IoUringAbi.MaxIoVectors);

        var parameters = new IoUringParams();
        int fd = Libc.IoUringSetup(entries, &parameters);
        if (fd < 0)
        {
            throw SetupFailure(Marshal.GetLastPInvokeError());
        }
        _ring = new FileDescriptor(fd);
        try
        {
            // Each SQE's iovec block is reused as soon as the kernel has consumed the SQE, which is
            // safe only if the kernel has read the iovecs by then: the SUBMIT_STABLE guarantee (5.5).
            // Every such kernel also maps both rings at once (SINGLE_MMAP, 5.4), so only that
            // layout is handled.
            const uint required = IoUringAbi.FeatSubmitStable | IoUringAbi.FeatSingleMmap;
            if ((parameters.Features & required) != required)
            {
                throw new NotSupportedException(
                    $"io_uring on this kernel lacks IORING_FEAT_SUBMIT_STABLE or IORING_FEAT_SINGLE_MMAP (features 0x{parameters.Features:x}): Linux 5.5 or newer is needed");
            }
            SubmissionEntries = parameters.SqEntries;
            CompletionEntries = parameters.CqEntries;
            MaxVectorsPerRequest = maxVectorsPerRequest;
            MapRings(fd, in parameters);
            nuint vectorBytes = checked((nuint)SubmissionEntries * (nuint)maxVectorsPerRequest * (nuint)sizeof(IoVec));
            _vectors = (IoVec*)NativeMemory.AlignedAlloc(vectorBytes, 64);
        }
        catch
        {
            ReleaseResources();
            throw;
        }
    }

    private void MapRings(int fd, in IoUringParams parameters)
    {
        _ringSize = Math.Max(
            parameters.SqOff.Array + parameters.SqEntries * (nuint)sizeof(uint),
            parameters.CqOff.Cqes + parameters.CqEntries * (nuint)sizeof(IoUringCqe));
        _ringMapping = Map(fd, _ringSize, IoUringAbi.OffSqRing, "SQ and CQ rings");
        _sqeSize = parameters.SqEntries * (nuint)sizeof(IoUringSqe);
        _sqeMapping = Map(fd, _sqeSize, IoUringAbi.OffSqes, "SQE array");

        byte* rings = (byte*)_ringMapping;
        _sqHead = (uint*)(rings + parameters.SqOff.Head);
        _sqTail = (uint*)(rings + parameters.SqOff.Tail);
        _sqMask = *(uint*)(rings + parameters.SqOff.RingMask);
        _sqes = (IoUringSqe*)_sqeMapping;
        _cqHead = (uint*)(rings + parameters.CqOff.Head);
        _cqTail = (uint*)(rings + parameters.CqOff.Tail);
        _cqMask = *(uint*)(rings + parameters.CqOff.RingMask);
        _cqes = (IoUringCqe*)(rings + parameters.CqOff.Cqes);

        // The SQ ring holds indices into the SQE array, so that SQEs could be filled out of order.
        // Ours are filled in ring order, so the mapping is the identity, written once: the SQE
        // slot of ring position p is p & mask, and so is the iovec block it points at.
        uint* indices = (uint*)(rings + parameters.SqOff.Array);
        for (uint i = 0; i < parameters.SqEntries; i++)
        {
            indices[i] = i;
        }
        _sqeTail = *_sqTail;
        _completionsTaken = *_cqHead;
    }

    private static nint Map(int fd, nuint size, long offset, string what)
    {
        nint address = Libc.Mmap(0, size, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED | Libc.MAP_POPULATE, fd, (nint)offset);
        if (address == Libc.MAP_FAILED)
        {
            throw Failure($"mmap of the io_uring {what} ({size} bytes)", Marshal.GetLastPInvokeError());
        }
        return address;
    }

    private static Exception SetupFailure(int errno) => errno is Libc.ENOSYS or Libc.EPERM
        ? new NotSupportedException(
            $"io_uring is unavailable: io_uring_setup failed: {Libc.ErrorText(errno)} (errno {errno}). The kernel may lack it, " +
            "have it switched off (sysctl kernel.io_uring_disabled), or a seccomp profile may block it (container runtimes' defaults do)")
        : Failure("io_uring_setup", errno);

    private static IOException Failure(string operation, int errno) =>
        new($"{operation} failed: {Libc.ErrorText(errno)} (errno {errno})");

    /// <summary>
    /// Waits for every submitted request to finish, then unmaps and closes the ring; idempotent.
    /// The wait matters: a closed ring does not stop requests the kernel has already started, and
    /// they would go on writing into buffers (guest memory) the caller frees next. For regular files
    /// the wait is short; a request that never finishes (a read from an idle pipe) would hold it
    /// forever, which is why this engine is for files. Requests queued but never submitted are dropped.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        DrainSubmitted();
        ReleaseResources();
    }

    private void DrainSubmitted()
    {
        uint submitted = Volatile.Read(ref *_sqHead) - _completionsTaken;
        while (ReadyCompletions < submitted)
        {
            if (Libc.IoUringEnter(_ring.Fd, 0, submitted, IoUringAbi.EnterGetEvents) < 0
                && Marshal.GetLastPInvokeError() is not (Libc.EINTR or Libc.EAGAIN))
            {
                return; // Nothing better to do in Dispose than close the ring anyway.
            }
        }
    }

    /// <summary>Unmaps, frees and closes whatever the constructor got to; each step runs once.</summary>
    private void ReleaseResources()
    {
        Unmap(ref _sqeMapping, _sqeSize);
        Unmap(ref _ringMapping, _ringSize);
        _sqHead = _sqTail = _cqHead = _cqTail = null;
        _sqes = null;
        _cqes = null;
        if (_vectors != null)
        {
            NativeMemory.AlignedFree(_vectors);
            _vectors = null;
        }
        // Closing the ring unregisters the eventfd, so its descriptor lease can end after that.
        _ring.Dispose();
        _eventFdLease?.Dispose();
        _eventFdLease = null;
    }

    private static void Unmap(ref nint mapping, nuint size)
    {
        if (mapping != 0)
        {
            Libc.Munmap(mapping, size);
            mapping = 0;
        }
    }
}
