using Turnstone.Devices.Legacy;

namespace Turnstone.UnitTests.Devices;

public sealed class CmosRtcTests
{
    private const byte Seconds = 0x00, Minutes = 0x02, Hours = 0x04, DayOfWeek = 0x06, DayOfMonth = 0x07, Month = 0x08, Year = 0x09,
        StatusA = 0x0A, StatusB = 0x0B, StatusC = 0x0C, StatusD = 0x0D, Century = 0x32;

    // Saturday 9 March 2024, 21:45:07 UTC.
    private DateTime _now = new(2024, 3, 9, 21, 45, 7, DateTimeKind.Utc);

    private CmosRtc NewRtc(ulong low = 512ul << 20, ulong high = 0) => new(low, high, () => _now);

    private static byte Read(CmosRtc rtc, byte index)
    {
        rtc.Write(0, [index]);
        Span<byte> data = stackalloc byte[1];
        rtc.Read(1, data);
        return data[0];
    }

    private static void Write(CmosRtc rtc, byte index, byte value)
    {
        rtc.Write(0, [index]);
        rtc.Write(1, [value]);
    }

    [Fact]
    public void Time_is_BCD_and_24_hour_by_default()
    {
        var rtc = NewRtc();

        Assert.Equal(0x02, Read(rtc, StatusB));
        Assert.Equal(0x07, Read(rtc, Seconds));
        Assert.Equal(0x45, Read(rtc, Minutes));
        Assert.Equal(0x21, Read(rtc, Hours));
        Assert.Equal(0x07, Read(rtc, DayOfWeek)); // Saturday: Sunday is 1
        Assert.Equal(0x09, Read(rtc, DayOfMonth));
        Assert.Equal(0x03, Read(rtc, Month));
        Assert.Equal(0x24, Read(rtc, Year));
        Assert.Equal(0x20, Read(rtc, Century));
    }

    [Fact]
    public void Binary_mode_reports_plain_numbers()
    {
        var rtc = NewRtc();
        Write(rtc, StatusB, 0x06);

        Assert.Equal(7, Read(rtc, Seconds));
        Assert.Equal(45, Read(rtc, Minutes));
        Assert.Equal(21, Read(rtc, Hours));
        Assert.Equal(24, Read(rtc, Year));
        Assert.Equal(20, Read(rtc, Century));
    }

    [Theory]
    [InlineData(21, 0x89)] // 9 PM
    [InlineData(0, 0x12)]  // midnight is 12 AM
    [InlineData(12, 0x92)] // noon is 12 PM
    [InlineData(9, 0x09)]
    public void Twelve_hour_mode_sets_the_PM_bit(int hour, byte expected)
    {
        _now = new DateTime(2024, 3, 9, hour, 0, 0, DateTimeKind.Utc);
        var rtc = NewRtc();
        Write(rtc, StatusB, 0x00);

        Assert.Equal(expected, Read(rtc, Hours));
    }

    [Fact]
    public void Status_registers_report_a_valid_never_busy_clock()
    {
        var rtc = NewRtc();

        Assert.Equal(0x26, Read(rtc, StatusA));
        Assert.Equal(0x00, Read(rtc, StatusC));
        Assert.Equal(0x80, Read(rtc, StatusD));

        Write(rtc, StatusD, 0x00);
        Write(rtc, StatusA, 0xA6);
        Assert.Equal(0x80, Read(rtc, StatusD));
        Assert.Equal(0x26, Read(rtc, StatusA)); // UIP is read-only
    }

    [Fact]
    public void Memory_size_bytes_follow_the_BIOS_convention()
    {
        var rtc = NewRtc(low: 32ul << 20, high: 1ul << 30);

        Assert.Equal(0x00, Read(rtc, 0x30)); // 31 MiB above 1 MiB = 31744 KiB = 0x7C00
        Assert.Equal(0x7C, Read(rtc, 0x31));
        Assert.Equal(0x00, Read(rtc, 0x17));
        Assert.Equal(0x7C, Read(rtc, 0x18));
        Assert.Equal(0x00, Read(rtc, 0x34)); // 16 MiB above 16 MiB = 256 x 64 KiB
        Assert.Equal(0x01, Read(rtc, 0x35));
        Assert.Equal(0x00, Read(rtc, 0x5B)); // 1 GiB above 4 GiB = 0x4000 x 64 KiB
        Assert.Equal(0x40, Read(rtc, 0x5C));
        Assert.Equal(0x00, Read(rtc, 0x5D));
    }

    [Fact]
    public void Memory_size_bytes_saturate()
    {
        var rtc = NewRtc(low: 0xC000_0000, high: 0x10_0000_0000); // 3 GiB low, 64 GiB high

        Assert.Equal(0xFF, Read(rtc, 0x30));
        Assert.Equal(0xFF, Read(rtc, 0x31));
        Assert.Equal(0x00, Read(rtc, 0x34)); // (3 GiB - 16 MiB) / 64 KiB = 0xBF00
        Assert.Equal(0xBF, Read(rtc, 0x35));
        Assert.Equal(0x00, Read(rtc, 0x5B)); // 64 GiB / 64 KiB = 0x10_0000
        Assert.Equal(0x00, Read(rtc, 0x5C));
        Assert.Equal(0x10, Read(rtc, 0x5D));
    }

    [Fact]
    public void Guest_writes_move_only_the_guest_clock()
    {
        var rtc = NewRtc();
        var other = NewRtc();

        Write(rtc, Minutes, 0x30);
        Write(rtc, Hours, 0x08);
        Write(rtc, Year, 0x25);

        Assert.Equal(0x30, Read(rtc, Minutes));
        Assert.Equal(0x08, Read(rtc, Hours));
        Assert.Equal(0x25, Read(rtc, Year));
        Assert.Equal(0x07, Read(rtc, Seconds));
        Assert.Equal(0x45, Read(other, Minutes)); // the host clock did not move
        Assert.Equal(new DateTime(2024, 3, 9, 21, 45, 7, DateTimeKind.Utc), _now);

        _now = _now.AddMinutes(1);
        Assert.Equal(0x31, Read(rtc, Minutes)); // the guest's clock keeps running from where it was set
        Assert.Equal(0x46, Read(other, Minutes));
    }

    [Fact]
    public void Twelve_hour_writes_are_decoded()
    {
        var rtc = NewRtc();
        Write(rtc, StatusB, 0x00);

        Write(rtc, Hours, 0x83); // 3 PM
        Write(rtc, StatusB, 0x02);

        Assert.Equal(0x15, Read(rtc, Hours));
    }

    [Fact]
    public void Index_port_masks_the_NMI_disable_bit()
    {
        var rtc = NewRtc();

        rtc.Write(0, [(byte)(0x80 | StatusD)]);
        Span<byte> data = stackalloc byte[1];
        rtc.Read(1, data);

        Assert.Equal(0x80, data[0]);
    }

    [Fact]
    public void Ordinary_CMOS_bytes_are_memory()
    {
        var rtc = NewRtc();

        Write(rtc, 0x40, 0x5A);

        Assert.Equal(0x5A, Read(rtc, 0x40));
    }

    [Fact]
    public void Reading_the_index_port_floats_high()
    {
        var rtc = NewRtc();
        Span<byte> data = stackalloc byte[1];

        rtc.Read(0, data);

        Assert.Equal(0xFF, data[0]);
    }

    [Fact]
    public void Firmware_register_access_leaves_the_guests_selected_index_alone()
    {
        var rtc = NewRtc();
        rtc.Write(0, [Minutes]);

        rtc.WriteRegisterAt(Hours, 0x05);
        Assert.Equal(0x05, rtc.ReadRegisterAt(Hours));
        Span<byte> data = stackalloc byte[1];
        rtc.Read(1, data);

        Assert.Equal(0x45, data[0]); // still the minutes the guest selected
        Assert.Equal(0x05, Read(rtc, Hours));
    }
}
