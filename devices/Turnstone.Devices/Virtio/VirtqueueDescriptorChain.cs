using System.Buffers.Binary;
using Turnstone.GuestMemory;

namespace Turnstone.Devices.Virtio;

/// <summary>
/// A descriptor chain popped from a split virtqueue, walked and validated once, when it is popped.
/// The descriptors are copied out of guest memory into <see cref="Segments"/>, so a driver that
/// rewrites its descriptor table while the device works sees no effect (no double fetch). A chain
/// that breaks a rule carries the <see cref="Error"/> and no segments; its <see cref="HeadIndex"/> is
/// still what the driver placed in the available ring.
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
    private readonly VirtqueueSegment[] _segments;

    private VirtqueueDescriptorChain(IGuestMemory memory, ushort headIndex, VirtqueueSegment[] segments,
        ulong readableLength, ulong writableLength, VirtqueueError? error)
    {
        _memory = memory;
        HeadIndex = headIndex;
        _segments = segments;
        ReadableLength = readableLength;
        WritableLength = writableLength;
        Error = error;
    }

    /// <summary>The descriptor index the driver placed in the available ring; the id for the used ring.</summary>
    public ushort HeadIndex { get; }

    /// <summary>Null for a well-formed chain; otherwise the first rule the chain broke.</summary>
    public VirtqueueError? Error { get; }

    public bool IsValid => Error is null;

    /// <summary>The buffers in chain order: readable ones first, then writable ones. Indirect
    /// descriptors are resolved (they never appear here). Empty for a broken chain.</summary>
    public IReadOnlyList<VirtqueueSegment> Segments => _segments;

    /// <summary>Total bytes of the device-readable buffers.</summary>
    public ulong ReadableLength { get; }

    /// <summary>Total bytes of the device-writable buffers.</summary>
    public ulong WritableLength { get; }

    /// <summary>
    /// Walks the chain that starts at <paramref name="headIndex"/> in the descriptor table at
    /// <paramref name="descriptorTableAddress"/> (<paramref name="queueSize"/> entries), following
    /// NEXT and, when <paramref name="indirectDescriptorsEnabled"/>, one INDIRECT table. Never throws
    /// for any content of guest memory.
    /// </summary>
    public static VirtqueueDescriptorChain Walk(IGuestMemory memory, ulong descriptorTableAddress, ushort queueSize,
        ushort headIndex, bool indirectDescriptorsEnabled)
    {
        ArgumentNullException.ThrowIfNull(memory);
        var segments = new List<VirtqueueSegment>(4);
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
                return Broken(memory, headIndex, VirtqueueError.DescriptorOutOfRange);
            }
            if (++visited > tableEntries)
            {
                return Broken(memory, headIndex, VirtqueueError.ChainTooLong);
            }
            ulong descriptorAddress = tableAddress + (ulong)index * DescriptorSize;
            if (!memory.TryGetSpan(descriptorAddress, DescriptorSize, out var raw))
            {
                // Unreachable for tables validated at enable time and indirect tables validated
                // below, unless guest memory changed underneath: still a guest-side fault.
                return Broken(memory, headIndex, VirtqueueError.RingOutOfRange);
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
                    return Broken(memory, headIndex, VirtqueueError.BadIndirect);
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
                return Broken(memory, headIndex, VirtqueueError.WritableBeforeReadable);
            }
            if (!memory.IsRam(address, length))
            {
                return Broken(memory, headIndex, VirtqueueError.AddressOutOfRange);
            }
            if (readable + writable + length > MaxTotalLength)
            {
                return Broken(memory, headIndex, VirtqueueError.ChainTooLarge);
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
            segments.Add(new VirtqueueSegment(address, length, isWritable));

            if ((flags & FlagNext) == 0)
            {
                return new VirtqueueDescriptorChain(memory, headIndex, [.. segments], readable, writable, error: null);
            }
            index = next;
        }
    }

    private static VirtqueueDescriptorChain Broken(IGuestMemory memory, ushort headIndex, VirtqueueError error) =>
        new(memory, headIndex, [], 0, 0, error);

    /// <summary>The readable bytes from <paramref name="offset"/> (counted across all readable
    /// buffers) as guest ranges of at most <see cref="MaxRangeLength"/> bytes each.</summary>
    public VirtqueueRangeEnumerator EnumerateReadable(ulong offset, ulong length) => new(_segments, writable: false, offset, length);

    /// <summary>The writable bytes from <paramref name="offset"/> (counted across all writable
    /// buffers) as guest ranges of at most <see cref="MaxRangeLength"/> bytes each.</summary>
    public VirtqueueRangeEnumerator EnumerateWritable(ulong offset, ulong length) => new(_segments, writable: true, offset, length);

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
