namespace Turnstone.Firmware.Bios;

/// <summary>
/// The MC146818 CMOS RTC's registers as the BIOS reaches them (SeaBIOS's rtc_read/rtc_write): the
/// very registers the guest reads through ports 70h/71h, so INT 1Ah and the guest's own CMOS reads
/// agree. Values are raw register bytes, BCD or binary as status register B says.
/// </summary>
public interface IRtcRegisters
{
    const byte Seconds = 0x00, Minutes = 0x02, Hours = 0x04, DayOfMonth = 0x07, Month = 0x08, Year = 0x09,
        StatusA = 0x0A, StatusB = 0x0B, Century = 0x32;

    /// <summary>Status register B: daylight saving enable, 24-hour mode, binary (not BCD) mode, update
    /// interrupt, alarm interrupt, periodic interrupt, and SET (updates halted).</summary>
    const byte DaylightSaving = 0x01, Hour24 = 0x02, BinaryMode = 0x04, AlarmInterrupt = 0x20, PeriodicInterrupt = 0x40, SetClock = 0x80;

    byte Read(byte index);

    void Write(byte index, byte value);
}
