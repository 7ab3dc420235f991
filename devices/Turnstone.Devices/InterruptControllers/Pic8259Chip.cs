namespace Turnstone.Devices.InterruptControllers;

/// <summary>
/// One 8259A's registers and priority logic (the datasheet's, in the shape QEMU's i8259 has run
/// for years): IRR/ISR/IMR, the ICW1-4 initialisation sequence, OCW2 EOIs and rotation, OCW3
/// register selection, poll and special mask, auto-EOI, special fully nested mode, and per-line
/// edge or level sensing (ELCR, or LTIM for the whole chip). Not thread-safe:
/// <see cref="DualPic8259"/> serialises every call.
/// </summary>
internal sealed class Pic8259Chip
{
    private readonly bool _isMaster;
    private byte _lastLevels;
    private byte _priorityAdd;
    private bool _readIsr;
    private bool _poll;
    private bool _specialMask;
    private int _initState;
    private bool _rotateOnAutoEoi;
    private bool _specialFullyNested;
    private bool _expectIcw4;
    private bool _single;
    private bool _levelTriggeredAll;

    public Pic8259Chip(bool isMaster, byte elcrMask)
    {
        _isMaster = isMaster;
        ElcrMask = elcrMask;
    }

    public byte Irr { get; private set; }
    public byte Isr { get; private set; }
    public byte Imr { get; private set; }
    public byte VectorBase { get; private set; }
    public bool AutoEoi { get; private set; }

    /// <summary>Which lines are level-sensitive (the ELCR); lines outside <see cref="ElcrMask"/> are always edge.</summary>
    public byte Elcr { get; set; }
    public byte ElcrMask { get; }

    private byte LevelLines => _levelTriggeredAll ? (byte)0xFF : Elcr;

    public void SetLine(int line, bool level)
    {
        byte mask = (byte)(1 << line);
        if ((LevelLines & mask) != 0)
        {
            Irr = level ? (byte)(Irr | mask) : (byte)(Irr & ~mask);
        }
        else if (level && (_lastLevels & mask) == 0)
        {
            Irr |= mask; // a rising edge; the request stays until acknowledged even if the line drops
        }
        _lastLevels = level ? (byte)(_lastLevels | mask) : (byte)(_lastLevels & ~mask);
    }

    /// <summary>0 is the highest priority (the line <c>priority add</c> names), 8 means none of <paramref name="mask"/>.</summary>
    private int Priority(byte mask)
    {
        if (mask == 0)
        {
            return 8;
        }
        int priority = 0;
        while ((mask & 1 << (priority + _priorityAdd & 7)) == 0)
        {
            priority++;
        }
        return priority;
    }

    /// <summary>The line the chip would present on INTA now, or -1 (nothing pending beats what is in service).</summary>
    public int PendingLine()
    {
        int priority = Priority((byte)(Irr & ~Imr));
        if (priority == 8)
        {
            return -1;
        }
        byte inService = Isr;
        if (_specialMask)
        {
            inService &= (byte)~Imr;
        }
        if (_specialFullyNested && _isMaster)
        {
            inService &= unchecked((byte)~(1 << 2)); // the slave may interrupt its own in-service request
        }
        return priority < Priority(inService) ? priority + _priorityAdd & 7 : -1;
    }

    public void Acknowledge(int line)
    {
        byte mask = (byte)(1 << line);
        if (AutoEoi)
        {
            if (_rotateOnAutoEoi)
            {
                _priorityAdd = (byte)(line + 1 & 7);
            }
        }
        else
        {
            Isr |= mask;
        }
        if ((LevelLines & mask) == 0)
        {
            Irr &= (byte)~mask; // an edge request is consumed; a level one stays while the line is high
        }
    }

    public void WriteCommand(byte value)
    {
        if ((value & 0x10) != 0)
        {
            Initialise(value);
        }
        else if ((value & 0x08) != 0)
        {
            // OCW3
            if ((value & 0x04) != 0)
            {
                _poll = true;
            }
            if ((value & 0x02) != 0)
            {
                _readIsr = (value & 1) != 0;
            }
            if ((value & 0x40) != 0)
            {
                _specialMask = (value & 0x20) != 0;
            }
        }
        else
        {
            WriteOcw2(value);
        }
    }

    private void Initialise(byte icw1)
    {
        // ICW1 clears IMR and ISR and the edge memory; the ELCR is not part of the 8259 and stays.
        _lastLevels = 0;
        Irr &= Elcr;
        Imr = 0;
        Isr = 0;
        _priorityAdd = 0;
        VectorBase = 0;
        _readIsr = false;
        _poll = false;
        _specialMask = false;
        AutoEoi = false;
        _rotateOnAutoEoi = false;
        _specialFullyNested = false;
        _expectIcw4 = (icw1 & 0x01) != 0;
        _single = (icw1 & 0x02) != 0;
        _levelTriggeredAll = (icw1 & 0x08) != 0;
        _initState = 1;
    }

    private void WriteOcw2(byte value)
    {
        int command = value >> 5;
        switch (command)
        {
            case 0 or 4: // clear / set rotate in automatic EOI mode
                _rotateOnAutoEoi = command == 4;
                break;
            case 1 or 5: // non-specific EOI, optionally rotating
            {
                int priority = Priority(Isr);
                if (priority != 8)
                {
                    int line = priority + _priorityAdd & 7;
                    Isr &= (byte)~(1 << line);
                    if (command == 5)
                    {
                        _priorityAdd = (byte)(line + 1 & 7);
                    }
                }
                break;
            }
            case 3: // specific EOI
                Isr &= (byte)~(1 << (value & 7));
                break;
            case 6: // set priority: the named line becomes the lowest
                _priorityAdd = (byte)(value + 1 & 7);
                break;
            case 7: // rotate on specific EOI
                Isr &= (byte)~(1 << (value & 7));
                _priorityAdd = (byte)((value & 7) + 1 & 7);
                break;
        }
    }

    public void WriteData(byte value)
    {
        switch (_initState)
        {
            case 0: // OCW1
                Imr = value;
                break;
            case 1: // ICW2: the vector of line 0 (the low three bits are the line number on INTA)
                VectorBase = (byte)(value & 0xF8);
                _initState = _single ? (_expectIcw4 ? 3 : 0) : 2;
                break;
            case 2: // ICW3: cascade wiring, fixed on a PC (slave on master line 2)
                _initState = _expectIcw4 ? 3 : 0;
                break;
            default: // ICW4
                _specialFullyNested = (value & 0x10) != 0;
                AutoEoi = (value & 0x02) != 0;
                _initState = 0;
                break;
        }
    }

    /// <summary>A read of the command port: the poll answer when OCW3 asked for one, else IRR or ISR as selected.</summary>
    public byte ReadCommand()
    {
        if (_poll)
        {
            _poll = false;
            int line = PendingLine();
            if (line < 0)
            {
                return 0;
            }
            Acknowledge(line);
            return (byte)(0x80 | line);
        }
        return _readIsr ? Isr : Irr;
    }
}
