using System.Buffers.Binary;
using Turnstone.GuestMemory;

namespace Turnstone.Firmware.Bios.Keyboard;

/// <summary>
/// The BDA keyboard ring: head (0x41A) and tail (0x41C) are offsets in segment 40h, the ring runs
/// from the start (0x480) to the end (0x482) offsets, 16 words at 0x41E..0x43D by default; one slot
/// stays empty so that head == tail means empty. The guest may move the ring (some DOS programs
/// did), so the pointers are read each time and checked: pointers that make no sense read as an
/// empty, full ring rather than letting a guest steer our writes.
/// </summary>
public static class KeyboardBuffer
{
    private static ulong Address(ushort offset) => ((ulong)BiosMemoryLayout.BiosDataAreaSegment << 4) + offset;

    public static bool TryEnqueue(IGuestMemory memory, ushort key)
    {
        if (!TryReadPointers(memory, out var ring))
        {
            return false;
        }
        ushort next = Advance(ring.Tail, ring);
        if (next == ring.Head || !memory.TryGetSpan(Address(ring.Tail), 2, out var slot))
        {
            return false;
        }
        BinaryPrimitives.WriteUInt16LittleEndian(slot, key);
        memory.WriteUInt16(BiosDataArea.KeyboardBufferTail, next);
        return true;
    }

    public static bool TryPeek(IGuestMemory memory, out ushort key)
    {
        key = 0;
        if (!TryReadPointers(memory, out var ring) || ring.Head == ring.Tail || !memory.TryGetSpan(Address(ring.Head), 2, out var slot))
        {
            return false;
        }
        key = BinaryPrimitives.ReadUInt16LittleEndian(slot);
        return true;
    }

    public static bool TryDequeue(IGuestMemory memory, out ushort key)
    {
        if (!TryPeek(memory, out key))
        {
            return false;
        }
        TryReadPointers(memory, out var ring);
        memory.WriteUInt16(BiosDataArea.KeyboardBufferHead, Advance(ring.Head, ring));
        return true;
    }

    public static bool IsFull(IGuestMemory memory) =>
        !TryReadPointers(memory, out var ring) || Advance(ring.Tail, ring) == ring.Head;

    private static ushort Advance(ushort pointer, Ring ring) => (ushort)(pointer + 2 >= ring.End ? ring.Start : pointer + 2);

    private static bool TryReadPointers(IGuestMemory memory, out Ring ring)
    {
        ring = new Ring(
            memory.ReadUInt16(BiosDataArea.KeyboardBufferStart), memory.ReadUInt16(BiosDataArea.KeyboardBufferEnd),
            memory.ReadUInt16(BiosDataArea.KeyboardBufferHead), memory.ReadUInt16(BiosDataArea.KeyboardBufferTail));
        return ring.Start < ring.End && ring.End - ring.Start >= 4 && ring.End <= 0xFFFE
            && ring.Head >= ring.Start && ring.Head < ring.End && ring.Tail >= ring.Start && ring.Tail < ring.End
            && (ring.Head - ring.Start) % 2 == 0 && (ring.Tail - ring.Start) % 2 == 0;
    }

    private readonly record struct Ring(ushort Start, ushort End, ushort Head, ushort Tail);
}
