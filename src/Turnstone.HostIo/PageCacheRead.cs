using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Turnstone.HostIo.Interop;

namespace Turnstone.HostIo;

/// <summary>
/// A read the page cache can answer at once (preadv2 with RWF_NOWAIT). For a file read through the
/// cache, most requests hit it, and answering those on the spot is cheaper than a trip through
/// io_uring (which does the same attempt inside the kernel, plus a submission and a completion);
/// only the misses need to be in flight.
/// </summary>
public static unsafe class PageCacheRead
{
    /// <summary>The most vectors one call takes (the kernel's UIO_MAXIOV).</summary>
    public const int MaxVectors = 1024;

    /// <summary>
    /// Reads from <paramref name="file"/> at <paramref name="offset"/> into <paramref name="vectors"/>
    /// only what is already cached, without ever waiting for the disk. Returns the bytes read (all,
    /// some, or 0 when nothing was cached or the file ends there), or a negative errno for any other failure.
    /// </summary>
    public static long TryRead(SafeFileHandle file, ReadOnlySpan<IoVector> vectors, ulong offset)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (vectors.IsEmpty || vectors.Length > MaxVectors)
        {
            throw new ArgumentException($"a read carries 1 to {MaxVectors} vectors, not {vectors.Length}", nameof(vectors));
        }
        IoVec* native = stackalloc IoVec[vectors.Length];
        for (int i = 0; i < vectors.Length; i++)
        {
            native[i] = new IoVec { Base = vectors[i].Address, Length = vectors[i].Length };
        }
        bool added = false;
        file.DangerousAddRef(ref added);
        try
        {
            nint result = Libc.Preadv2((int)file.DangerousGetHandle(), native, vectors.Length, checked((long)offset), Libc.RWF_NOWAIT);
            if (result >= 0)
            {
                return result;
            }
            int errno = Marshal.GetLastPInvokeError();
            return errno == Libc.EAGAIN ? 0 : -errno;
        }
        finally
        {
            file.DangerousRelease();
        }
    }
}
