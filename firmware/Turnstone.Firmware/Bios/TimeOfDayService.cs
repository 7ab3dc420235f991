using Turnstone.GuestMemory;

namespace Turnstone.Firmware.Bios;

/// <summary>
/// INT 1Ah, the time of day: the tick count the IRQ0 handler keeps at BDA 0x46C (with the midnight
/// flag at 0x470), and the RTC's time and date in BCD. The clock is the one the CMOS RTC model
/// shows: the host's UTC time, moved by a guest-local offset when the guest sets it (03h/05h),
/// never the host clock. The offset is this service's own: a guest that sets the time through
/// INT 1Ah and reads it back through ports 70h/71h sees the host time there (no loader does that).
/// PCI BIOS (B1xxh) is not implemented: Linux finds PCI through ACPI's MCFG and the ECAM window,
/// and the loaders we boot do not ask.
/// </summary>
public sealed class TimeOfDayService(TimeProvider time) : IBiosService
{
    /// <summary>PIT ticks (1193182 Hz / 65536) in a day, SeaBIOS's TICKS_PER_DAY.</summary>
    public const uint TicksPerDay = 1_573_040;

    private TimeSpan _guestOffset;

    public IReadOnlyList<byte> Vectors { get; } = [0x1A];

    private DateTime GuestNow => time.GetUtcNow().UtcDateTime + _guestOffset;

    /// <summary>The tick count for a time of day, as SeaBIOS seeds the BDA at POST.</summary>
    public static uint TicksAt(TimeSpan timeOfDay) => (uint)((ulong)timeOfDay.Ticks * TicksPerDay / (ulong)TimeSpan.TicksPerDay);

    /// <summary>Seeds BDA 0x46C from the clock's time of day and clears the midnight flag (POST).</summary>
    public void InitializeTicks(IGuestMemory memory)
    {
        memory.WriteUInt32(BiosDataArea.TimerTicks, TicksAt(GuestNow.TimeOfDay));
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

    /// <summary>02h: CH hours, CL minutes, DH seconds (BCD), DL = 0 (no daylight saving), AL = CH.</summary>
    private void ReadTime(BiosCall call)
    {
        var now = GuestNow;
        var registers = call.Registers;
        registers.Ecx = (registers.Ecx & 0xFFFF_0000) | ((uint)Bcd.Encode(now.Hour) << 8) | Bcd.Encode(now.Minute);
        registers.Edx = (registers.Edx & 0xFFFF_0000) | ((uint)Bcd.Encode(now.Second) << 8);
        call.Ax = Bcd.Encode(now.Hour);
        call.Succeed();
    }

    /// <summary>04h: CH century, CL year, DH month, DL day (BCD), AL = CH.</summary>
    private void ReadDate(BiosCall call)
    {
        var now = GuestNow;
        var registers = call.Registers;
        registers.Ecx = (registers.Ecx & 0xFFFF_0000) | ((uint)Bcd.Encode(now.Year / 100) << 8) | Bcd.Encode(now.Year % 100);
        registers.Edx = (registers.Edx & 0xFFFF_0000) | ((uint)Bcd.Encode(now.Month) << 8) | Bcd.Encode(now.Day);
        call.Ax = Bcd.Encode(now.Year / 100);
        call.Succeed();
    }

    /// <summary>03h: CH:CL:DH as the new time of day. A value that is not a time leaves the clock
    /// alone and returns CF = 1 (SeaBIOS would write the nonsense into the RTC).</summary>
    private void SetTime(BiosCall call)
    {
        var registers = call.Registers;
        if (!Bcd.TryDecode((byte)(registers.Ecx >> 8), out int hour) || !Bcd.TryDecode((byte)registers.Ecx, out int minute)
            || !Bcd.TryDecode((byte)(registers.Edx >> 8), out int second) || hour > 23 || minute > 59 || second > 59)
        {
            call.Fail(0x01);
            return;
        }
        var now = GuestNow;
        MoveClockTo(now.Date + new TimeSpan(hour, minute, second), now);
        call.Ah = 0;
        call.Succeed();
    }

    /// <summary>05h: CH century, CL year, DH month, DL day as the new date (time of day kept).</summary>
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
        var now = GuestNow;
        MoveClockTo(new DateTime(century * 100 + year, month, day, 0, 0, 0, DateTimeKind.Utc) + now.TimeOfDay, now);
        call.Ah = 0;
        call.Succeed();
    }

    private void MoveClockTo(DateTime target, DateTime now) => _guestOffset += target - now;
}
