using Turnstone.Cpu;
using Turnstone.Devices.Bus;
using Turnstone.Devices.InterruptControllers;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Devices.InterruptControllers;

/// <summary>I/O APIC contracts from the 82093AA datasheet, alone and in front of a local APIC.</summary>
public sealed class IoApicTests
{
    private const ulong Masked = 1ul << 16, Level = 1ul << 15, ActiveLow = 1ul << 13, RemoteIrr = 1ul << 14;

    private readonly RecordingSink _sink = new();
    private readonly IoApic _ioApic;
    private readonly DeviceBus _mmio = new();

    public IoApicTests()
    {
        _ioApic = new IoApic(_sink, id: 0);
        _mmio.Register(IoApic.DefaultBaseAddress, IoApic.MmioSpan, _ioApic);
    }

    private sealed class RecordingSink : IApicMessageSink
    {
        public List<ApicMessage> Messages { get; } = [];

        public void Deliver(in ApicMessage message) => Messages.Add(message);
    }

    private uint ReadRegister(byte index)
    {
        _mmio.Write(IoApic.DefaultBaseAddress, [index]);
        Span<byte> data = stackalloc byte[4];
        _mmio.Read(IoApic.DefaultBaseAddress + 0x10, data);
        return BitConverter.ToUInt32(data);
    }

    private void WriteRegister(byte index, uint value)
    {
        _mmio.Write(IoApic.DefaultBaseAddress, [index]);
        _mmio.Write(IoApic.DefaultBaseAddress + 0x10, BitConverter.GetBytes(value));
    }

    private void Program(int pin, ulong entry)
    {
        WriteRegister((byte)(0x11 + 2 * pin), (uint)(entry >> 32));
        WriteRegister((byte)(0x10 + 2 * pin), (uint)entry);
    }

    private ulong Entry(int pin) => ReadRegister((byte)(0x10 + 2 * pin)) | (ulong)ReadRegister((byte)(0x11 + 2 * pin)) << 32;

    [Fact]
    public void Version_register_reports_24_entries_and_every_entry_starts_masked()
    {
        Assert.Equal(0x0017_0011u, ReadRegister(0x01));
        Assert.Equal(0u, ReadRegister(0x00));
        WriteRegister(0x00, 0x0200_0000);
        Assert.Equal(0x0200_0000u, ReadRegister(0x00));
        for (int pin = 0; pin < IoApic.PinCount; pin++)
        {
            Assert.Equal(Masked, Entry(pin));
        }
    }

    [Fact]
    public void Edge_pin_delivers_once_per_rising_edge()
    {
        Program(4, 0x24);
        _ioApic.Pin(4).SetLevel(true);
        _ioApic.Pin(4).SetLevel(true);
        Assert.Single(_sink.Messages);
        Assert.Equal(new ApicMessage(0x24, ApicDeliveryMode.Fixed, 0, false, false), _sink.Messages[0]);

        _ioApic.Pin(4).SetLevel(false);
        _ioApic.Pin(4).SetLevel(true);
        Assert.Equal(2, _sink.Messages.Count);
    }

    [Fact]
    public void A_masked_edge_is_lost()
    {
        Program(1, Masked | 0x21);
        _ioApic.Pin(1).SetLevel(true);
        _ioApic.Pin(1).SetLevel(false);
        Program(1, 0x21);
        Assert.Empty(_sink.Messages);
    }

    [Fact]
    public void Level_pin_sets_remote_IRR_and_is_redelivered_on_EOI_while_still_asserted()
    {
        Program(16, Level | ActiveLow | 0x50); // a PCI INTA line as the _PRT describes it
        _ioApic.Pin(16).SetLevel(true);
        Assert.Single(_sink.Messages);
        Assert.True(_sink.Messages[0].LevelTriggered);
        Assert.Equal(RemoteIrr, Entry(16) & RemoteIrr);

        _ioApic.Pin(16).SetLevel(true);
        Assert.Single(_sink.Messages); // remote IRR holds it back

        _ioApic.EndOfInterrupt(0x50);
        Assert.Equal(2, _sink.Messages.Count); // still asserted: delivered again

        _ioApic.Pin(16).SetLevel(false);
        _ioApic.EndOfInterrupt(0x50);
        Assert.Equal(2, _sink.Messages.Count);
        Assert.Equal(0ul, Entry(16) & RemoteIrr);
    }

    [Fact]
    public void EOI_for_another_vector_leaves_remote_IRR_alone()
    {
        Program(9, Level | 0x29);
        _ioApic.Pin(9).SetLevel(true);
        _ioApic.EndOfInterrupt(0x30);
        Assert.Equal(RemoteIrr, Entry(9) & RemoteIrr);
    }

    [Fact]
    public void A_masked_level_line_is_delivered_when_unmasked()
    {
        Program(17, Masked | Level | 0x51);
        _ioApic.Pin(17).SetLevel(true);
        Assert.Empty(_sink.Messages);
        Program(17, Level | 0x51);
        Assert.Single(_sink.Messages);
    }

    [Fact]
    public void Remote_IRR_and_delivery_status_are_read_only()
    {
        Program(5, Level | RemoteIrr | 1ul << 12 | 0x25);
        Assert.Equal(Level | 0x25, Entry(5));
    }

    [Fact]
    public void Destination_and_delivery_mode_reach_the_message()
    {
        Program(2, 0xFF00_0000_0000_0000ul | 1ul << 11 | (ulong)ApicDeliveryMode.LowestPriority << 8 | 0x30);
        _ioApic.Pin(2).SetLevel(true);
        Assert.Equal(new ApicMessage(0x30, ApicDeliveryMode.LowestPriority, 0xFF, true, false), _sink.Messages[0]);
    }

    [Fact]
    public void Level_interrupt_round_trip_through_the_local_APIC_EOI()
    {
        var clock = new ManualGuestClock();
        var apic = new LocalApic(clock, apicId: 0, bootstrapProcessor: true, 25_000_000, SoftwareCpu.TscFrequency);
        var ioApic = new IoApic(apic, id: 0);
        apic.LevelTriggeredEoi = ioApic.EndOfInterrupt;
        apic.Write(0xF0, BitConverter.GetBytes(0x1FFu)); // software-enable

        ioApic.Pin(16).SetLevel(false);
        ioApic.Write(0x00, [0x30]); // entry 16, low half
        ioApic.Write(0x10, BitConverter.GetBytes((uint)(Level | 0x50)));
        ioApic.Pin(16).SetLevel(true);

        Assert.True(apic.TryAcknowledgeInterrupt(out byte vector));
        Assert.Equal(0x50, vector);
        apic.Write(0xB0, BitConverter.GetBytes(0u)); // EOI while the device still asserts the line
        Assert.Equal(RemoteIrr, ioApic.RedirectionEntry(16) & RemoteIrr);
        Assert.True(apic.TryAcknowledgeInterrupt(out vector)); // re-delivered
        Assert.Equal(0x50, vector);

        ioApic.Pin(16).SetLevel(false); // the driver quietened the device
        apic.Write(0xB0, BitConverter.GetBytes(0u));
        Assert.Equal(0ul, ioApic.RedirectionEntry(16) & RemoteIrr);
        Assert.False(apic.HasDeliverableInterrupt);
    }

    [Fact]
    public void An_ISA_line_fanned_out_reaches_the_PIC_and_the_IO_APIC()
    {
        var pic = new DualPic8259();
        var intr = new RecordingInterruptLine();
        pic.ConnectOutput(intr);
        pic.MasterPorts.Write(0, [0x11]);
        pic.MasterPorts.Write(1, [0x30]);
        pic.MasterPorts.Write(1, [0x04]);
        pic.MasterPorts.Write(1, [0x01]);
        pic.MasterPorts.Write(1, [0xFE]);
        Program(0, 0x30);
        var irq0 = new InterruptLineFanOut(pic.Irq(0), _ioApic.Pin(0));

        irq0.SetLevel(true);
        irq0.SetLevel(false);

        Assert.True(intr.Level);
        Assert.Single(_sink.Messages);
    }
}
