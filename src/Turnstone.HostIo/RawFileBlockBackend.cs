using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Turnstone.Devices.Virtio.Block;
using Turnstone.HostIo.Interop;

namespace Turnstone.HostIo;

/// <summary>
/// A raw disk image file, accessed with positional reads and writes (pread/pwrite) on a
/// <see cref="SafeFileHandle"/>. A read-only disk opens the file read-only, so not even a bug in
/// the device can write it. The size is taken once, at open. Discard punches a hole in the file.
/// </summary>
/// <remarks>
/// Opened with <c>direct</c>, the file bypasses the host page cache (O_DIRECT, QEMU's
/// <c>cache=none</c>); see RawFileBlockBackend.Direct.cs for the alignment rules and how requests
/// that break them are bounced.
/// </remarks>
public sealed partial class RawFileBlockBackend : IBlockBackend, IDisposable
{
    private const int ZeroChunk = 1 << 20;
    private readonly SafeFileHandle _handle;

    private RawFileBlockBackend(SafeFileHandle handle, bool isReadOnly, string path, bool direct)
    {
        _handle = handle;
        IsReadOnly = isReadOnly;
        Capacity = (ulong)RandomAccess.GetLength(handle);
        if (direct)
        {
            _directFlags = DirectIO.Enable(handle, path);
            IsDirect = true;
            _alignedEnd = Capacity & ~(ulong)(DirectAlignment - 1);
        }
    }

    /// <summary>Opens a raw image. A writable image is locked exclusively (flock), a read-only one
    /// shared.</summary>
    /// <param name="direct">Bypass the host page cache with O_DIRECT. Throws
    /// <see cref="NotSupportedException"/>, naming the file, when its file system refuses that
    /// (tmpfs before Linux 6.6, procfs, some FUSE and network file systems).</param>
    public static RawFileBlockBackend Open(string path, bool isReadOnly, bool direct = false)
    {
        var handle = File.OpenHandle(path, FileMode.Open, isReadOnly ? FileAccess.Read : FileAccess.ReadWrite,
            isReadOnly ? FileShare.Read : FileShare.None);
        try
        {
            return new RawFileBlockBackend(handle, isReadOnly, path, direct);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public ulong Capacity { get; }

    public bool IsReadOnly { get; }

    /// <summary>
    /// The open image, for an asynchronous engine that reads and writes it directly (io_uring). The
    /// backend keeps ownership; the engine must finish its I/O before the backend is disposed.
    /// </summary>
    public SafeFileHandle FileHandle => _handle;

    /// <summary>
    /// Whether <paramref name="length"/> bytes at <paramref name="offset"/>, to or from memory at host
    /// address <paramref name="address"/>, can go to the file as they are, as one piece of a vectored
    /// transfer: always through the page cache; with direct I/O only when offset, length and address
    /// are aligned and the range ends before a partial last block (else the synchronous path bounces it).
    /// </summary>
    public bool TransfersAsIs(ulong offset, ulong length, nuint address) =>
        !IsDirect
        || (offset % DirectAlignment == 0 && length % DirectAlignment == 0 && address % DirectAlignment == 0
            && offset <= _alignedEnd && length <= _alignedEnd - offset);

    public void ReadAt(ulong offset, Span<byte> destination)
    {
        if (IsDirect)
        {
            ReadDirect(offset, destination);
        }
        else
        {
            ReadFully(offset, destination);
        }
    }

    public void WriteAt(ulong offset, ReadOnlySpan<byte> source)
    {
        ThrowIfReadOnly();
        if (IsDirect)
        {
            WriteDirect(offset, source);
        }
        else
        {
            RandomAccess.Write(_handle, source, checked((long)offset));
        }
    }

    /// <summary>fsync: with O_DIRECT the data has left the page cache, but the device's volatile
    /// cache and the file system's metadata still need it.</summary>
    public void Flush() => RandomAccess.FlushToDisk(_handle);

    /// <summary>
    /// Punches a hole: fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE). The file system frees
    /// the blocks the range covers, zeroes the partly covered ones at its edges in place, and the
    /// whole range reads as zeroes from then on; the image keeps its size. This is what lets a
    /// guest's fstrim or a mounted <c>discard</c> give space back to the host.
    /// </summary>
    /// <exception cref="NotSupportedException">The file system cannot punch holes (EOPNOTSUPP: FAT,
    /// ext4 files without extents, NFS before 4.2, some FUSE file systems); the guest gets
    /// VIRTIO_BLK_S_UNSUPP. An honest "cannot", rather than writing zeroes instead: mkfs discards
    /// the whole disk, and a hint must not turn into rewriting all of it.</exception>
    /// <exception cref="IOException">fallocate failed otherwise.</exception>
    public void Discard(ulong offset, ulong length)
    {
        ThrowIfReadOnly();
        if (length == 0)
        {
            return; // fallocate refuses an empty range (EINVAL); there is nothing to free.
        }
        const int mode = Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE;
        while (Libc.Fallocate(_handle, mode, checked((long)offset), checked((long)length)) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EINTR)
            {
                continue;
            }
            string call = $"fallocate(PUNCH_HOLE) of 0x{offset:x}+0x{length:x}";
            if (errno is Libc.EOPNOTSUPP or Libc.ENOSYS)
            {
                throw new NotSupportedException($"{call}: the image's file system cannot punch holes, so discard is not done");
            }
            throw new IOException($"{call} failed: {Libc.ErrorText(errno)} (errno {errno})");
        }
    }

    public void WriteZeroes(ulong offset, ulong length)
    {
        ThrowIfReadOnly();
        if (IsDirect)
        {
            WriteZeroesDirect(offset, length);
            return;
        }
        var zeroes = new byte[(int)Math.Min(length, ZeroChunk)];
        while (length > 0)
        {
            int chunk = (int)Math.Min(length, (ulong)zeroes.Length);
            RandomAccess.Write(_handle, zeroes.AsSpan(0, chunk), checked((long)offset));
            offset += (ulong)chunk;
            length -= (ulong)chunk;
        }
    }

    public void Dispose() => _handle.Dispose();

    /// <summary>Reads exactly <paramref name="destination"/>.Length bytes; the file ending first is an
    /// <see cref="IOException"/>.</summary>
    private void ReadFully(ulong offset, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            int read = RandomAccess.Read(_handle, destination, checked((long)offset));
            if (read == 0)
            {
                throw new IOException($"disk image ends before offset 0x{offset:x} (was it truncated?)");
            }
            destination = destination[read..];
            offset += (ulong)read;
        }
    }

    private void ThrowIfReadOnly()
    {
        if (IsReadOnly)
        {
            throw new InvalidOperationException("the disk is read-only");
        }
    }
}
