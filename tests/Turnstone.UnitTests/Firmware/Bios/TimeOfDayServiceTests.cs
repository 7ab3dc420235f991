using Turnstone.Devices.Legacy;
using Turnstone.Firmware.Bios;
using Turnstone.Machine.Bios;
using Turnstone.GuestMemory;

namespace Turnstone.UnitTests.Firmware.Bios;

public sealed class TimeOfDayServiceTests
{
    private readonly BiosServiceBench _bench = new();
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 15, 42, 7, TimeSpan.Zero));
    private readonly CmosRtc _rtc;
    private readonly TimeOfDayService _service;

    public TimeOfDayServiceTests()
    {
        _rtc = new CmosRtc(64 << 20, 0, () => _time.GetUtcNow().UtcDateTime);
        _service = new TimeOfDayService(new CmosRtcRegisters(_rtc));
    }

    /// <summary>A CMOS register as the guest reads it: index to port 70h, data from 71h.</summary>
    private byte GuestReadsCmos(byte index)
    {
        _rtc.Write(0, [index]);
        Span<byte> data = stackalloc byte[1];
        _rtc.Read(1, data);
        return data[0];
    }

    private void GuestWritesCmos(byte index, byte value)
    {
        _rtc.Write(0, [index]);
        _rtc.Write(1, [value]);
    }

    private BiosCall Invoke(ushort ax) => _bench.Invoke(_service, ax);

    [Fact]
    public void Ticks_are_read_from_the_bda_and_the_midnight_flag_is_cleared_on_read()
    {
        _bench.Memory.WriteUInt32(0x46C, 0x0012_3456);
        _bench.Memory.WriteByte(0x470, 1);
        Invoke(0x0000);
        Assert.False(_bench.Carry);
        Assert.Equal(0x0012u, _bench.Registers.Ecx & 0xFFFF);
        Assert.Equal(0x3456u, _bench.Registers.Edx & 0xFFFF);
        Assert.Equal(1, _bench.Ax & 0xFF);
        Assert.Equal(0, _bench.Memory.ReadByte(0x470));

        Invoke(0x0000);
        Assert.Equal(0, _bench.Ax & 0xFF);
    }

    [Fact]
    public void Setting_ticks_writes_the_bda_and_clears_the_midnight_flag()
    {
        _bench.Memory.WriteByte(0x470, 1);
        _bench.Registers.Ecx = 0x0001;
        _bench.Registers.Edx = 0x0002;
        Invoke(0x0100);
        Assert.False(_bench.Carry);
        Assert.Equal(0x0001_0002u, _bench.Memory.ReadUInt32(0x46C));
        Assert.Equal(0, _bench.Memory.ReadByte(0x470));
    }

    [Fact]
    public void Post_seeds_the_ticks_from_the_time_of_day()
    {
        _service.InitializeTicks(_bench.Memory);
        uint expected = (uint)(((15 * 3600) + (42 * 60) + 7) * (TimeOfDayService.TicksPerDay / 86400.0));
        Assert.InRange(_bench.Memory.ReadUInt32(0x46C), expected - 1, expected + 1);
        Assert.Equal(0u, TimeOfDayService.TicksAt(TimeSpan.Zero));
        Assert.True(TimeOfDayService.TicksAt(TimeSpan.FromDays(1) - TimeSpan.FromTicks(1)) < TimeOfDayService.TicksPerDay);
    }

    [Fact]
    public void Rtc_time_is_the_host_utc_time_in_bcd()
    {
        Invoke(0x0200);
        Assert.False(_bench.Carry);
        Assert.Equal(0x1542u, _bench.Registers.Ecx & 0xFFFF); // CH=15h, CL=42h
        Assert.Equal(0x0700u, _bench.Registers.Edx & 0xFFFF); // DH=07h, DL=0 (no DST)
    }

    [Fact]
    public void Rtc_date_is_century_year_month_day_in_bcd()
    {
        Invoke(0x0400);
        Assert.False(_bench.Carry);
        Assert.Equal(0x2026u, _bench.Registers.Ecx & 0xFFFF);
        Assert.Equal(0x1206u, _bench.Registers.Edx & 0xFFFF);
    }

    [Fact]
    public void Setting_time_and_date_moves_a_guest_offset_that_keeps_running()
    {
        _bench.Registers.Ecx = 0x0830;
        _bench.Registers.Edx = 0x1500;
        Invoke(0x0300);
        Assert.False(_bench.Carry);
        _bench.Registers.Ecx = 0x1999;
        _bench.Registers.Edx = 0x1231;
        Invoke(0x0500);
        Assert.False(_bench.Carry);

        _time.Advance(TimeSpan.FromSeconds(10));
        Invoke(0x0200);
        Assert.Equal(0x0830u, _bench.Registers.Ecx & 0xFFFF);
        Assert.Equal(0x2500u, _bench.Registers.Edx & 0xFFFF);
        Invoke(0x0400);
        Assert.Equal(0x1999u, _bench.Registers.Ecx & 0xFFFF);
        Assert.Equal(0x1231u, _bench.Registers.Edx & 0xFFFF);
    }

    [Fact]
    public void A_time_and_date_set_through_int_1ah_are_what_the_guest_reads_from_the_cmos()
    {
        _bench.Registers.Ecx = 0x0830;
        _bench.Registers.Edx = 0x1500;
        Invoke(0x0300);
        _bench.Registers.Ecx = 0x1999;
        _bench.Registers.Edx = 0x1231;
        Invoke(0x0500);

        Assert.Equal(0x15, GuestReadsCmos(0x00));
        Assert.Equal(0x30, GuestReadsCmos(0x02));
        Assert.Equal(0x08, GuestReadsCmos(0x04));
        Assert.Equal(0x31, GuestReadsCmos(0x07));
        Assert.Equal(0x12, GuestReadsCmos(0x08));
        Assert.Equal(0x99, GuestReadsCmos(0x09));
        Assert.Equal(0x19, GuestReadsCmos(0x32));
    }

    [Fact]
    public void A_time_the_guest_wrote_to_the_cmos_is_what_int_1ah_reads()
    {
        GuestWritesCmos(0x04, 0x03);
        GuestWritesCmos(0x02, 0x04);
        GuestWritesCmos(0x09, 0x31);
        Invoke(0x0200);
        Assert.Equal(0x0304u, _bench.Registers.Ecx & 0xFFFF);
        Invoke(0x0400);
        Assert.Equal(0x2031u, _bench.Registers.Ecx & 0xFFFF);
    }

    [Fact]
    public void Reads_return_bcd_when_the_guest_has_the_cmos_in_binary_12_hour_mode()
    {
        GuestWritesCmos(0x0B, 0x04); // binary, 12-hour
        Assert.Equal(0x80 | 3, GuestReadsCmos(0x04)); // 15:42 is 3 PM
        Invoke(0x0200);
        Assert.Equal(0x1542u, _bench.Registers.Ecx & 0xFFFF);
        Assert.Equal(0x0700u, _bench.Registers.Edx & 0xFFFF);
        Invoke(0x0400);
        Assert.Equal(0x2026u, _bench.Registers.Ecx & 0xFFFF);
        Assert.Equal(0x1206u, _bench.Registers.Edx & 0xFFFF);
    }

    [Fact]
    public void Setting_the_time_leaves_register_b_in_24_hour_bcd_with_the_dst_bit_asked_for_as_seabios_does()
    {
        GuestWritesCmos(0x0B, 0xFD); // SET, PIE, AIE, UIE, SQWE, binary, DST: 12-hour
        _bench.Registers.Ecx = 0x2359;
        _bench.Registers.Edx = 0x5801; // DL bit 0: daylight saving
        Invoke(0x0300);

        Assert.False(_bench.Carry);
        Assert.Equal(0x63, GuestReadsCmos(0x0B));   // PIE, AIE kept, 24-hour, BCD, DST
        Assert.Equal(0x0063, _bench.Ax);            // AH = 0, AL = register B
        Assert.Equal(0x23, GuestReadsCmos(0x04));
        Assert.Equal(0x59, GuestReadsCmos(0x02));
        Assert.Equal(0x58, GuestReadsCmos(0x00));
        Invoke(0x0200);
        Assert.Equal(0x2359u, _bench.Registers.Ecx & 0xFFFF);
        Assert.Equal(0x5801u, _bench.Registers.Edx & 0xFFFF); // DL: the DST bit
    }

    [Fact]
    public void Setting_the_date_writes_the_cmos_in_its_own_format_and_clears_only_the_set_bit()
    {
        GuestWritesCmos(0x0B, 0x86); // SET, binary, 24-hour
        _bench.Registers.Ecx = 0x2031;
        _bench.Registers.Edx = 0x0715;
        Invoke(0x0500);

        Assert.False(_bench.Carry);
        Assert.Equal(0x06, GuestReadsCmos(0x0B));
        Assert.Equal(0x0006, _bench.Ax);
        Assert.Equal(31, GuestReadsCmos(0x09)); // binary
        Assert.Equal(7, GuestReadsCmos(0x08));
        Assert.Equal(15, GuestReadsCmos(0x07));
        Assert.Equal(20, GuestReadsCmos(0x32));
        Invoke(0x0400);
        Assert.Equal(0x2031u, _bench.Registers.Ecx & 0xFFFF);
        Assert.Equal(0x0715u, _bench.Registers.Edx & 0xFFFF);
    }

    [Fact]
    public void Post_seeds_the_ticks_from_the_cmos_clock()
    {
        GuestWritesCmos(0x04, 0x06);
        GuestWritesCmos(0x02, 0x00);
        GuestWritesCmos(0x00, 0x00);
        _service.InitializeTicks(_bench.Memory);
        Assert.Equal(TimeOfDayService.TicksAt(TimeSpan.FromHours(6)), _bench.Memory.ReadUInt32(0x46C));
    }

    [Theory]
    [InlineData(0x0300, 0x2400, 0x0000)] // hour 24
    [InlineData(0x0300, 0x0A00, 0x0000)] // not BCD
    [InlineData(0x0500, 0x2026, 0x0230)] // 30 February
    [InlineData(0x0500, 0x2026, 0x1301)] // month 13
    public void Nonsense_times_and_dates_leave_the_clock_alone(ushort ax, uint cx, uint dx)
    {
        _bench.Registers.Ecx = cx;
        _bench.Registers.Edx = dx;
        Invoke(ax);
        Assert.True(_bench.Carry);
        Invoke(0x0200);
        Assert.Equal(0x1542u, _bench.Registers.Ecx & 0xFFFF);
        Invoke(0x0400);
        Assert.Equal(0x2026u, _bench.Registers.Ecx & 0xFFFF);
    }

    [Theory]
    [InlineData(0xB101)] // PCI BIOS installation check
    [InlineData(0x0600)] // alarm
    public void Pci_bios_and_alarms_are_not_implemented(ushort ax)
    {
        Invoke(ax);
        Assert.True(_bench.Carry);
        Assert.Equal(0x01, _bench.Ax >> 8);
        Assert.Single(_bench.Unsupported.Reported);
    }
}
