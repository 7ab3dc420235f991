using Microsoft.Win32.SafeHandles;

namespace Turnstone.Devices.Virtio.Block;

/// <summary>
/// A raw disk image file, accessed with positional reads and writes (pread/pwrite) on a
/// <see cref="SafeFileHandle"/>. A read-only disk opens the file read-only, so not even a bug in
/// the device can write it. The size is taken once, at open.
/// </summary>
public sealed class RawFileBlockBackend : IBlockBackend, IDisposable
{
    private const int ZeroChunk = 1 << 20;
    private readonly SafeFileHandle _handle;

    private RawFileBlockBackend(SafeFileHandle handle, bool isReadOnly)
    {
        _handle = handle;
        IsReadOnly = isReadOnly;
        Capacity = (ulong)RandomAccess.GetLength(handle);
    }

    public static RawFileBlockBackend Open(string path, bool isReadOnly)
    {
        var handle = File.OpenHandle(path, FileMode.Open, isReadOnly ? FileAccess.Read : FileAccess.ReadWrite,
            isReadOnly ? FileShare.Read : FileShare.None);
        try
        {
            return new RawFileBlockBackend(handle, isReadOnly);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public ulong Capacity { get; }

    public bool IsReadOnly { get; }

    public void ReadAt(ulong offset, Span<byte> destination)
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

    public void WriteAt(ulong offset, ReadOnlySpan<byte> source)
    {
        ThrowIfReadOnly();
        RandomAccess.Write(_handle, source, checked((long)offset));
    }

    public void Flush() => RandomAccess.FlushToDisk(_handle);

    /// <summary>Ignored: discard is a hint, and punching a hole needs fallocate, which is interop
    /// and belongs to the hypervisor layer.</summary>
    public void Discard(ulong offset, ulong length) => ThrowIfReadOnly();

    public void WriteZeroes(ulong offset, ulong length)
    {
        ThrowIfReadOnly();
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

    private void ThrowIfReadOnly()
    {
        if (IsReadOnly)
        {
            throw new InvalidOperationException("the disk is read-only");
        }
    }
}
