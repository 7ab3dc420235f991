using Turnstone.Devices.Bus;

namespace Turnstone.Devices.InterruptControllers;

/// <summary>
/// The PC's cascaded 8259A pair: master at ports 0x20/0x21 (IRQ 0-7), slave at 0xA0/0xA1
/// (IRQ 8-15) on master line 2, and the edge/level control registers at 0x4D0/0x4D1 (IRQ 0, 1, 2,
/// 8 and 13 are always edge). The master's INTR goes to <see cref="ConnectOutput"/> (the local
/// APIC's LINT0); the INTA cycle is <see cref="AcknowledgeInterrupt"/>. Linux probes it, masks it
/// (0xFF to both data ports) and uses the I/O APIC instead; a BIOS-era guest runs on it through
/// LINT0 in ExtINT mode. Thread-safe: lines may be driven from any thread.
/// </summary>
public sealed class DualPic8259 : IExternalInterruptController
{
    public const ushort MasterBasePort = 0x20, SlaveBasePort = 0xA0, ElcrBasePort = 0x4D0;
    public const ulong PortSpan = 2;

    private const int CascadeLine = 2;

    private readonly Lock _gate = new();
    private readonly Pic8259Chip _master = new(isMaster: true, elcrMask: 0xF8);
    private readonly Pic8259Chip _slave = new(isMaster: false, elcrMask: 0xDE);
    private readonly IInterruptLine[] _lines;
    private IInterruptLine? _output;
    private bool _outputLevel;

    public DualPic8259()
    {
        _lines = new IInterruptLine[16];
        for (int irq = 0; irq < 16; irq++)
        {
            _lines[irq] = new PicInterruptLine(this, irq);
        }
        MasterPorts = new PicPortWindow(this, MasterBasePort);
        SlavePorts = new PicPortWindow(this, SlaveBasePort);
        ElcrPorts = new PicPortWindow(this, ElcrBasePort);
    }

    /// <summary>Register at <see cref="MasterBasePort"/>, 2 ports.</summary>
    public IBusDevice MasterPorts { get; }

    /// <summary>Register at <see cref="SlaveBasePort"/>, 2 ports.</summary>
    public IBusDevice SlavePorts { get; }

    /// <summary>Register at <see cref="ElcrBasePort"/>, 2 ports.</summary>
    public IBusDevice ElcrPorts { get; }

    /// <summary>ISA IRQ <paramref name="irq"/> (0-15) as a line a device drives.</summary>
    public IInterruptLine Irq(int irq) => _lines[irq];

    /// <summary>Where the master's INTR goes; it is driven at once with the current level.</summary>
    public void ConnectOutput(IInterruptLine output)
    {
        lock (_gate)
        {
            _output = output;
            output.SetLevel(_outputLevel);
        }
    }

    public bool InterruptPending
    {
        get
        {
            lock (_gate)
            {
                return _master.PendingLine() >= 0;
            }
        }
    }

    public void SetIrq(int irq, bool level)
    {
        lock (_gate)
        {
            if (irq < 8)
            {
                _master.SetLine(irq, level);
            }
            else
            {
                _slave.SetLine(irq - 8, level);
            }
            Update();
        }
    }

    public byte AcknowledgeInterrupt()
    {
        lock (_gate)
        {
            byte vector;
            int line = _master.PendingLine();
            if (line < 0)
            {
                // The request went away between INTR and INTA: the master answers with IRQ 7, spurious, not in service.
                vector = (byte)(_master.VectorBase + 7);
            }
            else if (line == CascadeLine)
            {
                int slaveLine = _slave.PendingLine();
                if (slaveLine >= 0)
                {
                    _slave.Acknowledge(slaveLine);
                    vector = (byte)(_slave.VectorBase + slaveLine);
                }
                else
                {
                    vector = (byte)(_slave.VectorBase + 7); // spurious IRQ 15
                }
                _master.Acknowledge(line);
            }
            else
            {
                _master.Acknowledge(line);
                vector = (byte)(_master.VectorBase + line);
            }
            Update();
            return vector;
        }
    }

    internal byte ReadPort(ushort port)
    {
        lock (_gate)
        {
            byte value = port switch
            {
                MasterBasePort => _master.ReadCommand(),
                MasterBasePort + 1 => _master.Imr,
                SlaveBasePort => _slave.ReadCommand(),
                SlaveBasePort + 1 => _slave.Imr,
                ElcrBasePort => _master.Elcr,
                _ => _slave.Elcr,
            };
            Update(); // a poll read acknowledges
            return value;
        }
    }

    internal void WritePort(ushort port, byte value)
    {
        lock (_gate)
        {
            switch (port)
            {
                case MasterBasePort: _master.WriteCommand(value); break;
                case MasterBasePort + 1: _master.WriteData(value); break;
                case SlaveBasePort: _slave.WriteCommand(value); break;
                case SlaveBasePort + 1: _slave.WriteData(value); break;
                case ElcrBasePort: _master.Elcr = (byte)(value & _master.ElcrMask); break;
                default: _slave.Elcr = (byte)(value & _slave.ElcrMask); break;
            }
            Update();
        }
    }

    /// <summary>The slave's INTR is the master's line 2; the master's INTR is the output.</summary>
    private void Update()
    {
        _master.SetLine(CascadeLine, _slave.PendingLine() >= 0);
        bool level = _master.PendingLine() >= 0;
        if (level != _outputLevel)
        {
            _outputLevel = level;
            _output?.SetLevel(level);
        }
    }
}
