using System.Runtime.InteropServices;

namespace Turnstone.Hypervisor.Interop;

/// <summary>
/// Raw libc imports of the KVM engine. Callers go through the small wrappers in this folder, never
/// these. Descriptors are closed by Turnstone.HostIo's <c>FileDescriptor</c>, and eventfds live
/// there too; mmap and munmap are declared in both assemblies, each importing only what it calls
/// (dotnet/runtime's rule), rather than one exposing raw imports to the other.
/// </summary>
internal static partial class Libc
{
    private const string Library = "libc";

    internal const int O_RDWR = 0x2;
    internal const int O_CLOEXEC = 0x80000;

    internal const int PROT_READ = 0x1;
    internal const int PROT_WRITE = 0x2;
    internal const int MAP_SHARED = 0x01;
    internal const int MAP_PRIVATE = 0x02;
    internal const int MAP_ANONYMOUS = 0x20;
    internal const int MAP_NORESERVE = 0x4000;
    internal static readonly nint MAP_FAILED = -1;

    internal const int MADV_DONTNEED = 4;
    internal const int MADV_HUGEPAGE = 14;

    internal const int EPERM = 1;
    internal const int EINTR = 4;
    internal const int EAGAIN = 11;

    [LibraryImport(Library, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags);

    [LibraryImport(Library, EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int Ioctl(int fd, nuint request, nint argument);

    [LibraryImport(Library, EntryPoint = "ioctl", SetLastError = true)]
    internal static unsafe partial int Ioctl(int fd, nuint request, void* argument);

    [LibraryImport(Library, EntryPoint = "mmap", SetLastError = true)]
    internal static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport(Library, EntryPoint = "munmap", SetLastError = true)]
    internal static partial int Munmap(nint address, nuint length);

    [LibraryImport(Library, EntryPoint = "madvise", SetLastError = true)]
    internal static partial int Madvise(nint address, nuint length, int advice);

    [LibraryImport(Library, EntryPoint = "gettid")]
    internal static partial int GetTid();

    [LibraryImport(Library, EntryPoint = "getpid")]
    internal static partial int GetPid();

    [LibraryImport(Library, EntryPoint = "tgkill", SetLastError = true)]
    internal static partial int TgKill(int tgid, int tid, int signal);

    [LibraryImport(Library, EntryPoint = "sigaction", SetLastError = true)]
    internal static unsafe partial int SigAction(int signal, SigActionStruct* action, SigActionStruct* oldAction);

    /// <summary>glibc's x86-64 <c>struct sigaction</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct SigActionStruct
    {
        public nint Handler;
        public fixed ulong Mask[16];
        public int Flags;
        public int Padding;
        public nint Restorer;
    }

    internal static string ErrorText(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
