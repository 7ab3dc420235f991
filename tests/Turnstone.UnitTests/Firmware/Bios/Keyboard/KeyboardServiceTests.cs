using Turnstone.Firmware.Bios;
using Turnstone.Firmware.Bios.Keyboard;
using Turnstone.GuestMemory;

namespace Turnstone.UnitTests.Firmware.Bios.Keyboard;

public sealed class KeyboardServiceTests
{
    private readonly BiosServiceBench _bench = new();
    private readonly FakeBiosConsole _console = new();
    private readonly KeyboardService _service;

    public KeyboardServiceTests() => _service = new KeyboardService(_console);

    private BiosCall Invoke(ushort ax) => _bench.Invoke(_service, ax);

    [Fact]
    public void Read_without_a_key_asks_the_stub_to_wait_and_retry()
    {
        var call = Invoke(0x0000);
        Assert.True(call.WaitAndRetry);

        _console.Type("x");
        call = Invoke(0x0000);
        Assert.False(call.WaitAndRetry);
        Assert.Equal(0x2D78, _bench.Ax);
    }

    [Fact]
    public void Read_takes_keys_in_order_through_the_bda_ring()
    {
        _console.Type("ab");
        Invoke(0x0000);
        Assert.Equal(0x1E61, _bench.Ax);
        Assert.Equal(0x3062, _bench.Memory.ReadUInt16(0x420)); // the second key, still queued in the BDA
        Invoke(0x1000);
        Assert.Equal(0x3062, _bench.Ax);
        Assert.True(Invoke(0x0000).WaitAndRetry);
    }

    [Fact]
    public void Grey_keys_are_plain_for_00h_and_extended_for_10h()
    {
        _console.Type("\x1b[A\x1b[A");
        Invoke(0x0000);
        Assert.Equal(0x4800, _bench.Ax);
        Invoke(0x1000);
        Assert.Equal(0x48E0, _bench.Ax);
    }

    [Fact]
    public void Peek_sets_zf_when_empty_and_leaves_the_key_when_not()
    {
        Invoke(0x0100);
        Assert.True(_bench.Zero);

        _console.Type("\r");
        Invoke(0x0100);
        Assert.False(_bench.Zero);
        Assert.Equal(0x1C0D, _bench.Ax);
        Invoke(0x1100);
        Assert.False(_bench.Zero);
        Assert.Equal(0x1C0D, _bench.Ax);
        Invoke(0x0000);
        Assert.Equal(0x1C0D, _bench.Ax); // the peeks did not consume it
        Invoke(0x0100);
        Assert.True(_bench.Zero);
    }

    [Fact]
    public void A_lone_escape_is_the_esc_key()
    {
        _console.Type("\x1b");
        Invoke(0x0000);
        Assert.Equal(0x011B, _bench.Ax);
    }

    [Fact]
    public void Keys_the_full_ring_cannot_take_wait_in_the_service_in_order()
    {
        _console.Type("abcdefghijklmnopqrs"); // 19 keys, the ring holds 15
        _service.PollConsole(_bench.Memory);
        Assert.True(KeyboardBuffer.IsFull(_bench.Memory));
        var keys = new List<ushort>();
        for (int i = 0; i < 19; i++)
        {
            Invoke(0x0000);
            keys.Add((ushort)(_bench.Ax & 0xFF));
        }
        Assert.Equal("abcdefghijklmnopqrs".Select(c => (ushort)c), keys);
    }

    [Fact]
    public void Shift_flags_come_from_the_bda()
    {
        _bench.Memory.WriteByte(0x417, 0x20); // Num Lock
        _bench.Memory.WriteByte(0x418, 0x0C);
        _bench.Memory.WriteByte(0x496, 0x10 | 0x04); // right Ctrl down
        Invoke(0x0200);
        Assert.Equal(0x20, _bench.Ax & 0xFF);
        Invoke(0x1200);
        Assert.Equal(0x0420, _bench.Ax);
    }

    [Fact]
    public void Store_key_pushes_into_the_ring_until_it_is_full()
    {
        _bench.Registers.Ecx = 0x3920;
        Invoke(0x0500);
        Assert.Equal(0, _bench.Ax & 0xFF);
        Assert.False(_bench.Carry);
        Invoke(0x0000);
        Assert.Equal(0x3920, _bench.Ax);

        for (int i = 0; i < 15; i++)
        {
            Invoke(0x0500);
        }
        Invoke(0x0500);
        Assert.Equal(1, _bench.Ax & 0xFF);
        Assert.True(_bench.Carry);
    }

    [Fact]
    public void Typematic_capabilities_and_keyboard_id_answer_as_seabios()
    {
        Invoke(0x0305);
        Assert.False(_bench.Carry);
        Invoke(0x0900);
        Assert.Equal(0x30, _bench.Ax & 0xFF);
        Invoke(0x0A00);
        Assert.Equal(0xAB83u, _bench.Registers.Ebx & 0xFFFF);
        Invoke(0x9200);
        Assert.Equal(0x80, _bench.Ax >> 8);
    }

    [Fact]
    public void Unknown_functions_are_unsupported()
    {
        Invoke(0x2000);
        Assert.True(_bench.Carry);
        Assert.Equal(0x01, _bench.Ax >> 8);
        Assert.Single(_bench.Unsupported.Reported);
    }

    [Theory]
    [InlineData(0x48E0, false, 0x4800)]
    [InlineData(0x48E0, true, 0x48E0)]
    [InlineData(0xE00D, false, 0x1C0D)]
    [InlineData(0xE02F, false, 0x352F)]
    [InlineData(0x01F0, true, 0x0100)]
    [InlineData(0x1E61, false, 0x1E61)]
    public void Translation_for_old_callers_follows_seabios(int key, bool extended, int expected)
    {
        Assert.Equal((ushort)expected, KeyboardService.Translate((ushort)key, extended));
    }
}
