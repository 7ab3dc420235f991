using Turnstone.Firmware.Bios;
using Turnstone.GuestMemory;

namespace Turnstone.UnitTests.Firmware.Bios;

public sealed class BiosCallTests
{
    private readonly ArrayGuestMemory _memory = new(2ul << 20);
    private readonly FakeRealModeRegisters _registers = new() { Ss = 0x0000, Esp = 0x7BF0 };

    private BiosCall Call(byte vector = 0x13) => new(vector, _registers, _memory, new UnsupportedServiceLog(null));

    [Fact]
    public void Carry_and_zero_go_into_the_flags_word_the_int_pushed_not_the_live_flags()
    {
        _memory.GetSpan(0x7BF4, 2)[0] = 0x02;
        var call = Call();
        call.Fail(0x80);
        call.Zero = true;
        Assert.Equal(0x80, call.Ah);
        Assert.Equal(0x43, _memory.GetSpan(0x7BF4, 2)[0]);
        Assert.Equal(0x2u, _registers.Eflags);
        call.Succeed();
        Assert.False(call.Carry);
    }

    [Fact]
    public void Unsupported_returns_invalid_function_and_is_logged_once_by_name()
    {
        var log = new StringWriter();
        var unsupported = new UnsupportedServiceLog(log);
        for (int i = 0; i < 3; i++)
        {
            var call = new BiosCall(0x15, _registers, _memory, unsupported);
            call.Unsupported("INT 15h AX=5300h (APM)");
            Assert.True(call.Carry);
            Assert.Equal(0x01, call.Ah);
        }
        Assert.Single(log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData(0xFFFF, 0xFFFF, 32, false)] // beyond 1 MiB + 64 KiB
    [InlineData(0x1000, 0x10000, 1, false)] // offset wider than 16 bits
    [InlineData(0x07C0, 0x0000, 512, true)]
    public void Real_mode_spans_are_checked_before_use(ushort segment, uint offset, int length, bool expected)
    {
        Assert.Equal(expected, Call().TryGetRealModeSpan(segment, offset, length, out _));
    }

    [Fact]
    public void Physical_spans_outside_ram_are_refused()
    {
        Assert.False(Call().TryGetPhysicalSpan(0xFFFF_F000, 512, out _));
        Assert.True(Call().TryGetPhysicalSpan(0x10_0000, 512, out _));
    }
}
