using System.Buffers.Binary;
using Turnstone.GuestMemory;

namespace Turnstone.Devices.Virtio;

/// <summary>
/// A descriptor chain popped from a split virtqueue, walked and validated once, when it is popped.
/// The descriptors are copied out of guest memory into <see cref="Segments"/>, so a driver that
/// rewrites its descriptor table while the device works sees no effect (no double fetch). A chain
/// that breaks a rule carries the <see cref="Error"/> and no segments; its <see cref="HeadIndex"/> is
/// still what the driver placed in the available ring. A queue worker that handles one chain at a
/// time keeps one chain object and pops into it (<see cref="Virtqueue.TryPopChainInto"/>), so popping
/// allocates nothing; such a chain is only valid until the next pop into it.
/// </summary>
public sealed class VirtqueueDescriptorChain
{
    /// <summary>Size of one descriptor (struct virtq_desc) in a descriptor table.</summary>
    public const int DescriptorSize = 16;

    /// <summary>VIRTQ_DESC_F_NEXT: the chain continues at <c>next</c>.</summary>
    public const ushort FlagNext = 1;

    /// <summary>VIRTQ_DESC_F_WRITE: the buffer is device-writable.</summary>
    public const ushort FlagWrite = 2;

    /// <summary>VIRTQ_DESC_F_INDIRECT: the buffer holds a table of descriptors.</summary>
    public const ushort FlagIndirect = 4;

    /// <summary>The spec forbids chains longer than 2^32 bytes in total.</summary>
    public const ulong MaxTotalLength = 1UL << 32;

    /// <summary>An indirect table is indexed by 16-bit <c>next</c> fields: at most 65536 entries.</summary>
    public const int MaxIndirectEntries = 65536;

    /// <summary>Ranges handed out by the range enumerators are cut to this size so each fits a span.</summary>
    public const int MaxRangeLength = 1 << 30;

    private readonly IGuestMemory _memory;
    // Reused by every walk into this chain: a queue worker that pops into one chain
    // (Virtqueue.TryPopChainInto) stops allocating once the buffer fits its largest chain. The walk
    // limits bound it at queue size + MaxIndirectEntries segments.
    private VirtqueueSegment[] _segments = [];
    private int _segmentCount;

    /// <summary>
    /// An empty chain over <paramref name="memory"/>, for <see cref="Virtqueue.TryPopChainInto"/> to
    /// fill again and again. It holds no chain (no segments, <see cref="HeadIndex"/> 0) until then.
    /// </summary>
    public VirtqueueDescriptorChain(IGuestMemory memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        _memory = memory;
    }

    /// <summary>The guest memory the segments were validated against and are read and written through.</summary>
    internal IGuestMemory Memory => _memory;

    /// <summary>The descriptor index the driver placed in the available ring; the id for the used ring.</summary>
    public ushort HeadIndex { get; private set; }

    /// <summary>Null for a well-formed chain; otherwise the first rule the chain broke.</summary>
    public VirtqueueError? Error { get; private set; }

    public bool IsValid => Error is null;

    /// <summary>The buffers in chain order: readable ones first, then writable ones. Indirect
    /// descriptors are resolved (they never appear here). Empty for a broken chain. For inspection:
    /// the I/O paths use <see cref="EnumerateReadable"/> and <see cref="EnumerateWritable"/>.</summary>
    public IReadOnlyList<VirtqueueSegment> Segments => new ArraySegment<VirtqueueSegment>(_segments, 0, _segmentCount);

    /// <summary>Total bytes of the device-readable buffers.</summary>
    public ulong ReadableLength { get; private set; }

    /// <summary>Total bytes of the device-writable buffers.</summary>
    public ulong WritableLength { get; private set; }

    private ReadOnlySpan<VirtqueueSegment> SegmentSpan => _segments.AsSpan(0, _segmentCount);

    /// <summary>
    /// Walks the chain that starts at <paramref name="headIndex"/> in the descriptor table at
    /// <paramref name="descriptorTableAddress"/> (<paramref name="queueSize"/> entries), following
    /// NEXT and, when <paramref name="indirectDescriptorsEnabled"/>, one INDIRECT table. Never throws
    /// for any content of guest memory.
    /// </summary>
    public static VirtqueueDescriptorChain Walk(IGuestMemory memory, ulong descriptorTableAddress, ushort queueSize,
        ushort headIndex, bool indirectDescriptorsEnabled)
    {
        var chain = new VirtqueueDescriptorChain(memory);
        chain.Refill(descriptorTableAddress, queueSize, headIndex, indirectDescriptorsEnabled);
        return chain;
    }

    /// <summary>
    /// <see cref="Walk"/> into this chain, replacing what it held: every descriptor is read once and
    /// validated as for a fresh chain; only the segment buffer is kept.
    /// </summary>
    internal void Refill(ulong descriptorTableAddress, ushort queueSize, ushort headIndex, bool indirectDescriptorsEnabled)
    {
        HeadIndex = headIndex;
        _segmentCount = 0;
        ReadableLength = WritableLength = 0;
        Error = WalkSegments(descriptorTableAddress, queueSize, headIndex, indirectDescriptorsEnabled);
        if (Error is not null)
        {
            // A broken chain carries no segments, whatever it walked before the fault (the lengths
            // are only set when the walk succeeds).
            _segmentCount = 0;
        }
    }

    private VirtqueueError? WalkSegments(ulong descriptorTableAddress, ushort queueSize, ushort headIndex, bool indirectDescriptorsEnabled)
    {
        var memory = _memory;
        ulong tableAddress = descriptorTableAddress;
        int tableEntries = queueSize;
        bool inIndirectTable = false;
        int index = headIndex;
        // The chain may visit each entry of the table it walks at most once; one more is a loop or
        // an over-long chain. The main table and an indirect table are counted separately.
        int visited = 0;
        ulong readable = 0, writable = 0;
        bool seenWritable = false;

        while (true)
        {
            if (index >= tableEntries)
            {
                return VirtqueueError.DescriptorOutOfRange;
            }
            if (++visited > tableEntries)
            {
                return VirtqueueError.ChainTooLong;
            }
            ulong descriptorAddress = tableAddress + (ulong)index * DescriptorSize;
            if (!memory.TryGetSpan(descriptorAddress, DescriptorSize, out var raw))
            {
                // Unreachable for tables validated at enable time and indirect tables validated
                // below, unless guest memory changed underneath: still a guest-side fault.
                return VirtqueueError.RingOutOfRange;
            }
            ulong address = BinaryPrimitives.ReadUInt64LittleEndian(raw);
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(raw[8..]);
            ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(raw[12..]);
            ushort next = BinaryPrimitives.ReadUInt16LittleEndian(raw[14..]);

            if ((flags & FlagIndirect) != 0)
            {
                // The spec lets zero or more direct descriptors precede one indirect descriptor,
                // which then ends the main chain; its WRITE flag is ignored.
                if (!indirectDescriptorsEnabled || inIndirectTable || (flags & FlagNext) != 0
                    || length == 0 || length % DescriptorSize != 0 || length / DescriptorSize > MaxIndirectEntries
                    || !memory.TryGetSpan(address, (int)length, out _))
                {
                    return VirtqueueError.BadIndirect;
                }
                tableAddress = address;
                tableEntries = (int)(length / DescriptorSize);
                inIndirectTable = true;
                index = 0;
                visited = 0;
                continue;
            }

            bool isWritable = (flags & FlagWrite) != 0;
            if (!isWritable && seenWritable)
            {
                return VirtqueueError.WritableBeforeReadable;
            }
            if (!memory.IsRam(address, length))
            {
                return VirtqueueError.AddressOutOfRange;
            }
            if (readable + writable + length > MaxTotalLength)
            {
                return VirtqueueError.ChainTooLarge;
            }
            if (isWritable)
            {
                seenWritable = true;
                writable += length;
            }
            else
            {
                readable += length;
            }
            AddSegment(new VirtqueueSegment(address, length, isWritable));

            if ((flags & FlagNext) == 0)
            {
                ReadableLength = readable;
                WritableLength = writable;
                return null;
            }
            index = next;
        }
    }

    private void AddSegment(VirtqueueSegment segment)
    {
        if (_segmentCount == _segments.Length)
        {
            Array.Resize(ref _segments, Math.Max(4, _segments.Length * 2));
        }
        _segments[_segmentCount++] = segment;
    }

    /// <summary>The readable bytes from <paramref name="offset"/> (counted across all readable
    /// buffers) as guest ranges of at most <see cref="MaxRangeLength"/> bytes each.</summary>
    public VirtqueueRangeEnumerator EnumerateReadable(ulong offset, ulong length) => new(SegmentSpan, writable: false, offset, length);

    /// <summary>The writable bytes from <paramref name="offset"/> (counted across all writable
    /// buffers) as guest ranges of at most <see cref="MaxRangeLength"/> bytes each.</summary>
    public VirtqueueRangeEnumerator EnumerateWritable(ulong offset, ulong length) => new(SegmentSpan, writable: true, offset, length);

    /// <summary>Copies readable bytes starting at <paramref name="offset"/> into
    /// <paramref name="destination"/>; returns how many were copied (fewer at the end of the readable part).</summary>
    public int CopyFromReadable(ulong offset, Span<byte> destination)
    {
        int copied = 0;
        foreach (var range in EnumerateReadable(offset, (ulong)destination.Length))
        {
            if (!_memory.TryGetSpan(range.Address, (int)range.Length, out var source))
            {
                break;
            }
            source.CopyTo(destination[copied..]);
            copied += source.Length;
        }
        return copied;
    }

    /// <summary>Copies <paramref name="source"/> into the writable bytes starting at
    /// <paramref name="offset"/>; returns how many were written (fewer at the end of the writable part).</summary>
    public int CopyToWritable(ulong offset, ReadOnlySpan<byte> source)
    {
        int copied = 0;
        foreach (var range in EnumerateWritable(offset, (ulong)source.Length))
        {
            if (!_memory.TryGetSpan(range.Address, (int)range.Length, out var destination))
            {
                break;
            }
            source.Slice(copied, destination.Length).CopyTo(destination);
            copied += destination.Length;
        }
        return copied;
    }
}
