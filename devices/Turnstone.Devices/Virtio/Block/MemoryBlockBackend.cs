namespace Turnstone.Devices.Virtio.Block;

/// <summary>A disk held in a managed array: for tests and small scratch disks.</summary>
public sealed class MemoryBlockBackend : IBlockBackend
{
    private readonly byte[] _bytes;

    public MemoryBlockBackend(int capacity, bool isReadOnly = false)
        : this(new byte[capacity], isReadOnly) { }

    /// <summary>Wraps <paramref name="contents"/> without copying; the disk is that array.</summary>
    public MemoryBlockBackend(byte[] contents, bool isReadOnly = false)
    {
        ArgumentNullException.ThrowIfNull(contents);
        _bytes = contents;
        IsReadOnly = isReadOnly;
    }

    public ulong Capacity => (ulong)_bytes.Length;

    public bool IsReadOnly { get; }

    /// <summary>The disk contents, for inspection.</summary>
    public Span<byte> Contents => _bytes;

    public void ReadAt(ulong offset, Span<byte> destination) => Range(offset, (ulong)destination.Length).CopyTo(destination);

    public void WriteAt(ulong offset, ReadOnlySpan<byte> source)
    {
        ThrowIfReadOnly();
        source.CopyTo(Range(offset, (ulong)source.Length));
    }

    public void Flush() { }

    public void Discard(ulong offset, ulong length)
    {
        ThrowIfReadOnly();
        // Contents of a discarded range are unspecified; zeroes are as good as any.
        Range(offset, length).Clear();
    }

    public void WriteZeroes(ulong offset, ulong length)
    {
        ThrowIfReadOnly();
        Range(offset, length).Clear();
    }

    private Span<byte> Range(ulong offset, ulong length)
    {
        if (offset > (ulong)_bytes.Length || length > (ulong)_bytes.Length - offset)
        {
            throw new IOException($"range 0x{offset:x}+0x{length:x} is beyond the end of a 0x{_bytes.Length:x}-byte disk");
        }
        return _bytes.AsSpan((int)offset, (int)length);
    }

    private void ThrowIfReadOnly()
    {
        if (IsReadOnly)
        {
            throw new InvalidOperationException("the disk is read-only");
        }
    }
}
