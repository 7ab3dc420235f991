using Turnstone.Firmware.Bios.Keyboard;
using Turnstone.GuestMemory;

namespace Turnstone.UnitTests.Firmware.Bios.Keyboard;

public sealed class KeyboardBufferTests
{
    private readonly BiosServiceBench _bench = new();

    [Fact]
    public void Ring_holds_15_keys_and_refuses_the_16th()
    {
        for (int i = 0; i < 15; i++)
        {
            Assert.True(KeyboardBuffer.TryEnqueue(_bench.Memory, (ushort)(0x1000 + i)));
        }
        Assert.True(KeyboardBuffer.IsFull(_bench.Memory));
        Assert.False(KeyboardBuffer.TryEnqueue(_bench.Memory, 0x2000));
        Assert.Equal(0x1000, _bench.Memory.ReadUInt16(0x41E)); // the first key at the ring's start
    }

    [Fact]
    public void Ring_wraps_at_its_end_offset()
    {
        for (int round = 0; round < 40; round++)
        {
            Assert.True(KeyboardBuffer.TryEnqueue(_bench.Memory, (ushort)round));
            Assert.True(KeyboardBuffer.TryPeek(_bench.Memory, out ushort peeked));
            Assert.Equal(round, peeked);
            Assert.True(KeyboardBuffer.TryDequeue(_bench.Memory, out ushort key));
            Assert.Equal(round, key);
            ushort head = _bench.Memory.ReadUInt16(0x41A);
            Assert.InRange(head, (ushort)0x1E, (ushort)0x3C);
            Assert.Equal(head, _bench.Memory.ReadUInt16(0x41C));
        }
        Assert.False(KeyboardBuffer.TryDequeue(_bench.Memory, out _));
    }

    [Theory]
    [InlineData(0x3E, 0x1E, 0x1E, 0x1E)] // start after end
    [InlineData(0x1E, 0x3E, 0x50, 0x1E)] // head outside the ring
    [InlineData(0x1E, 0x3E, 0x1F, 0x1E)] // head not on a word
    public void Nonsense_pointers_read_as_an_empty_full_ring(ushort start, ushort end, ushort head, ushort tail)
    {
        _bench.Memory.WriteUInt16(0x480, start);
        _bench.Memory.WriteUInt16(0x482, end);
        _bench.Memory.WriteUInt16(0x41A, head);
        _bench.Memory.WriteUInt16(0x41C, tail);
        Assert.False(KeyboardBuffer.TryEnqueue(_bench.Memory, 0x1C0D));
        Assert.False(KeyboardBuffer.TryDequeue(_bench.Memory, out _));
        Assert.True(KeyboardBuffer.IsFull(_bench.Memory));
    }
}
