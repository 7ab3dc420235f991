using System.Runtime.InteropServices;

namespace Turnstone.Cpu.Tests.TestSupport;

/// <summary>
/// Runs machine code on the host CPU: an RWX page from mmap holding a wrapper that loads the
/// general registers and the arithmetic flags from a <see cref="RegisterState"/>, runs the
/// instruction under test, and stores them back. RSP is the host's and is not compared.
/// </summary>
public sealed unsafe partial class NativeCode : IDisposable
{
    private const int PageSize = 4096;
    private readonly byte* _page;

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(nint address, nuint length);

    public NativeCode(ReadOnlySpan<byte> code)
    {
        if (code.Length > PageSize)
        {
            throw new ArgumentException("code larger than a page", nameof(code));
        }
        const int readWriteExecute = 7;
        const int privateAnonymous = 0x22;
        nint page = Mmap(0, PageSize, readWriteExecute, privateAnonymous, -1, 0);
        if (page == -1)
        {
            throw new InvalidOperationException($"mmap RWX failed: errno {Marshal.GetLastPInvokeError()}");
        }
        _page = (byte*)page;
        code.CopyTo(new Span<byte>(_page, PageSize));
    }

    public ulong Address => (ulong)_page;

    public void Run(ref RegisterState state)
    {
        fixed (RegisterState* pointer = &state)
        {
            ((delegate* unmanaged<RegisterState*, void>)_page)(pointer);
        }
    }

    /// <summary>Runs code taking one pointer (System V: in RDI).</summary>
    public void Run(byte* argument) => ((delegate* unmanaged<byte*, void>)_page)(argument);

    public void Dispose() => Munmap((nint)_page, PageSize);
}
