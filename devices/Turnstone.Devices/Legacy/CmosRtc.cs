using Turnstone.Devices.Bus;

namespace Turnstone.Devices.Legacy;

/// <summary>
/// The MC146818 CMOS RTC at ports 0x70 (index) / 0x71 (data): the host's time (UTC) in BCD or
/// binary as status register B asks, a never-busy update flag, valid-battery status, and the
/// BIOS memory-size bytes. Writes to the clock registers move a guest-local offset, never the host clock.
/// </summary>
public sealed class CmosRtc : IBusDevice
{
    public const ushort BasePort = 0x70;
    public const ulong PortSpan = 2;

    private const int Seconds = 0x00, Minutes = 0x02, Hours = 0x04, DayOfWeek = 0x06, DayOfMonth = 0x07,
        Month = 0x08, Year = 0x09, StatusA = 0x0A, StatusB = 0x0B, StatusC = 0x0C, StatusD = 0x0D, Century = 0x32;
    private const byte Binary = 0x04, Hour24 = 0x02;

    private readonly Lock _gate = new();
    private readonly byte[] _registers = new byte[128];
    private readonly Func<DateTime> _clock;
    private TimeSpan _guestOffset;
    private int _index;

    public CmosRtc(ulong lowMemoryBytes, ulong highMemoryBytes, Func<DateTime>? clock = null)
    {
        _clock = clock ?? (() => DateTime.UtcNow);
        _registers[StatusA] = 0x26; // 32.768 kHz time base, 1024 Hz rate, update-in-progress clear
        _registers[StatusB] = Hour24;
        _registers[StatusD] = 0x80; // battery good
        // Memory sizes as a BIOS records them: KiB above 1 MiB (max 63 MiB), 64 KiB units above 16 MiB, above 4 GiB.
        ulong kibAbove1M = Math.Min(lowMemoryBytes > 0x100000 ? (lowMemoryBytes - 0x100000) >> 10 : 0, 0xFFFF);
        _registers[0x17] = _registers[0x30] = (byte)kibAbove1M;
        _registers[0x18] = _registers[0x31] = (byte)(kibAbove1M >> 8);
        ulong above16M = Math.Min(lowMemoryBytes > 0x1000000 ? (lowMemoryBytes - 0x1000000) >> 16 : 0, 0xFFFF);
        _registers[0x34] = (byte)above16M;
        _registers[0x35] = (byte)(above16M >> 8);
        ulong above4G = highMemoryBytes >> 16;
        _registers[0x5B] = (byte)above4G;
        _registers[0x5C] = (byte)(above4G >> 8);
        _registers[0x5D] = (byte)(above4G >> 16);
    }

    public void Read(ulong offset, Span<byte> data)
    {
        lock (_gate)
        {
            data.Fill(0);
            data[0] = offset == 1 ? ReadRegister(_index) : (byte)0xFF;
        }
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            if (offset == 0)
            {
                _index = data[0] & 0x7F; // bit 7 is the NMI mask, not part of the index
            }
            else
            {
                WriteRegister(_index, data[0]);
            }
        }
    }

    /// <summary>Register <paramref name="index"/> as the board's firmware reads it, without moving the
    /// index the guest selected at port 70h.</summary>
    public byte ReadRegisterAt(int index)
    {
        lock (_gate)
        {
            return ReadRegister(index & 0x7F);
        }
    }

    /// <summary>Writes register <paramref name="index"/> under the same rules as a guest's port 71h write.</summary>
    public void WriteRegisterAt(int index, byte value)
    {
        lock (_gate)
        {
            WriteRegister(index & 0x7F, value);
        }
    }

    private DateTime GuestNow => _clock() + _guestOffset;

    private byte ReadRegister(int index)
    {
        var now = GuestNow;
        return index switch
        {
            Seconds => Encode(now.Second),
            Minutes => Encode(now.Minute),
            Hours => EncodeHour(now.Hour),
            DayOfWeek => Encode((int)now.DayOfWeek + 1),
            DayOfMonth => Encode(now.Day),
            Month => Encode(now.Month),
            Year => Encode(now.Year % 100),
            Century => Encode(now.Year / 100),
            StatusC => 0, // no interrupt flags: periodic/alarm/update interrupts are not generated
            _ => _registers[index],
        };
    }

    private void WriteRegister(int index, byte value)
    {
        switch (index)
        {
            case Seconds or Minutes or Hours or DayOfMonth or Month or Year or Century:
                SetClockField(index, value);
                break;
            case StatusA:
                _registers[StatusA] = (byte)(value & 0x7F); // UIP is read-only
                break;
            case StatusC or StatusD:
                break; // read-only
            default:
                _registers[index] = value;
                break;
        }
    }

    private void SetClockField(int index, byte value)
    {
        var now = GuestNow;
        int decoded = index == Hours ? DecodeHour(value) : Decode(value);
        try
        {
            var updated = index switch
            {
                Seconds => now.AddSeconds(decoded - now.Second),
                Minutes => now.AddMinutes(decoded - now.Minute),
                Hours => now.AddHours(decoded - now.Hour),
                DayOfMonth => now.AddDays(decoded - now.Day),
                Month => now.AddMonths(decoded - now.Month),
                Year => now.AddYears(decoded - now.Year % 100),
                _ => now.AddYears((decoded - now.Year / 100) * 100),
            };
            _guestOffset += updated - now;
        }
        catch (ArgumentOutOfRangeException)
        {
            // A nonsense date from the guest leaves its clock where it was.
        }
    }

    private bool BinaryMode => (_registers[StatusB] & Binary) != 0;

    private byte Encode(int value) => BinaryMode ? (byte)value : (byte)(((value / 10) << 4) | (value % 10));

    private int Decode(byte value) => BinaryMode ? value : ((value >> 4) * 10) + (value & 0x0F);

    private byte EncodeHour(int hour)
    {
        if ((_registers[StatusB] & Hour24) != 0)
        {
            return Encode(hour);
        }
        int twelve = hour % 12 == 0 ? 12 : hour % 12;
        return (byte)(Encode(twelve) | (hour >= 12 ? 0x80 : 0));
    }

    private int DecodeHour(byte value)
    {
        if ((_registers[StatusB] & Hour24) != 0)
        {
            return Decode(value);
        }
        int twelve = Decode((byte)(value & 0x7F)) % 12;
        return twelve + ((value & 0x80) != 0 ? 12 : 0);
    }
}
