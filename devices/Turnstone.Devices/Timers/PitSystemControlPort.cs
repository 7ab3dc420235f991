using Turnstone.Devices.Bus;

namespace Turnstone.Devices.Timers;

/// <summary>
/// Port 0x61, "system control port B" / the speaker port: bit 0 is PIT channel 2's gate, bit 1
/// the speaker data enable (stored; there is no speaker), bits 2-3 the parity and channel check
/// enables (stored); read-only bit 4 toggles every 15.085 µs like the old refresh request, bit 5
/// is channel 2's OUT, bits 6-7 (NMI sources) read 0. Linux calibrates the TSC by gating channel 2
/// in mode 0 and polling bit 5 until the count runs out.
/// </summary>
public sealed class PitSystemControlPort : IBusDevice
{
    public const ushort Port = 0x61;
    public const ulong PortSpan = 1;

    private const long RefreshToggleNanoseconds = 15_085;
    private const byte Gate2 = 0x01, WritableBits = 0x0F, RefreshToggle = 0x10, Output2 = 0x20;

    private readonly Pit8254 _pit;
    private readonly IGuestClock _clock;
    private readonly Lock _gate = new();
    private byte _written;

    public PitSystemControlPort(Pit8254 pit, IGuestClock clock)
    {
        _pit = pit;
        _clock = clock;
    }

    public void Read(ulong offset, Span<byte> data)
    {
        data.Fill(0);
        byte value;
        lock (_gate)
        {
            value = _written;
        }
        if (_clock.NowNanoseconds / RefreshToggleNanoseconds % 2 == 1)
        {
            value |= RefreshToggle;
        }
        if (_pit.GetOutput(2))
        {
            value |= Output2;
        }
        data[0] = value;
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            _written = (byte)(data[0] & WritableBits);
            _pit.SetGate(2, (_written & Gate2) != 0);
        }
    }
}
