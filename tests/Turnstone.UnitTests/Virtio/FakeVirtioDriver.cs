using System.Buffers.Binary;
using Turnstone.Devices.Virtio;
using Turnstone.GuestMemory;

namespace Turnstone.UnitTests.Virtio;

/// <summary>One buffer as a driver describes it: guest address, length, device-writable or not.</summary>
public readonly record struct DriverBuffer(ulong Address, uint Length, bool IsWritable)
{
    public static DriverBuffer Readable(ulong address, uint length) => new(address, length, false);
    public static DriverBuffer Writable(ulong address, uint length) => new(address, length, true);
}

/// <summary>
/// Plays the guest driver of one split virtqueue in fake guest memory: lays out the rings, writes
/// descriptors and publishes chain heads with the same byte layout Linux's virtio_ring uses, and reads
/// back what the device put in the used ring. Raw writers let tests build malformed rings.
/// </summary>
public sealed class FakeVirtioDriver
{
    public const ulong DescriptorTableAddress = 0x10000;
    public const ulong AvailableRingAddress = 0x30000;
    public const ulong UsedRingAddress = 0x40000;
    public const ulong BufferArea = 0x80000;
    public const ulong DefaultMemorySize = 4 << 20;

    private ushort _nextFreeDescriptor;
    private ulong _nextBuffer = BufferArea;

    public FakeVirtioDriver(ushort size = 16, bool eventIndex = false, bool indirect = false, IGuestMemory? memory = null,
        ushort? maxSize = null)
    {
        Memory = memory ?? new ArrayGuestMemory(DefaultMemorySize);
        Size = size;
        Queue = new Virtqueue(Memory, maxSize ?? Math.Max(size, (ushort)16))
        {
            Size = size,
            DescriptorTableAddress = DescriptorTableAddress,
            AvailableRingAddress = AvailableRingAddress,
            UsedRingAddress = UsedRingAddress,
            EventIndexEnabled = eventIndex,
            IndirectDescriptorsEnabled = indirect,
        };
        Assert.True(Queue.TryEnable(out var error), $"queue did not enable: {error}");
    }

    public IGuestMemory Memory { get; }
    public Virtqueue Queue { get; }
    public ushort Size { get; }

    /// <summary>The driver's free-running available index (what it last published).</summary>
    public ushort AvailableIndex { get; private set; }

    public ulong Allocate(int length, int alignment = 16)
    {
        ulong address = (_nextBuffer + (ulong)alignment - 1) & ~((ulong)alignment - 1);
        _nextBuffer = address + (ulong)Math.Max(length, 1);
        return address;
    }

    public ulong AllocateWith(ReadOnlySpan<byte> contents)
    {
        ulong address = Allocate(contents.Length);
        Memory.Write(address, contents);
        return address;
    }

    public static void WriteDescriptor(IGuestMemory memory, ulong table, int index, ulong address, uint length, ushort flags, ushort next)
    {
        Span<byte> raw = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(raw, address);
        BinaryPrimitives.WriteUInt32LittleEndian(raw[8..], length);
        BinaryPrimitives.WriteUInt16LittleEndian(raw[12..], flags);
        BinaryPrimitives.WriteUInt16LittleEndian(raw[14..], next);
        memory.Write(table + (ulong)index * 16, raw);
    }

    public void WriteDescriptor(int index, ulong address, uint length, ushort flags, ushort next = 0) =>
        WriteDescriptor(Memory, DescriptorTableAddress, index, address, length, flags, next);

    /// <summary>Writes the buffers as a chain into consecutive free descriptors and publishes its head.</summary>
    public ushort AddChain(params DriverBuffer[] buffers)
    {
        ushort head = _nextFreeDescriptor;
        for (int i = 0; i < buffers.Length; i++)
        {
            ushort index = (ushort)((head + i) % Size);
            ushort next = (ushort)((head + i + 1) % Size);
            bool last = i == buffers.Length - 1;
            ushort flags = (ushort)((buffers[i].IsWritable ? VirtqueueDescriptorChain.FlagWrite : 0) | (last ? 0 : VirtqueueDescriptorChain.FlagNext));
            WriteDescriptor(index, buffers[i].Address, buffers[i].Length, flags, last ? (ushort)0 : next);
        }
        _nextFreeDescriptor = (ushort)((head + buffers.Length) % Size);
        Publish(head);
        return head;
    }

    /// <summary>Writes the buffers into a freshly allocated indirect table and publishes one main
    /// descriptor that points at it.</summary>
    public ushort AddIndirectChain(params DriverBuffer[] buffers)
    {
        ulong table = WriteIndirectTable(buffers);
        ushort head = _nextFreeDescriptor;
        WriteDescriptor(head, table, (uint)(buffers.Length * 16), VirtqueueDescriptorChain.FlagIndirect);
        _nextFreeDescriptor = (ushort)((head + 1) % Size);
        Publish(head);
        return head;
    }

    public ulong WriteIndirectTable(params DriverBuffer[] buffers)
    {
        ulong table = Allocate(buffers.Length * 16);
        for (int i = 0; i < buffers.Length; i++)
        {
            bool last = i == buffers.Length - 1;
            ushort flags = (ushort)((buffers[i].IsWritable ? VirtqueueDescriptorChain.FlagWrite : 0) | (last ? 0 : VirtqueueDescriptorChain.FlagNext));
            WriteDescriptor(Memory, table, i, buffers[i].Address, buffers[i].Length, flags, last ? (ushort)0 : (ushort)(i + 1));
        }
        return table;
    }

    /// <summary>avail->ring[idx % size] = head; barrier; avail->idx++.</summary>
    public void Publish(ushort head)
    {
        Memory.WriteUInt16(AvailableRingAddress + 4 + 2UL * (ushort)(AvailableIndex % Size), head);
        AvailableIndex++;
        Memory.WriteUInt16(AvailableRingAddress + 2, AvailableIndex);
    }

    /// <summary>Writes a raw available index, as a buggy or hostile driver might.</summary>
    public void SetAvailableIndexRaw(ushort value) => Memory.WriteUInt16(AvailableRingAddress + 2, value);

    public void SetAvailableFlags(ushort flags) => Memory.WriteUInt16(AvailableRingAddress, flags);

    public void SetUsedEvent(ushort value) => Memory.WriteUInt16(AvailableRingAddress + 4 + 2UL * Size, value);

    public ushort UsedIndex => Memory.ReadUInt16(UsedRingAddress + 2);

    public ushort UsedFlags => Memory.ReadUInt16(UsedRingAddress);

    public ushort AvailableEvent => Memory.ReadUInt16(UsedRingAddress + 4 + 8UL * Size);

    public (uint Id, uint Length) UsedElement(int ringIndex)
    {
        ulong address = UsedRingAddress + 4 + 8UL * (ulong)(ringIndex % Size);
        return (Memory.ReadUInt32(address), Memory.ReadUInt32(address + 4));
    }

    public VirtqueueDescriptorChain PopSingle()
    {
        Assert.True(Queue.TryPopChain(out var chain), "expected a chain to pop");
        return chain;
    }
}
