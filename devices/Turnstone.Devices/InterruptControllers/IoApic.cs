using Turnstone.Devices.Bus;

namespace Turnstone.Devices.InterruptControllers;

/// <summary>
/// An 82093AA-style I/O APIC (version 0x11, as KVM's model reports; no EOI register, which came with
/// version 0x20): IOREGSEL at offset 0x00, IOWIN at 0x10, 24 redirection entries. Edge pins deliver
/// on a rising edge; level pins deliver while asserted and set remote IRR until the local APIC's EOI
/// for that vector (<see cref="EndOfInterrupt"/>), which re-delivers a line still asserted. Masked
/// edges are lost and masked levels are delivered on unmask, like KVM.
/// </summary>
/// <remarks>
/// Pins: 0-15 are the ISA IRQs (identity-mapped: the MADT overrides only the SCI's trigger and
/// polarity, and the PIT drives pin 0 as under KVM's default routing); 16-23 are the PCI INTA lines
/// the _PRT names (<c>PlatformLayout.GsiOfSlot</c>). Lines report "asserted", so the polarity bit is
/// stored but not applied (KVM does the same). Messages go to one <see cref="IApicMessageSink"/>:
/// with one vCPU, its local APIC, which accepts physical destination 0 (its ID), broadcast, or a
/// matching logical destination.
/// </remarks>
public sealed class IoApic : IBusDevice
{
    public const ulong DefaultBaseAddress = 0xFEC0_0000;
    public const ulong MmioSpan = 0x100;
    public const int PinCount = 24;
    public const uint VersionValue = 0x11 | (PinCount - 1) << 16;

    private const ulong SelectOffset = 0x00, WindowOffset = 0x10;
    private const ulong Masked = 1ul << 16, LevelTriggered = 1ul << 15, RemoteIrr = 1ul << 14, DeliveryStatus = 1ul << 12;
    private const ulong ReadOnlyBits = RemoteIrr | DeliveryStatus;

    private readonly Lock _gate = new();
    private readonly IApicMessageSink _sink;
    private readonly ulong[] _redirection = new ulong[PinCount];
    private readonly bool[] _levels = new bool[PinCount];
    private readonly IInterruptLine[] _pins = new IInterruptLine[PinCount];
    private byte _select;
    private byte _id;

    public IoApic(IApicMessageSink sink, byte id)
    {
        _sink = sink;
        _id = id;
        Array.Fill(_redirection, Masked);
        for (int pin = 0; pin < PinCount; pin++)
        {
            _pins[pin] = new IoApicPin(this, pin);
        }
    }

    /// <summary>Interrupts delivered to the sink since creation (each edge, each level delivery or re-delivery).</summary>
    public long DeliveredInterrupts { get; private set; }

    /// <summary>The line for GSI <paramref name="gsi"/> (0-23).</summary>
    public IInterruptLine Pin(int gsi) => _pins[gsi];

    /// <summary>A redirection entry as the guest programmed it, with remote IRR (bit 14) as it stands.</summary>
    public ulong RedirectionEntry(int pin)
    {
        lock (_gate)
        {
            return _redirection[pin];
        }
    }

    public void Read(ulong offset, Span<byte> data)
    {
        data.Fill(0);
        uint value;
        lock (_gate)
        {
            value = offset switch
            {
                SelectOffset => _select,
                WindowOffset => ReadRegister(_select),
                _ => 0,
            };
        }
        Span<byte> bytes = stackalloc byte[4];
        BitConverter.TryWriteBytes(bytes, value);
        bytes[..Math.Min(4, data.Length)].CopyTo(data);
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            if (offset == SelectOffset)
            {
                _select = data[0];
            }
            else if (offset == WindowOffset && data.Length == 4)
            {
                WriteRegister(_select, BitConverter.ToUInt32(data));
            }
        }
    }

    private uint ReadRegister(byte index)
    {
        switch (index)
        {
            case 0x00 or 0x02: // ID; arbitration ID (the same on a one-bus system)
                return (uint)_id << 24;
            case 0x01:
                return VersionValue;
            case >= 0x10 and < 0x10 + 2 * PinCount:
                ulong entry = _redirection[(index - 0x10) >> 1];
                return (index & 1) == 0 ? (uint)entry : (uint)(entry >> 32);
            default:
                return 0;
        }
    }

    private void WriteRegister(byte index, uint value)
    {
        if (index == 0x00)
        {
            _id = (byte)(value >> 24 & 0xF);
            return;
        }
        if (index is < 0x10 or >= 0x10 + 2 * PinCount)
        {
            return; // version and arbitration are read-only; the rest is reserved
        }
        int pin = (index - 0x10) >> 1;
        ulong entry = _redirection[pin];
        if ((index & 1) == 0)
        {
            entry = entry & (0xFFFF_FFFF_0000_0000ul | ReadOnlyBits) | value & ~ReadOnlyBits & 0x0001_FFFF;
            if ((entry & LevelTriggered) == 0)
            {
                entry &= ~RemoteIrr; // an edge entry has no remote IRR
            }
        }
        else
        {
            entry = entry & 0xFFFF_FFFFul | (ulong)(value & 0xFF00_0000) << 32;
        }
        _redirection[pin] = entry;
        // Unmasking (or turning to level) a level line that is still asserted delivers it now.
        if ((entry & LevelTriggered) != 0 && _levels[pin])
        {
            TryDeliverLevel(pin);
        }
    }

    internal void SetLevel(int pin, bool asserted)
    {
        lock (_gate)
        {
            bool rising = asserted && !_levels[pin];
            _levels[pin] = asserted;
            ulong entry = _redirection[pin];
            if ((entry & LevelTriggered) != 0)
            {
                if (asserted)
                {
                    TryDeliverLevel(pin);
                }
            }
            else if (rising && (entry & Masked) == 0)
            {
                Send(entry);
            }
        }
    }

    /// <summary>
    /// The local APIC's EOI broadcast for a level-triggered <paramref name="vector"/>: clears remote IRR
    /// on every level entry with that vector, and re-delivers those whose line is still asserted.
    /// </summary>
    public void EndOfInterrupt(byte vector)
    {
        lock (_gate)
        {
            for (int pin = 0; pin < PinCount; pin++)
            {
                ulong entry = _redirection[pin];
                if ((byte)entry != vector || (entry & RemoteIrr) == 0)
                {
                    continue;
                }
                _redirection[pin] = entry & ~RemoteIrr;
                if (_levels[pin])
                {
                    TryDeliverLevel(pin);
                }
            }
        }
    }

    private void TryDeliverLevel(int pin)
    {
        ulong entry = _redirection[pin];
        if ((entry & (Masked | RemoteIrr)) != 0)
        {
            return;
        }
        _redirection[pin] = entry | RemoteIrr;
        Send(entry);
    }

    private void Send(ulong entry)
    {
        DeliveredInterrupts++;
        _sink.Deliver(new ApicMessage(
            Vector: (byte)entry,
            DeliveryMode: (ApicDeliveryMode)(entry >> 8 & 7),
            Destination: (byte)(entry >> 56),
            LogicalDestination: (entry & 1ul << 11) != 0,
            LevelTriggered: (entry & LevelTriggered) != 0));
    }
}
