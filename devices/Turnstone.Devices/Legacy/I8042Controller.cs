using Turnstone.Devices.Bus;

namespace Turnstone.Devices.Legacy;

/// <summary>
/// The PC keyboard controller, enough for what guests use it for here: the reset line (command
/// 0xFE on port 0x64, Linux's <c>reboot=k</c>; or output-port bit 0 cleared through 0xD1), and
/// the controller self-tests and command byte so a probing driver finds a sane, keyboard-less
/// controller. Ports: data 0x60 (offset 0), command/status 0x64 (offset 4).
/// </summary>
public sealed class I8042Controller(IMachineControl machine) : IBusDevice
{
    public const ushort DataPort = 0x60, CommandPort = 0x64;

    private const byte OutputBufferFull = 0x01, SystemFlag = 0x04, CommandLatch = 0x08;
    private const byte ReadCommandByte = 0x20, WriteCommandByte = 0x60, DisableAux = 0xA7, EnableAux = 0xA8,
        TestAux = 0xA9, SelfTest = 0xAA, TestKeyboard = 0xAB, DisableKeyboard = 0xAD, EnableKeyboard = 0xAE,
        WriteOutputPort = 0xD1, PulseResetLine = 0xFE;

    private readonly Lock _gate = new();
    private byte _commandByte = 0x05; // keyboard interrupt on, system flag
    private byte? _output;
    private byte? _pendingCommand;
    private byte _status = SystemFlag;

    public void Read(ulong offset, Span<byte> data)
    {
        lock (_gate)
        {
            data.Fill(0);
            if (offset == 0)
            {
                data[0] = _output ?? 0;
                _output = null;
            }
            else if (offset == 4)
            {
                data[0] = (byte)(_status | (_output.HasValue ? OutputBufferFull : 0));
            }
        }
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            if (offset == 4)
            {
                Command(data[0]);
            }
            else if (offset == 0)
            {
                DataWrite(data[0]);
            }
        }
    }

    private void Command(byte command)
    {
        _status |= CommandLatch;
        _pendingCommand = null; // a new command cancels a parameter still awaited, as on a real 8042
        switch (command)
        {
            case ReadCommandByte:
                _output = _commandByte;
                break;
            case WriteCommandByte or WriteOutputPort:
                _pendingCommand = command;
                break;
            case SelfTest:
                _output = 0x55;
                break;
            case TestAux or TestKeyboard:
                _output = 0x00;
                break;
            case DisableAux:
                _commandByte |= 0x20;
                break;
            case EnableAux:
                _commandByte &= 0xDF;
                break;
            case DisableKeyboard:
                _commandByte |= 0x10;
                break;
            case EnableKeyboard:
                _commandByte &= 0xEF;
                break;
            case PulseResetLine:
                machine.RequestReset("i8042 reset line (port 0x64, command 0xFE)");
                break;
        }
    }

    private void DataWrite(byte value)
    {
        _status &= unchecked((byte)~CommandLatch);
        switch (_pendingCommand)
        {
            case WriteCommandByte:
                _commandByte = value;
                break;
            case WriteOutputPort when (value & 1) == 0:
                machine.RequestReset("i8042 output port reset bit");
                break;
            case null:
                // A byte for the keyboard itself: there is none, answer as a missing device does.
                _output = 0xFE;
                break;
        }
        _pendingCommand = null;
    }
}
