using Turnstone.GuestMemory;

namespace Turnstone.Firmware.Bios;

/// <summary>
/// INT 1Ah, the time of day: the tick count the IRQ0 handler keeps at BDA 0x46C (with the midnight
/// flag at 0x470), and the RTC's time and date in BCD, read from and written to the machine's CMOS
/// RTC (<see cref="IRtcRegisters"/>, the registers ports 70h/71h show), as SeaBIOS's handle_1a02-05
/// do: a time set here is what the guest's own CMOS reads see, and the reverse. The RTC never shows
/// an update in progress, so SeaBIOS's wait for one has nothing to wait for.
/// PCI BIOS (B1xxh) is not implemented: Linux finds PCI through ACPI's MCFG and the ECAM window,
/// and the loaders we boot do not ask.
/// </summary>
public sealed class TimeOfDayService(IRtcRegisters rtc) : IBiosService
{
    /// <summary>PIT ticks (1193182 Hz / 65536) in a day, SeaBIOS's TICKS_PER_DAY.</summary>
    public const uint TicksPerDay = 1_573_040;

    public IReadOnlyList<byte> Vectors { get; } = [0x1A];

    /// <summary>The tick count for a time of day, as SeaBIOS seeds the BDA at POST.</summary>
    public static uint TicksAt(TimeSpan timeOfDay) => (uint)((ulong)timeOfDay.Ticks * TicksPerDay / (ulong)TimeSpan.TicksPerDay);

    /// <summary>Seeds BDA 0x46C from the RTC's time of day and clears the midnight flag (POST, as SeaBIOS's clock_setup).</summary>
    public void InitializeTicks(IGuestMemory memory)
    {
        var timeOfDay = new TimeSpan(ReadHour(), ReadField(IRtcRegisters.Minutes), ReadField(IRtcRegisters.Seconds));
        memory.WriteUInt32(BiosDataArea.TimerTicks, TicksAt(timeOfDay));
        memory.WriteByte(BiosDataArea.TimerMidnight, 0);
    }

    public void Handle(BiosCall call)
    {
        var registers = call.Registers;
        switch (call.Ah)
        {
            case 0x00:
                uint ticks = call.Memory.ReadUInt32(BiosDataArea.TimerTicks);
                registers.Ecx = (registers.Ecx & 0xFFFF_0000) | (ticks >> 16);
                registers.Edx = (registers.Edx & 0xFFFF_0000) | (ticks & 0xFFFF);
                call.Al = call.Memory.ReadByte(BiosDataArea.TimerMidnight);
                call.Memory.WriteByte(BiosDataArea.TimerMidnight, 0);
                call.Succeed();
                break;
            case 0x01:
                call.Memory.WriteUInt32(BiosDataArea.TimerTicks, ((registers.Ecx & 0xFFFF) << 16) | (registers.Edx & 0xFFFF));
                call.Memory.WriteByte(BiosDataArea.TimerMidnight, 0);
                call.Ah = 0;
                call.Succeed();
                break;
            case 0x02:
                ReadTime(call);
                break;
            case 0x03:
                SetTime(call);
                break;
            case 0x04:
                ReadDate(call);
                break;
            case 0x05:
                SetDate(call);
                break;
            case 0xB1:
                call.Unsupported($"INT 1Ah AX={call.Ax:X4}h (PCI BIOS)");
                break;
            default:
                call.Unsupported($"INT 1Ah AH={call.Ah:X2}h");
                break;
        }
    }

    private bool BinaryMode => (rtc.Read(IRtcRegisters.StatusB) & IRtcRegisters.BinaryMode) != 0;

    /// <summary>A clock register's value, decoded from BCD or binary as register B says.</summary>
    private int ReadField(byte index)
    {
        byte raw = rtc.Read(index);
        return BinaryMode ? raw : (raw >> 4) * 10 + (raw & 0x0F);
    }

    /// <summary>The hour, 0-23, also when register B has the RTC in 12-hour mode (bit 7 = PM).</summary>
    private int ReadHour()
    {
        if ((rtc.Read(IRtcRegisters.StatusB) & IRtcRegisters.Hour24) != 0)
        {
            return ReadField(IRtcRegisters.Hours);
        }
        byte raw = rtc.Read(IRtcRegisters.Hours);
        int twelve = (BinaryMode ? raw & 0x7F : ((raw & 0x70) >> 4) * 10 + (raw & 0x0F)) % 12;
        return twelve + ((raw & 0x80) != 0 ? 12 : 0);
    }

    /// <summary>Writes a clock register from a decoded value, in the RTC's current format.</summary>
    private void WriteField(byte index, int value) => rtc.Write(index, BinaryMode ? (byte)value : Bcd.Encode(value));

    /// <summary>02h: CH hours, CL minutes, DH seconds (BCD, whatever format the RTC keeps), DL the
    /// daylight-saving bit of register B, AL = CH.</summary>
    private void ReadTime(BiosCall call)
    {
        var registers = call.Registers;
        byte hour = Bcd.Encode(ReadHour());
        registers.Ecx = (registers.Ecx & 0xFFFF_0000) | ((uint)hour << 8) | Bcd.Encode(ReadField(IRtcRegisters.Minutes));
        registers.Edx = (registers.Edx & 0xFFFF_0000) | ((uint)Bcd.Encode(ReadField(IRtcRegisters.Seconds)) << 8)
            | (uint)(rtc.Read(IRtcRegisters.StatusB) & IRtcRegisters.DaylightSaving);
        call.Ax = hour;
        call.Succeed();
    }

    /// <summary>04h: CH century, CL year, DH month, DL day (BCD), AL = CH.</summary>
    private void ReadDate(BiosCall call)
    {
        var registers = call.Registers;
        byte century = Bcd.Encode(ReadField(IRtcRegisters.Century));
        registers.Ecx = (registers.Ecx & 0xFFFF_0000) | ((uint)century << 8) | Bcd.Encode(ReadField(IRtcRegisters.Year));
        registers.Edx = (registers.Edx & 0xFFFF_0000) | ((uint)Bcd.Encode(ReadField(IRtcRegisters.Month)) << 8) | Bcd.Encode(ReadField(IRtcRegisters.DayOfMonth));
        call.Ax = century;
        call.Succeed();
    }

    /// <summary>
    /// 03h: CH:CL:DH as the new time of day, DL bit 0 the daylight-saving enable. Register B becomes
    /// what SeaBIOS leaves there: its periodic and alarm interrupt enables kept, 24-hour BCD mode,
    /// DL's DST bit (AL returns it). SeaBIOS writes the BCD bytes and then register B, which on a
    /// chip (bytes stored as written) reads back as that time; the model keeps a time, not bytes,
    /// so register B goes first and the BCD values are read in the mode they are meant in.
    /// A value that is not a time leaves the clock alone and returns CF = 1 (SeaBIOS would write the
    /// nonsense into the RTC).
    /// </summary>
    private void SetTime(BiosCall call)
    {
        var registers = call.Registers;
        if (!Bcd.TryDecode((byte)(registers.Ecx >> 8), out int hour) || !Bcd.TryDecode((byte)registers.Ecx, out int minute)
            || !Bcd.TryDecode((byte)(registers.Edx >> 8), out int second) || hour > 23 || minute > 59 || second > 59)
        {
            call.Fail(0x01);
            return;
        }
        byte statusB = (byte)((rtc.Read(IRtcRegisters.StatusB) & (IRtcRegisters.PeriodicInterrupt | IRtcRegisters.AlarmInterrupt))
            | IRtcRegisters.Hour24 | (byte)(registers.Edx & IRtcRegisters.DaylightSaving));
        rtc.Write(IRtcRegisters.StatusB, statusB);
        rtc.Write(IRtcRegisters.Seconds, Bcd.Encode(second));
        rtc.Write(IRtcRegisters.Minutes, Bcd.Encode(minute));
        rtc.Write(IRtcRegisters.Hours, Bcd.Encode(hour));
        call.Ax = statusB;
        call.Succeed();
    }

    /// <summary>
    /// 05h: CH century, CL year, DH month, DL day as the new date (time of day kept), written in the
    /// RTC's current format (SeaBIOS leaves register B's format alone here), the century at CMOS 32h;
    /// then register B's SET bit cleared, its value returned in AL. A date that does not exist leaves
    /// the clock alone and returns CF = 1.
    /// </summary>
    private void SetDate(BiosCall call)
    {
        var registers = call.Registers;
        if (!Bcd.TryDecode((byte)(registers.Ecx >> 8), out int century) || !Bcd.TryDecode((byte)registers.Ecx, out int year)
            || !Bcd.TryDecode((byte)(registers.Edx >> 8), out int month) || !Bcd.TryDecode((byte)registers.Edx, out int day)
            || month is < 1 or > 12 || century * 100 + year < 1 || day < 1 || day > DateTime.DaysInMonth(century * 100 + year, month))
        {
            call.Fail(0x01);
            return;
        }
        // Year, month, day, then century: each write moves the model's date by that field alone, so the
        // day goes last among year/month/day (a 31st must not be clamped by the month before it is set).
        WriteField(IRtcRegisters.Year, year);
        WriteField(IRtcRegisters.Month, month);
        WriteField(IRtcRegisters.DayOfMonth, day);
        WriteField(IRtcRegisters.Century, century);
        byte statusB = (byte)(rtc.Read(IRtcRegisters.StatusB) & ~IRtcRegisters.SetClock);
        rtc.Write(IRtcRegisters.StatusB, statusB);
        call.Ax = statusB;
        call.Succeed();
    }
}
