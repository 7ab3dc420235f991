namespace Turnstone.Devices.Timers;

/// <summary>
/// One counter of the 8254: its programming (mode, access, BCD), the count it reloads from, the
/// latches and byte flip-flops the ports expose, and its OUT pin, all derived from the clock rather
/// than stepped: the counter has run <c>d</c> input clocks since its count was loaded (or since its
/// gate last allowed it), and count and output are functions of <c>d</c>. Not thread-safe:
/// <see cref="Pit8254"/> serialises every call.
/// </summary>
/// <remarks>
/// Simplifications, all invisible to Linux and to a BIOS: a new count takes effect when written
/// (the 8254 waits for the next CLK, or in modes 2 and 3 for the end of the current period), and
/// mode 3 with an odd count uses the even-count waveform (QEMU does the same).
/// </remarks>
internal sealed class PitChannel
{
    private int _reload = 0x10000;
    private bool _loaded;
    private long? _runningSince;
    private long _ticksBefore;
    private bool _gate;
    private bool _triggered;

    private bool _writeHighNext;
    private byte _pendingLow;
    private bool _readHighNext;
    private int? _latchedCount;
    private bool _latchedHighNext;
    private byte? _latchedStatus;
    private bool _nullCount = true;
    private long _servicedTicks;

    public PitChannel(bool gate) => _gate = gate;

    /// <summary>0-5; 6 and 7 are stored as 2 and 3, as the datasheet says they behave.</summary>
    public int Mode { get; private set; }

    /// <summary>1 = low byte only, 2 = high byte only, 3 = low then high.</summary>
    public int Access { get; private set; } = 3;

    public bool Bcd { get; private set; }

    public bool Gate => _gate;

    private int Modulus => Bcd ? 10_000 : 0x10000;

    /// <summary>Input clocks counted since the count was loaded (or the trigger), at <paramref name="now"/>.</summary>
    private long ElapsedTicks(long now) =>
        _ticksBefore + (_runningSince is { } since ? TimeConversion.TicksIn(now - since, Pit8254.FrequencyHz) : 0);

    public void Program(int access, int mode, bool bcd)
    {
        Access = access;
        Mode = mode >= 6 ? mode - 4 : mode;
        Bcd = bcd;
        _writeHighNext = false;
        _readHighNext = false;
        _loaded = false;
        _runningSince = null;
        _ticksBefore = 0;
        _triggered = false;
        _nullCount = true;
        _servicedTicks = 0;
    }

    public void WriteCount(byte value, long now)
    {
        int count;
        switch (Access)
        {
            case 1:
                count = value;
                break;
            case 2:
                count = value << 8;
                break;
            default:
                if (!_writeHighNext)
                {
                    _pendingLow = value;
                    _writeHighNext = true;
                    if (Mode == 0)
                    {
                        // Writing the first byte stops a mode 0 count until the second arrives.
                        _loaded = false;
                        _runningSince = null;
                    }
                    return;
                }
                _writeHighNext = false;
                count = _pendingLow | value << 8;
                break;
        }
        Load(Bcd ? FromBcd(count) : count, now);
    }

    private void Load(int count, long now)
    {
        _reload = count == 0 ? Modulus : count;
        _loaded = true;
        _servicedTicks = 0; // edges are looked for from the new count on
        _nullCount = false;
        _ticksBefore = 0;
        _triggered = false;
        // Modes 1 and 5 wait for a rising gate; the others count while the gate is high.
        _runningSince = Mode is 1 or 5 || !_gate ? null : now;
    }

    public void SetGate(bool gate, long now)
    {
        if (gate == _gate)
        {
            return;
        }
        _gate = gate;
        if (!_loaded)
        {
            return;
        }
        if (!gate)
        {
            // Modes 0 and 4 pause and keep their count; 2 and 3 stop and reload on the next rising
            // gate; 1 and 5 ignore a falling gate (only a rising one retriggers them).
            if (Mode is 0 or 4)
            {
                _ticksBefore = ElapsedTicks(now);
                _runningSince = null;
            }
            else if (Mode is 2 or 3)
            {
                _ticksBefore = 0;
                _runningSince = null;
            }
            return;
        }
        if (Mode is 1 or 5)
        {
            _triggered = true;
            _ticksBefore = 0;
            _runningSince = now;
            return;
        }
        if (Mode is 2 or 3)
        {
            _ticksBefore = 0;
        }
        _runningSince = now;
    }

    /// <summary>The counting element's value now, as the 8254 would show it (binary, or BCD when programmed so).</summary>
    public int CurrentCount(long now)
    {
        if (!_loaded)
        {
            return 0;
        }
        long d = ElapsedTicks(now);
        long value = Mode switch
        {
            2 => _reload - d % _reload,
            3 => _reload - 2 * d % _reload,
            _ => ((_reload - d) % Modulus + Modulus) % Modulus,
        };
        return Bcd ? ToBcd((int)value % 10_000) : (int)value & 0xFFFF;
    }

    public bool Output(long now) => OutputAt(ElapsedTicks(now));

    private bool OutputAt(long d)
    {
        if (!_loaded)
        {
            return Mode != 0; // the control word drives OUT low in mode 0 and high in the others
        }
        bool running = _runningSince is not null || _ticksBefore > 0;
        return Mode switch
        {
            0 => d >= _reload,
            1 => !_triggered || d >= _reload,
            2 => !running || d % _reload != _reload - 1,
            3 => !running || d % _reload < (_reload + 1) / 2,
            4 => d != _reload,
            _ => !_triggered || d != _reload,
        };
    }

    /// <summary>Whether OUT rose at least once between tick counts <paramref name="from"/> (exclusive) and <paramref name="to"/>.</summary>
    private bool RoseBetween(long from, long to)
    {
        if (!_loaded || to <= from)
        {
            return false;
        }
        return Mode switch
        {
            0 or 1 => from < _reload && _reload <= to,
            2 or 3 => to / _reload > from / _reload,
            _ => from < _reload + 1 && _reload + 1 <= to,
        };
    }

    /// <summary>For the channel that drives IRQ 0: whether OUT rose since the last call (or since the count was loaded).</summary>
    public bool TakeRisingEdge(long now)
    {
        long d = ElapsedTicks(now);
        if (d < _servicedTicks)
        {
            _servicedTicks = 0; // reloaded since the last look
        }
        bool rose = RoseBetween(_servicedTicks, d);
        _servicedTicks = d;
        return rose;
    }

    /// <summary>The clock time of OUT's next rising edge, or null when it will not rise without a new write.</summary>
    public long? NextRisingEdge(long now)
    {
        if (!_loaded || _runningSince is not { } since)
        {
            return null;
        }
        long d = ElapsedTicks(now);
        long edge = Mode switch
        {
            0 or 1 => _reload,
            2 or 3 => (d / _reload + 1) * _reload,
            _ => _reload + 1,
        };
        if (edge <= d)
        {
            return null;
        }
        return since + TimeConversion.NanosecondsFor(edge - _ticksBefore, Pit8254.FrequencyHz);
    }

    public void LatchCount(long now)
    {
        if (_latchedCount is null)
        {
            _latchedCount = CurrentCount(now);
            _latchedHighNext = false;
        }
    }

    public void LatchStatus(long now)
    {
        _latchedStatus ??= (byte)((Output(now) ? 0x80 : 0) | (_nullCount ? 0x40 : 0) | Access << 4 | Mode << 1 | (Bcd ? 1 : 0));
    }

    public byte Read(long now)
    {
        if (_latchedStatus is { } status)
        {
            _latchedStatus = null;
            return status;
        }
        if (_latchedCount is { } latched)
        {
            if (Access == 3 && !_latchedHighNext)
            {
                _latchedHighNext = true;
                return (byte)latched;
            }
            _latchedCount = null;
            return (byte)(Access == 2 || Access == 3 ? latched >> 8 : latched);
        }
        int count = CurrentCount(now);
        switch (Access)
        {
            case 1:
                return (byte)count;
            case 2:
                return (byte)(count >> 8);
            default:
                _readHighNext = !_readHighNext;
                return (byte)(_readHighNext ? count : count >> 8);
        }
    }

    private static int FromBcd(int value) =>
        (value & 0xF) + (value >> 4 & 0xF) * 10 + (value >> 8 & 0xF) * 100 + (value >> 12 & 0xF) * 1000;

    private static int ToBcd(int value) =>
        value % 10 | value / 10 % 10 << 4 | value / 100 % 10 << 8 | value / 1000 % 10 << 12;
}
