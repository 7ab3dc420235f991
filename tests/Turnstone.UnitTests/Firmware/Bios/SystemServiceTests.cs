using Turnstone.Firmware.Bios;
using Turnstone.Firmware.LinuxBoot;
using Turnstone.GuestMemory;

namespace Turnstone.UnitTests.Firmware.Bios;

public sealed class SystemServiceTests
{
    private readonly BiosServiceBench _bench = new();
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
    private readonly SystemService _service;

    public SystemServiceTests()
    {
        _service = new SystemService(E820Map.FromRam([new GuestMemoryRegion(0, 64ul << 20)]), _time);
    }

    private BiosCall Invoke(ushort ax) => _bench.Invoke(_service, ax);

    [Fact]
    public void A20_is_always_on_and_gated_through_the_keyboard_controller_and_port_92h()
    {
        Invoke(0x2401);
        Assert.False(_bench.Carry);
        Assert.Equal(0, _bench.Ax >> 8);

        Invoke(0x2402);
        Assert.False(_bench.Carry);
        Assert.Equal(0x0001, _bench.Ax);

        _bench.Registers.Ebx = 0xFFFF_FFFF;
        Invoke(0x2403);
        Assert.False(_bench.Carry);
        Assert.Equal(0xFFFF_0003u, _bench.Registers.Ebx);
    }

    [Fact]
    public void A20_cannot_be_disabled()
    {
        Invoke(0x2400);
        Assert.True(_bench.Carry);
        Assert.Equal(0x86, _bench.Ax >> 8);
    }

    [Fact]
    public void C0h_points_at_the_configuration_table()
    {
        Invoke(0xC000);
        Assert.False(_bench.Carry);
        Assert.Equal(0, _bench.Ax >> 8);
        Assert.Equal(0xF000, _bench.Registers.Es);
        Assert.Equal(0xE6F5u, _bench.Registers.Ebx & 0xFFFF);
    }

    [Fact]
    public void C1h_returns_the_ebda_segment()
    {
        _bench.Memory.WriteUInt16(BiosServiceBench.FlagsAddress, 0x0003);
        Invoke(0xC100);
        Assert.False(_bench.Carry);
        Assert.Equal(0x9FC0, _bench.Registers.Es);
    }

    [Fact]
    public void Keyboard_intercept_and_os_hooks_are_quiet()
    {
        Invoke(0x4F1C);
        Assert.True(_bench.Carry);
        Assert.Equal(0x4F1C, _bench.Ax);
        _bench.Memory.WriteUInt16(BiosServiceBench.FlagsAddress, 0x0002);
        Invoke(0x9002);
        Assert.False(_bench.Carry);
        Assert.Equal(0x9002, _bench.Ax);
        Assert.Empty(_bench.Unsupported.Reported);
    }

    [Fact]
    public void Linux_cpu_mode_hint_EC00h_succeeds_quietly()
    {
        _bench.Registers.Ebx = 2; // long mode only
        Invoke(0xEC00);
        Assert.False(_bench.Carry);
        Assert.Equal(0, _bench.Ax >> 8);
        Assert.Empty(_bench.Unsupported.Reported);
    }

    [Theory]
    [InlineData(0x5300, "APM")]
    [InlineData(0xC200, "PS/2 mouse")]
    [InlineData(0xE980, "SpeedStep")]
    [InlineData(0x8700, "block move")]
    [InlineData(0xE881, "E881")]
    [InlineData(0x2404, "2404")]
    public void Functions_we_do_not_implement_fail_and_are_logged_by_name(ushort ax, string name)
    {
        Invoke(ax);
        Assert.True(_bench.Carry);
        Assert.Equal(0x86, _bench.Ax >> 8); // INT 15h's "function not supported", as SeaBIOS's handle_15XX answers
        Assert.Contains(_bench.Unsupported.Reported, r => r.Contains(name, StringComparison.Ordinal));
    }

    [Fact]
    public void Wait_86h_asks_to_retry_until_the_time_has_passed_and_a_retry_continues_the_same_wait()
    {
        _bench.Registers.Ecx = 0x0001; // CX:DX = 0x1_86A0 = 100 ms
        _bench.Registers.Edx = 0x86A0;
        var call = Invoke(0x8600);
        Assert.True(call.WaitAndRetry);
        Assert.Equal(1, _bench.Memory.ReadByte(0x4A0) & 1);

        _time.Advance(TimeSpan.FromMilliseconds(60));
        call = Invoke(0x8600); // the stub's retry: same registers
        Assert.True(call.WaitAndRetry);

        _time.Advance(TimeSpan.FromMilliseconds(60));
        call = Invoke(0x8600);
        Assert.False(call.WaitAndRetry);
        Assert.False(_bench.Carry);
        Assert.Equal(0, _bench.Memory.ReadByte(0x4A0) & 1);

        // The next call is a new wait, not the tail of the old one.
        call = Invoke(0x8600);
        Assert.True(call.WaitAndRetry);
    }

    [Fact]
    public void Wait_of_zero_microseconds_returns_at_once()
    {
        _bench.Registers.Ecx = 0;
        _bench.Registers.Edx = 0;
        var call = Invoke(0x8600);
        Assert.False(call.WaitAndRetry);
        Assert.False(_bench.Carry);
    }
}
