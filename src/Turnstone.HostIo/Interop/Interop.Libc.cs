using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Turnstone.HostIo.Interop;

/// <summary>
/// Raw libc imports of host I/O (the io_uring system calls are in Interop.IoUring.cs). Callers are
/// the small wrappers of this assembly (<see cref="FileDescriptor"/>, <see cref="EventFd"/>,
/// <see cref="IoUring"/>, <see cref="DirectIO"/>, <see cref="RawFileBlockBackend"/>), never other
/// assemblies: the KVM engine declares the few calls it makes itself (mmap, ioctl, ...), as each
/// dotnet/runtime assembly does, and closes its descriptors through <see cref="FileDescriptor"/>.
/// </summary>
internal static partial class Libc
{
    private const string Library = "libc";

    internal const int PROT_READ = 0x1;
    internal const int PROT_WRITE = 0x2;
    internal const int MAP_SHARED = 0x01;
    internal static readonly nint MAP_FAILED = -1;

    internal const int EFD_NONBLOCK = 0x800;
    internal const int EFD_CLOEXEC = 0x80000;

    internal const short POLLIN = 0x1;
    internal const short POLLOUT = 0x4;

    internal const int F_GETFL = 3;
    internal const int F_SETFL = 4;
    internal const int O_NONBLOCK = 0x800;

    /// <summary>fallocate(2) mode bits (linux/falloc.h).</summary>
    internal const int FALLOC_FL_KEEP_SIZE = 0x01;
    internal const int FALLOC_FL_PUNCH_HOLE = 0x02;

    internal const int EPERM = 1;
    internal const int EINTR = 4;
    internal const int EAGAIN = 11;
    internal const int EINVAL = 22;
    internal const int EOPNOTSUPP = 95;

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(Library, EntryPoint = "read", SetLastError = true)]
    internal static unsafe partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport(Library, EntryPoint = "write", SetLastError = true)]
    internal static unsafe partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport(Library, EntryPoint = "poll", SetLastError = true)]
    internal static unsafe partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport(Library, EntryPoint = "eventfd", SetLastError = true)]
    internal static partial int EventFd(uint initialValue, int flags);

    [LibraryImport(Library, EntryPoint = "mmap", SetLastError = true)]
    internal static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport(Library, EntryPoint = "munmap", SetLastError = true)]
    internal static partial int Munmap(nint address, nuint length);

    /// <summary>
    /// fcntl(2) with an int argument. fcntl is variadic; the third argument is an int for both
    /// commands used here (F_GETFL ignores it), which the Linux calling conventions pass exactly as
    /// a fixed int parameter.
    /// </summary>
    [LibraryImport(Library, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int Fcntl(SafeFileHandle fd, int command, int argument);

    /// <summary>fallocate(2): 0, or -1 with errno set (EOPNOTSUPP: the file system lacks the mode).</summary>
    [LibraryImport(Library, EntryPoint = "fallocate", SetLastError = true)]
    internal static partial int Fallocate(SafeFileHandle fd, int mode, long offset, long length);

    /// <summary><c>struct pollfd</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int Fd;
        public short Events;
        public short ReturnedEvents;
    }

    internal static string ErrorText(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
