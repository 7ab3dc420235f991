using Turnstone.Devices.Bus;

namespace Turnstone.Devices.Legacy;

/// <summary>
/// A 16550A UART (COM1 at 0x3F8, IRQ 4 on a PC). The registers are modelled, not only the data
/// port: Linux's 8250 driver probes the scratch register, loopback through MCR/MSR and the IIR's
/// THRE interrupt, and a UART that answers zeros makes every tty write fail with -EIO.
/// Transmission is instant, so the transmitter is always empty. Received bytes queue in a bounded
/// FIFO; input beyond it is held back by the caller (<see cref="TryReceive"/> returns false).
/// </summary>
public sealed class Serial16550 : IBusDevice
{
    public const ushort Com1Port = 0x3F8;
    public const uint Com1Irq = 4;
    public const int ReceiveCapacity = 4096;

    // Register offsets
    private const int Data = 0, InterruptEnable = 1, InterruptIdentFifo = 2, LineControl = 3, ModemControl = 4,
        LineStatus = 5, ModemStatus = 6, Scratch = 7;

    // IER bits
    private const byte ReceivedDataInterrupt = 0x01, TransmitterEmptyInterrupt = 0x02;
    // IIR values
    private const byte NoInterruptPending = 0x01, TransmitterEmpty = 0x02, ReceivedData = 0x04, FifosEnabled = 0xC0;
    // LCR, MCR, LSR bits
    private const byte DivisorLatchAccess = 0x80;
    private const byte Loopback = 0x10, Out2 = 0x08;
    private const byte DataReady = 0x01, TransmitHoldingEmpty = 0x20, TransmitterIdle = 0x40;

    private readonly Lock _gate = new();
    private readonly Queue<byte> _receive = new();
    private readonly Action<byte> _transmit;
    private readonly IInterruptLine _interrupt;

    private byte _interruptEnable, _lineControl, _modemControl, _scratch, _fifoControl;
    private byte _divisorLow = 12, _divisorHigh; // 9600 baud, as a BIOS leaves it
    private bool _transmitterEmptyPending;
    private bool _lineAsserted;

    public Serial16550(Action<byte> transmit, IInterruptLine interrupt)
    {
        _transmit = transmit;
        _interrupt = interrupt;
    }

    /// <summary>True while the guest has the received-data interrupt enabled: a driver has the port
    /// open for input (Linux's 8250 driver enables it when a tty opens and clears it at the last close).</summary>
    public bool ReceiveInterruptEnabled => (Volatile.Read(ref _interruptEnable) & ReceivedDataInterrupt) != 0;

    /// <summary>Queues a byte from the host terminal for the guest. False when the FIFO is full.</summary>
    public bool TryReceive(byte value)
    {
        lock (_gate)
        {
            if (_receive.Count >= ReceiveCapacity)
            {
                return false;
            }
            _receive.Enqueue(value);
            UpdateInterrupt();
            return true;
        }
    }

    public void Read(ulong offset, Span<byte> data)
    {
        lock (_gate)
        {
            data.Fill(0);
            data[0] = ReadRegister((int)offset);
            UpdateInterrupt();
        }
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            WriteRegister((int)offset, data[0]);
            UpdateInterrupt();
        }
    }

    private bool DivisorLatch => (_lineControl & DivisorLatchAccess) != 0;

    private byte ReadRegister(int register)
    {
        switch (register)
        {
            case Data when DivisorLatch:
                return _divisorLow;
            case Data:
                return _receive.Count > 0 ? _receive.Dequeue() : (byte)0;
            case InterruptEnable when DivisorLatch:
                return _divisorHigh;
            case InterruptEnable:
                return _interruptEnable;
            case InterruptIdentFifo:
                byte ident = PendingInterrupt();
                if (ident == TransmitterEmpty)
                {
                    _transmitterEmptyPending = false; // reading IIR acknowledges THRE
                }
                return (byte)(ident | ((_fifoControl & 1) != 0 ? FifosEnabled : 0));
            case LineControl:
                return _lineControl;
            case ModemControl:
                return _modemControl;
            case LineStatus:
                return (byte)((_receive.Count > 0 ? DataReady : 0) | TransmitHoldingEmpty | TransmitterIdle);
            case ModemStatus:
                return ModemStatusValue();
            case Scratch:
                return _scratch;
            default:
                return 0xFF;
        }
    }

    private void WriteRegister(int register, byte value)
    {
        switch (register)
        {
            case Data when DivisorLatch:
                _divisorLow = value;
                break;
            case Data:
                if ((_modemControl & Loopback) != 0)
                {
                    if (_receive.Count < ReceiveCapacity)
                    {
                        _receive.Enqueue(value);
                    }
                }
                else
                {
                    _transmit(value);
                }
                _transmitterEmptyPending = true; // sent at once: the holding register is empty again
                break;
            case InterruptEnable when DivisorLatch:
                _divisorHigh = value;
                break;
            case InterruptEnable:
                bool enablingTransmitInterrupt = (value & TransmitterEmptyInterrupt) != 0 && (_interruptEnable & TransmitterEmptyInterrupt) == 0;
                _interruptEnable = (byte)(value & 0x0F);
                if (enablingTransmitInterrupt)
                {
                    _transmitterEmptyPending = true;
                }
                break;
            case InterruptIdentFifo:
                _fifoControl = value;
                if ((value & 0x02) != 0)
                {
                    _receive.Clear();
                }
                break;
            case LineControl:
                _lineControl = value;
                break;
            case ModemControl:
                _modemControl = (byte)(value & 0x1F);
                break;
            case Scratch:
                _scratch = value;
                break;
        }
    }

    private byte ModemStatusValue()
    {
        if ((_modemControl & Loopback) == 0)
        {
            return 0xB0; // DCD, DSR, CTS: a terminal is always attached
        }
        // Loopback wires DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD.
        int mcr = _modemControl;
        return (byte)(((mcr & 0x01) << 5) | ((mcr & 0x02) << 3) | ((mcr & 0x04) << 4) | ((mcr & 0x08) << 4));
    }

    private byte PendingInterrupt()
    {
        if ((_interruptEnable & ReceivedDataInterrupt) != 0 && _receive.Count > 0)
        {
            return ReceivedData;
        }
        if ((_interruptEnable & TransmitterEmptyInterrupt) != 0 && _transmitterEmptyPending)
        {
            return TransmitterEmpty;
        }
        return NoInterruptPending;
    }

    // The line follows "an enabled interrupt is pending"; on a PC, MCR.OUT2 gates the UART's IRQ
    // onto the ISA bus, so a driver that has not set OUT2 sees no interrupts.
    private void UpdateInterrupt()
    {
        bool asserted = PendingInterrupt() != NoInterruptPending && (_modemControl & Out2) != 0;
        if (asserted != _lineAsserted)
        {
            _lineAsserted = asserted;
            _interrupt.SetLevel(asserted);
        }
    }
}
