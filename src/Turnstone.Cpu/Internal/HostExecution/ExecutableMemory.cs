using System.Runtime.InteropServices;

namespace Turnstone.Cpu.Internal.HostExecution;

/// <summary>
/// Pages of host machine code for <see cref="HostInstructionTable"/>'s thunks. Each thunk gets its
/// own page, written while read-write and then made read-execute for good (W^X: no page is ever
/// writable and executable, and no page another thread may be running is ever made writable again).
/// Linux x86-64 only; <see cref="IsSupported"/> says whether this host can run them.
/// </summary>
internal static unsafe partial class ExecutableMemory
{
    private const int PageSize = 4096;
    private const int ProtRead = 1, ProtWrite = 2, ProtExec = 4;
    private const int MapPrivate = 0x02, MapAnonymous = 0x20;

    public static bool IsSupported { get; } =
        RuntimeInformation.ProcessArchitecture == Architecture.X64 && OperatingSystem.IsLinux();

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    private static partial int Mprotect(nint address, nuint length, int protection);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(nint address, nuint length);

    /// <summary>Places <paramref name="code"/> in a fresh read-execute page; 0 when the host refused.</summary>
    public static nint Place(ReadOnlySpan<byte> code)
    {
        if (!IsSupported || code.Length > PageSize)
        {
            return 0;
        }
        nint page = Mmap(0, PageSize, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (page == -1)
        {
            return 0;
        }
        code.CopyTo(new Span<byte>((void*)page, PageSize));
        if (Mprotect(page, PageSize, ProtRead | ProtExec) != 0)
        {
            Munmap(page, PageSize);
            return 0;
        }
        return page;
    }
}
