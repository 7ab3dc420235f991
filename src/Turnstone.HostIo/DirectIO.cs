using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Turnstone.HostIo.Interop;

namespace Turnstone.HostIo;

/// <summary>
/// What direct I/O needs beyond .NET's file API. .NET has no FileOptions value for O_DIRECT on Linux (its
/// open path does not pass one), so the flag is set after the open with fcntl(F_SETFL), which Linux
/// allows for O_DIRECT and which checks, as open(2) does, that the file system can do direct I/O.
/// Opening through File.OpenHandle first keeps .NET's flock sharing rules and error messages.
/// </summary>
internal static class DirectIO
{
    /// <summary>O_DIRECT differs between architectures: 040000 on x86, 0200000 on Arm.</summary>
    public static int ODirect => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 => 0x4000,
        Architecture.Arm64 or Architecture.Arm => 0x10000,
        var other => throw new PlatformNotSupportedException($"direct I/O is not implemented for {other}"),
    };

    /// <summary>Sets O_DIRECT on <paramref name="handle"/> and returns the file status flags with it set.</summary>
    /// <exception cref="NotSupportedException">The file system refuses direct I/O.</exception>
    public static int Enable(SafeFileHandle handle, string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException($"disk image '{path}': direct I/O needs Linux; drop ',direct'");
        }
        int flags = Libc.Fcntl(handle, Libc.F_GETFL, 0);
        if (flags < 0)
        {
            throw Failure(path, "fcntl(F_GETFL)");
        }
        flags |= ODirect;
        if (Libc.Fcntl(handle, Libc.F_SETFL, flags) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EINVAL)
            {
                throw new NotSupportedException(
                    $"disk image '{path}': its file system does not support direct I/O (O_DIRECT); drop ',direct' to go through the host page cache");
            }
            throw Failure(path, "fcntl(F_SETFL, O_DIRECT)", errno);
        }
        return flags;
    }

    /// <summary>Replaces the file status flags (used to leave O_DIRECT for a moment).</summary>
    public static void SetFlags(SafeFileHandle handle, int flags)
    {
        if (Libc.Fcntl(handle, Libc.F_SETFL, flags) < 0)
        {
            throw Failure("", "fcntl(F_SETFL)");
        }
    }

    /// <summary>The address a span starts at, without an unsafe context. Only its alignment is used:
    /// guest memory is native and does not move; a managed array could move before the I/O pins it,
    /// and the worst that does is an EINVAL from the kernel, reported as an I/O error.</summary>
    public static nuint AddressOf(ReadOnlySpan<byte> span) =>
        (nuint)Unsafe.ByteOffset(ref Unsafe.NullRef<byte>(), ref MemoryMarshal.GetReference(span));

    private static IOException Failure(string path, string call, int? errno = null)
    {
        int code = errno ?? Marshal.GetLastPInvokeError();
        string subject = path.Length > 0 ? $"disk image '{path}': " : "";
        return new IOException($"{subject}{call} failed: {Marshal.GetPInvokeErrorMessage(code)}");
    }
}
