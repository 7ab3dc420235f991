using Turnstone.Devices.Bus;

namespace Turnstone.Devices.Timers;

/// <summary>
/// The 8254 programmable interval timer at ports 0x40-0x43, clocked at 1.193182 MHz: three
/// counters (channel 0's OUT drives IRQ 0, channel 1 is the old DRAM-refresh counter and drives
/// nothing, channel 2's gate and OUT are in port 0x61, see <see cref="PitSystemControlPort"/>),
/// all six modes, BCD, the counter-latch and read-back commands. Counts are computed from the
/// clock when read, so the PIT costs nothing while nobody looks; IRQ 0 pulses (one per rising edge of OUT) are raised by
/// <see cref="Service"/>, which the vCPU loop calls by <see cref="NextDeadlineNanoseconds"/>.
/// Missed channel 0 periods coalesce into one interrupt (QEMU does the same; Linux keeps time
/// from the TSC or the clocksource, not by counting PIT ticks).
/// </summary>
public sealed class Pit8254 : IBusDevice, IDeadlineTimer
{
    public const ushort BasePort = 0x40;
    public const ulong PortSpan = 4;
    public const long FrequencyHz = 1_193_182;

    /// <summary>
    /// In the periodic modes IRQ 0 is raised at most this often (KVM's PIT keeps the same floor), so a
    /// guest programming a count of 2 cannot flood the vCPU thread; the counts and OUT the guest reads
    /// are unaffected.
    /// </summary>
    public const long MinimumInterruptIntervalNanoseconds = 200_000;

    private const int ControlPort = 3;

    private readonly Lock _gate = new();
    private readonly IGuestClock _clock;
    private readonly IInterruptLine? _irq0;
    private readonly PitChannel[] _channels;
    private bool _irq0Pending;
    private long? _lastIrq0;

    /// <param name="irq0">The line channel 0's OUT drives (ISA IRQ 0), or null.</param>
    public Pit8254(IGuestClock clock, IInterruptLine? irq0)
    {
        _clock = clock;
        _irq0 = irq0;
        // Gates 0 and 1 are tied high on a PC; gate 2 is port 0x61 bit 0, low after reset.
        _channels = [new PitChannel(gate: true), new PitChannel(gate: true), new PitChannel(gate: false)];
    }

    public void Read(ulong offset, Span<byte> data)
    {
        data.Fill(0);
        if (offset >= ControlPort)
        {
            data[0] = 0xFF; // the control word register is write-only
            return;
        }
        lock (_gate)
        {
            data[0] = _channels[offset].Read(_clock.NowNanoseconds);
        }
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (offset > ControlPort)
        {
            return;
        }
        lock (_gate)
        {
            long now = _clock.NowNanoseconds;
            if (offset == ControlPort)
            {
                WriteControl(data[0], now);
            }
            else
            {
                _channels[offset].WriteCount(data[0], now);
            }
        }
    }

    private void WriteControl(byte value, long now)
    {
        int select = value >> 6;
        if (select == 3)
        {
            ReadBack(value, now);
            return;
        }
        int access = value >> 4 & 3;
        if (access == 0)
        {
            _channels[select].LatchCount(now);
            return;
        }
        _channels[select].Program(access, value >> 1 & 7, (value & 1) != 0);
    }

    private void ReadBack(byte value, long now)
    {
        for (int channel = 0; channel < 3; channel++)
        {
            if ((value & 2 << channel) == 0)
            {
                continue;
            }
            // Status first: when both are latched the first read returns the status byte.
            if ((value & 0x10) == 0)
            {
                _channels[channel].LatchStatus(now);
            }
            if ((value & 0x20) == 0)
            {
                _channels[channel].LatchCount(now);
            }
        }
    }

    /// <summary>Drives a channel's GATE input (channel 2's is port 0x61 bit 0).</summary>
    public void SetGate(int channel, bool level)
    {
        lock (_gate)
        {
            _channels[channel].SetGate(level, _clock.NowNanoseconds);
        }
    }

    public bool GetGate(int channel)
    {
        lock (_gate)
        {
            return _channels[channel].Gate;
        }
    }

    /// <summary>A channel's OUT pin now.</summary>
    public bool GetOutput(int channel)
    {
        lock (_gate)
        {
            return _channels[channel].Output(_clock.NowNanoseconds);
        }
    }

    public long? NextDeadlineNanoseconds
    {
        get
        {
            if (_irq0 is null)
            {
                return null;
            }
            lock (_gate)
            {
                long floor = _lastIrq0 is { } last ? last + MinimumIntervalNow : long.MinValue;
                if (_irq0Pending)
                {
                    return floor;
                }
                return _channels[0].NextRisingEdge(_clock.NowNanoseconds) is { } edge ? Math.Max(edge, floor) : null;
            }
        }
    }

    /// <summary>The floor applies to the periodic modes; a one-shot count needs a guest write per interrupt anyway.</summary>
    private long MinimumIntervalNow => _channels[0].Mode is 2 or 3 ? MinimumInterruptIntervalNanoseconds : 0;

    public void Service()
    {
        if (_irq0 is null)
        {
            return;
        }
        lock (_gate)
        {
            long now = _clock.NowNanoseconds;
            _irq0Pending |= _channels[0].TakeRisingEdge(now);
            if (!_irq0Pending || _lastIrq0 is { } last && now < last + MinimumIntervalNow)
            {
                return;
            }
            _irq0Pending = false;
            _lastIrq0 = now;
            // IRQ 0 is edge-triggered on both the 8259 (the ELCR cannot make it level) and the
            // I/O APIC, so OUT's rising edge is passed on as a pulse; programming the counter
            // moves OUT but never raises IRQ 0 by itself.
            _irq0.SetLevel(true);
            _irq0.SetLevel(false);
        }
    }
}
