using System.Buffers.Binary;
using Turnstone.Devices.Virtio;
using Turnstone.GuestMemory;

namespace Turnstone.Benchmarks.Virtio;

/// <summary>
/// The guest driver's half of one split virtqueue in fake guest memory, reduced to what the hot-path
/// benchmarks need (the unit tests' FakeVirtioDriver lays rings out the same way, as Linux's
/// virtio_ring does). Descriptors are written once, at setup; an operation then only publishes heads
/// and reaps the used ring, so the driver side allocates nothing and costs little next to the device.
/// </summary>
public sealed class BenchmarkVirtioDriver
{
    public const ulong DescriptorTableAddress = 0x10000;
    public const ulong AvailableRingAddress = 0x30000;
    public const ulong UsedRingAddress = 0x40000;
    private const ulong BufferArea = 0x100000;

    private readonly IGuestMemory _memory;
    private readonly ushort _size;
    private ushort _nextFreeDescriptor;
    private ulong _nextBuffer = BufferArea;
    private ushort _availableIndex;
    private ushort _lastSeenUsedIndex;

    /// <summary>Configures <paramref name="queue"/> with this driver's ring addresses and enables it.</summary>
    public BenchmarkVirtioDriver(IGuestMemory memory, Virtqueue queue, ushort size)
    {
        _memory = memory;
        _size = size;
        queue.Size = size;
        queue.DescriptorTableAddress = DescriptorTableAddress;
        queue.AvailableRingAddress = AvailableRingAddress;
        queue.UsedRingAddress = UsedRingAddress;
        if (!queue.TryEnable(out var error))
        {
            throw new InvalidOperationException($"queue did not enable: {error}");
        }
    }

    /// <summary>Guest RAM for buffers, never reused, so every buffer has its own bytes.</summary>
    public ulong Allocate(int length, int alignment = 4096)
    {
        ulong address = (_nextBuffer + (ulong)alignment - 1) & ~((ulong)alignment - 1);
        _nextBuffer = address + (ulong)Math.Max(length, 1);
        return address;
    }

    /// <summary>Writes the buffers as a chain of consecutive free descriptors; returns its head
    /// without publishing it (<see cref="Publish"/> does that, as often as the benchmark wants).</summary>
    public ushort WriteChain(ReadOnlySpan<(ulong Address, uint Length, bool IsWritable)> buffers)
    {
        if (buffers.Length > _size - _nextFreeDescriptor)
        {
            throw new InvalidOperationException("the descriptor table is full");
        }
        ushort head = _nextFreeDescriptor;
        for (int i = 0; i < buffers.Length; i++)
        {
            bool last = i == buffers.Length - 1;
            ushort flags = (ushort)((buffers[i].IsWritable ? VirtqueueDescriptorChain.FlagWrite : 0)
                | (last ? 0 : VirtqueueDescriptorChain.FlagNext));
            WriteDescriptor(DescriptorTableAddress, head + i, buffers[i].Address, buffers[i].Length, flags,
                last ? (ushort)0 : (ushort)(head + i + 1));
        }
        _nextFreeDescriptor += (ushort)buffers.Length;
        return head;
    }

    /// <summary>Writes the buffers into an indirect table and one main descriptor pointing at it.</summary>
    public ushort WriteIndirectChain(ReadOnlySpan<(ulong Address, uint Length, bool IsWritable)> buffers)
    {
        ulong table = Allocate(buffers.Length * VirtqueueDescriptorChain.DescriptorSize, alignment: 16);
        for (int i = 0; i < buffers.Length; i++)
        {
            bool last = i == buffers.Length - 1;
            ushort flags = (ushort)((buffers[i].IsWritable ? VirtqueueDescriptorChain.FlagWrite : 0)
                | (last ? 0 : VirtqueueDescriptorChain.FlagNext));
            WriteDescriptor(table, i, buffers[i].Address, buffers[i].Length, flags, last ? (ushort)0 : (ushort)(i + 1));
        }
        ushort head = _nextFreeDescriptor++;
        WriteDescriptor(DescriptorTableAddress, head, table, (uint)(buffers.Length * VirtqueueDescriptorChain.DescriptorSize),
            VirtqueueDescriptorChain.FlagIndirect, 0);
        return head;
    }

    /// <summary>avail->ring[idx % size] = head; avail->idx++ (x86 keeps the two stores in order).</summary>
    public void Publish(ushort head)
    {
        WriteUInt16(AvailableRingAddress + 4 + 2UL * (ushort)(_availableIndex & (_size - 1)), head);
        _availableIndex++;
        WriteUInt16(AvailableRingAddress + 2, _availableIndex);
    }

    /// <summary>Reads used->idx and returns how many chains the device completed since the last call,
    /// as the driver's interrupt handler or polling loop would.</summary>
    public int ReapUsed()
    {
        ushort usedIndex = ReadUInt16(UsedRingAddress + 2);
        int completed = (ushort)(usedIndex - _lastSeenUsedIndex);
        _lastSeenUsedIndex = usedIndex;
        return completed;
    }

    /// <summary>The len of the used element the device wrote last.</summary>
    public uint LastUsedLength()
    {
        ulong element = UsedRingAddress + 4 + 8UL * (ushort)((_lastSeenUsedIndex - 1) & (_size - 1));
        return BinaryPrimitives.ReadUInt32LittleEndian(Span(element + 4, 4));
    }

    public Span<byte> Span(ulong address, int length) =>
        _memory.TryGetSpan(address, length, out var span) ? span : throw new InvalidOperationException($"0x{address:x} is not RAM");

    private void WriteDescriptor(ulong table, int index, ulong address, uint length, ushort flags, ushort next)
    {
        var raw = Span(table + (ulong)index * VirtqueueDescriptorChain.DescriptorSize, VirtqueueDescriptorChain.DescriptorSize);
        BinaryPrimitives.WriteUInt64LittleEndian(raw, address);
        BinaryPrimitives.WriteUInt32LittleEndian(raw[8..], length);
        BinaryPrimitives.WriteUInt16LittleEndian(raw[12..], flags);
        BinaryPrimitives.WriteUInt16LittleEndian(raw[14..], next);
    }

    private ushort ReadUInt16(ulong address) => BinaryPrimitives.ReadUInt16LittleEndian(Span(address, 2));

    private void WriteUInt16(ulong address, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(Span(address, 2), value);
}
