namespace Turnstone.HostIo;

/// <summary>
/// Direct I/O (O_DIRECT): reads and writes go between the disk and the given memory without the
/// host page cache, so a benchmark measures the monitor and the device rather than host RAM.
/// </summary>
/// <remarks>
/// <para>O_DIRECT wants the file offset, the length and the memory address aligned to the file
/// system's direct-I/O alignment (the logical block size of the device, 512 or 4096).
/// <see cref="DirectAlignment"/> = 4096 satisfies every such device without asking.</para>
/// <para>A segment whose offset and address are aligned goes straight to or from the caller's
/// memory (guest RAM) for its whole aligned length. Anything else, including the unaligned rest of
/// such a segment, is bounced through one reused, pinned, aligned 1 MiB buffer, chunk by chunk:
/// a read reads the covering aligned blocks and copies the wanted bytes out; a write reads the
/// partially covered first and last blocks, patches the new bytes in and writes the blocks back
/// (read-modify-write). That read-modify-write is not atomic against other writers of the same
/// blocks: it relies on requests being executed one at a time, as the queue worker does, and on
/// the image being locked against other processes.</para>
/// <para>When the image size is not a multiple of <see cref="DirectAlignment"/>, the bytes after
/// the last whole block cannot be accessed directly (a whole-block write would extend the file), so
/// for them O_DIRECT is switched off for the one access. Those bytes are never accessed directly, so
/// page cache and disk cannot disagree.</para>
/// </remarks>
public sealed partial class RawFileBlockBackend
{
    /// <summary>Offset, length and address alignment used for direct I/O.</summary>
    public const int DirectAlignment = 4096;

    /// <summary>Size of the bounce buffer (and of the zero buffer for write-zeroes).</summary>
    public const int BounceBufferSize = 1 << 20;

    private readonly int _directFlags;
    private readonly ulong _alignedEnd;
    private AlignedBuffer? _bounce;
    private AlignedBuffer? _zeroes;

    /// <summary>The image was opened for direct I/O.</summary>
    public bool IsDirect { get; }

    /// <summary>Bytes of requests that had to go through the bounce buffer (direct I/O only).</summary>
    public long BouncedBytes { get; private set; }

    private void ReadDirect(ulong offset, Span<byte> destination)
    {
        int direct = DirectPartLength(offset, destination.Length);
        ReadAligned(offset, destination[..direct]);
        if (direct < destination.Length)
        {
            DirectIO.SetFlags(_handle, _directFlags & ~DirectIO.ODirect);
            try
            {
                ReadFully(offset + (ulong)direct, destination[direct..]);
            }
            finally
            {
                DirectIO.SetFlags(_handle, _directFlags);
            }
        }
    }

    private void WriteDirect(ulong offset, ReadOnlySpan<byte> source)
    {
        int direct = DirectPartLength(offset, source.Length);
        WriteAligned(offset, source[..direct]);
        if (direct < source.Length)
        {
            DirectIO.SetFlags(_handle, _directFlags & ~DirectIO.ODirect);
            try
            {
                RandomAccess.Write(_handle, source[direct..], checked((long)(offset + (ulong)direct)));
            }
            finally
            {
                DirectIO.SetFlags(_handle, _directFlags);
            }
        }
    }

    private void WriteZeroesDirect(ulong offset, ulong length)
    {
        _zeroes ??= new AlignedBuffer(BounceBufferSize, DirectAlignment);
        while (length > 0)
        {
            int chunk = (int)Math.Min(length, (ulong)_zeroes.Length);
            int misalignment = (int)(offset % DirectAlignment);
            if (misalignment != 0)
            {
                // Up to the next boundary only, so the rest starts aligned and skips the bounce.
                chunk = Math.Min(chunk, DirectAlignment - misalignment);
            }
            WriteDirect(offset, _zeroes.Span[..chunk]);
            offset += (ulong)chunk;
            length -= (ulong)chunk;
        }
    }

    /// <summary>How many of <paramref name="length"/> bytes from <paramref name="offset"/> lie before
    /// the partial block at the end of the image (all of them when the size is aligned).</summary>
    private int DirectPartLength(ulong offset, int length) =>
        offset >= _alignedEnd ? 0 : (int)Math.Min((ulong)length, _alignedEnd - offset);

    private void ReadAligned(ulong offset, Span<byte> destination)
    {
        int straight = StraightLength(offset, destination);
        ReadFully(offset, destination[..straight]);
        offset += (ulong)straight;
        destination = destination[straight..];

        while (!destination.IsEmpty)
        {
            var bounce = Bounce();
            ulong start = offset & ~(ulong)(DirectAlignment - 1);
            int lead = (int)(offset - start);
            int count = Math.Min(destination.Length, bounce.Length - lead);
            ReadFully(start, bounce[..AlignUp(lead + count)]);
            bounce.Slice(lead, count).CopyTo(destination);
            BouncedBytes += count;
            offset += (ulong)count;
            destination = destination[count..];
        }
    }

    private void WriteAligned(ulong offset, ReadOnlySpan<byte> source)
    {
        int straight = StraightLength(offset, source);
        RandomAccess.Write(_handle, source[..straight], checked((long)offset));
        offset += (ulong)straight;
        source = source[straight..];

        while (!source.IsEmpty)
        {
            var bounce = Bounce();
            ulong start = offset & ~(ulong)(DirectAlignment - 1);
            int lead = (int)(offset - start);
            int count = Math.Min(source.Length, bounce.Length - lead);
            int blocks = AlignUp(lead + count);
            // Read-modify-write of the partially covered edge blocks; whole blocks in between are
            // simply overwritten.
            if (lead != 0)
            {
                ReadFully(start, bounce[..DirectAlignment]);
            }
            if ((lead + count) % DirectAlignment != 0 && (lead == 0 || blocks > DirectAlignment))
            {
                ReadFully(start + (ulong)(blocks - DirectAlignment), bounce.Slice(blocks - DirectAlignment, DirectAlignment));
            }
            source[..count].CopyTo(bounce[lead..]);
            RandomAccess.Write(_handle, bounce[..blocks], checked((long)start));
            BouncedBytes += count;
            offset += (ulong)count;
            source = source[count..];
        }
    }

    /// <summary>The aligned prefix that can go straight to or from <paramref name="memory"/>: all
    /// whole blocks when offset and address are aligned, else nothing.</summary>
    private static int StraightLength(ulong offset, ReadOnlySpan<byte> memory) =>
        offset % DirectAlignment == 0 && DirectIO.AddressOf(memory) % DirectAlignment == 0
            ? memory.Length & ~(DirectAlignment - 1)
            : 0;

    private Span<byte> Bounce() => (_bounce ??= new AlignedBuffer(BounceBufferSize, DirectAlignment)).Span;

    private static int AlignUp(int value) => (value + DirectAlignment - 1) & ~(DirectAlignment - 1);
}
