using System.Runtime.InteropServices;

namespace Turnstone.HostIo.Interop;

// io_uring system calls and the structures of linux/io_uring.h. glibc has no wrappers for these
// system calls, so they go through syscall(2); liburing is deliberately not used (one more native
// library to ship for three calls). IoUringTests pins every structure size to the header's.
#pragma warning disable CS0649 // fields are written by the kernel through pointers

internal static partial class Libc
{
    // x86-64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl).
    private const nint SysIoUringSetup = 425;
    private const nint SysIoUringEnter = 426;
    private const nint SysIoUringRegister = 427;

    internal const int MAP_POPULATE = 0x8000;

    internal const int EBADF = 9;
    internal const int EBUSY = 16;
    internal const int ENOSYS = 38;

    /// <summary>
    /// glibc's variadic <c>long syscall(long number, ...)</c>. Declared with six fixed arguments:
    /// on x86-64 every argument travels in an integer register or on the stack either way, glibc's
    /// assembly stub always forwards six, and the kernel ignores the ones a call does not take.
    /// </summary>
    [LibraryImport(Library, EntryPoint = "syscall", SetLastError = true)]
    private static partial nint Syscall(nint number, nint arg1, nint arg2, nint arg3, nint arg4, nint arg5, nint arg6);

    /// <summary>io_uring_setup(2): a new ring descriptor, or -1 with errno set.</summary>
    internal static unsafe int IoUringSetup(uint entries, IoUringParams* parameters) =>
        (int)Syscall(SysIoUringSetup, (nint)entries, (nint)parameters, 0, 0, 0, 0);

    /// <summary>io_uring_enter(2) without an extended argument: SQEs consumed, or -1 with errno set.</summary>
    internal static int IoUringEnter(int ringFd, uint toSubmit, uint minComplete, uint flags) =>
        (int)Syscall(SysIoUringEnter, ringFd, (nint)toSubmit, (nint)minComplete, (nint)flags, 0, 0);

    /// <summary>preadv2(2) flag: read only what is already in the page cache, never wait for the disk.</summary>
    internal const int RWF_NOWAIT = 0x8;

    /// <summary>preadv2(2): bytes read, or -1 with errno set (EAGAIN: nothing could be read without waiting).</summary>
    [LibraryImport(Library, EntryPoint = "preadv2", SetLastError = true)]
    internal static unsafe partial nint Preadv2(int fd, IoVec* vectors, int count, long offset, int flags);

    /// <summary>io_uring_register(2): 0 (or an opcode-specific value), or -1 with errno set.</summary>
    internal static unsafe int IoUringRegister(int ringFd, uint opcode, void* argument, uint count) =>
        (int)Syscall(SysIoUringRegister, ringFd, (nint)opcode, (nint)argument, (nint)count, 0, 0);
}

/// <summary>Constants of linux/io_uring.h that the ring engine uses.</summary>
internal static class IoUringAbi
{
    public const long OffSqRing = 0;
    public const long OffSqes = 0x10000000;

    public const uint FeatSingleMmap = 1u << 0;
    public const uint FeatNoDrop = 1u << 1;
    public const uint FeatSubmitStable = 1u << 2;

    public const uint EnterGetEvents = 1u << 0;

    public const uint RegisterEventFd = 4;

    public const byte OpReadv = 1;
    public const byte OpWritev = 2;
    public const byte OpFsync = 3;

    /// <summary>IORING_MAX_ENTRIES: io_uring_setup refuses more (without IORING_SETUP_CLAMP).</summary>
    public const uint MaxEntries = 32768;

    /// <summary>UIO_MAXIOV: readv/writev refuse more vectors than this with EINVAL.</summary>
    public const int MaxIoVectors = 1024;
}

/// <summary><c>struct io_sqring_offsets</c>: where each field of the SQ ring lies in its mapping.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IoSqringOffsets
{
    public uint Head;
    public uint Tail;
    public uint RingMask;
    public uint RingEntries;
    public uint Flags;
    public uint Dropped;
    public uint Array;
    public uint Reserved1;
    public ulong Reserved2;
}

/// <summary><c>struct io_cqring_offsets</c>: where each field of the CQ ring lies in its mapping.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IoCqringOffsets
{
    public uint Head;
    public uint Tail;
    public uint RingMask;
    public uint RingEntries;
    public uint Overflow;
    public uint Cqes;
    public uint Flags;
    public uint Reserved1;
    public ulong Reserved2;
}

/// <summary><c>struct io_uring_params</c>: passed to io_uring_setup, filled in by the kernel.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoUringParams
{
    public uint SqEntries;
    public uint CqEntries;
    public uint Flags;
    public uint SqThreadCpu;
    public uint SqThreadIdle;
    public uint Features;
    public uint WqFd;
    public fixed uint Reserved[3];
    public IoSqringOffsets SqOff;
    public IoCqringOffsets CqOff;
}

/// <summary>
/// <c>struct io_uring_sqe</c> (64 bytes, without IORING_SETUP_SQE128). Only the members a
/// readv/writev/fsync uses are named; the unions are reduced to the member used here.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IoUringSqe
{
    public byte Opcode;
    public byte Flags;
    public ushort IoPriority;
    public int Fd;
    public ulong Offset;      // union with addr2
    public ulong Address;     // the iovec array for readv/writev
    public uint Length;       // the number of iovecs
    public uint OpFlags;      // rw_flags / fsync_flags
    public ulong UserData;
    public ushort BufferIndex;
    public ushort Personality;
    public int SpliceFdIn;
    public ulong Address3;
    public ulong Padding2;
}

/// <summary><c>struct io_uring_cqe</c> (16 bytes, without IORING_SETUP_CQE32).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IoUringCqe
{
    public ulong UserData;
    public int Result;
    public uint Flags;
}

/// <summary><c>struct iovec</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IoVec
{
    public nuint Base;
    public nuint Length;
}
