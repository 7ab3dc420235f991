using Turnstone.Devices.Bus;
using Turnstone.Devices.InterruptControllers;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Devices.InterruptControllers;

/// <summary>The 8259A contracts from its datasheet, driven through the port bus the way Linux's i8259.c does.</summary>
public sealed class DualPic8259Tests
{
    private readonly DualPic8259 _pic = new();
    private readonly DeviceBus _ports = new();
    private readonly RecordingInterruptLine _intr = new();

    public DualPic8259Tests()
    {
        _ports.Register(DualPic8259.MasterBasePort, DualPic8259.PortSpan, _pic.MasterPorts);
        _ports.Register(DualPic8259.SlaveBasePort, DualPic8259.PortSpan, _pic.SlavePorts);
        _ports.Register(DualPic8259.ElcrBasePort, DualPic8259.PortSpan, _pic.ElcrPorts);
        _pic.ConnectOutput(_intr);
    }

    private void Out(ushort port, byte value) => _ports.Write(port, [value]);

    private byte In(ushort port)
    {
        Span<byte> data = stackalloc byte[1];
        _ports.Read(port, data);
        return data[0];
    }

    /// <summary>arch/x86/kernel/i8259.c init_8259A(): mask all, ICW1-4 to each chip, masks restored.</summary>
    private void InitialiseLikeLinux(byte masterMask = 0xFF, byte slaveMask = 0xFF)
    {
        Out(0x21, 0xFF);
        Out(0xA1, 0xFF);
        Out(0x20, 0x11); // ICW1: edge, cascade, ICW4 needed
        Out(0x21, 0x30); // ICW2: IRQ 0-7 at vectors 0x30-0x37
        Out(0x21, 0x04); // ICW3: slave on IR2
        Out(0x21, 0x01); // ICW4: 8086 mode, normal EOI
        Out(0xA0, 0x11);
        Out(0xA1, 0x38); // IRQ 8-15 at 0x38-0x3F
        Out(0xA1, 0x02); // ICW3: cascade identity 2
        Out(0xA1, 0x01);
        Out(0x21, masterMask);
        Out(0xA1, slaveMask);
    }

    private void Eoi(int irq)
    {
        if (irq >= 8)
        {
            Out(0xA0, (byte)(0x60 | irq - 8)); // specific EOI on the slave, then on the master's cascade line
            Out(0x20, 0x62);
        }
        else
        {
            Out(0x20, (byte)(0x60 | irq));
        }
    }

    [Fact]
    public void Linux_probe_reads_back_the_mask_it_wrote()
    {
        // probe_8259A(): write 0xFF to the slave IMR and 0xFB to the master IMR, expect it back.
        Out(0xA1, 0xFF);
        Out(0x21, 0xFB);
        Assert.Equal(0xFB, In(0x21));
        Assert.Equal(0xFF, In(0xA1));
    }

    [Fact]
    public void After_the_Linux_init_sequence_IRQ0_and_IRQ8_deliver_their_vectors()
    {
        InitialiseLikeLinux(masterMask: 0xFA, slaveMask: 0xFE); // IRQ 0 and 2 (cascade) on, IRQ 8 on
        Assert.False(_intr.Level);

        _pic.Irq(0).SetLevel(true);
        _pic.Irq(0).SetLevel(false);
        Assert.True(_intr.Level);
        Assert.Equal(0x30, _pic.AcknowledgeInterrupt());
        Assert.False(_intr.Level);
        Eoi(0);

        _pic.Irq(8).SetLevel(true);
        Assert.True(_intr.Level);
        Assert.Equal(0x38, _pic.AcknowledgeInterrupt());
        Eoi(8);
        Assert.Equal(0, In(0x20) & 0x04); // the master's IRR no longer holds the cascade request
    }

    [Fact]
    public void Masked_lines_are_recorded_in_IRR_but_not_presented()
    {
        InitialiseLikeLinux();
        _pic.Irq(4).SetLevel(true);
        Assert.False(_intr.Level);
        Out(0x20, 0x0A); // OCW3: read IRR
        Assert.Equal(0x10, In(0x20));

        Out(0x21, 0xEF); // unmask IRQ 4
        Assert.True(_intr.Level);
        Assert.Equal(0x34, _pic.AcknowledgeInterrupt());
    }

    [Fact]
    public void Lower_priority_waits_for_EOI_and_higher_priority_nests()
    {
        InitialiseLikeLinux(masterMask: 0x00);
        _pic.Irq(3).SetLevel(true);
        _pic.Irq(1).SetLevel(true);
        Assert.Equal(0x31, _pic.AcknowledgeInterrupt()); // IRQ 1 beats IRQ 3
        Assert.False(_intr.Level); // IRQ 3 waits behind IRQ 1 in service

        _pic.Irq(0).SetLevel(true);
        Assert.True(_intr.Level); // IRQ 0 nests
        Assert.Equal(0x30, _pic.AcknowledgeInterrupt());
        Out(0x20, 0x0B); // OCW3: read ISR
        Assert.Equal(0x03, In(0x20));

        Out(0x20, 0x20); // non-specific EOI ends the highest in service: IRQ 0
        Assert.False(_intr.Level);
        Out(0x20, 0x20);
        Assert.True(_intr.Level);
        Assert.Equal(0x33, _pic.AcknowledgeInterrupt());
    }

    [Fact]
    public void Edge_requests_are_consumed_and_level_requests_persist_while_the_line_is_high()
    {
        InitialiseLikeLinux(masterMask: 0x00, slaveMask: 0x00);
        Out(0x4D1, 0x02); // ELCR: IRQ 9 level (the SCI)

        _pic.Irq(5).SetLevel(true); // edge, held high
        Assert.Equal(0x35, _pic.AcknowledgeInterrupt());
        Eoi(5);
        Assert.False(_intr.Level); // no new edge, no new request

        _pic.Irq(9).SetLevel(true);
        Assert.Equal(0x39, _pic.AcknowledgeInterrupt());
        Eoi(9);
        Assert.True(_intr.Level); // still asserted: requested again
        Assert.Equal(0x39, _pic.AcknowledgeInterrupt());
        _pic.Irq(9).SetLevel(false);
        Eoi(9);
        Assert.False(_intr.Level);
    }

    [Fact]
    public void ELCR_cannot_make_the_timer_keyboard_cascade_RTC_or_FPU_lines_level()
    {
        Out(0x4D0, 0xFF);
        Out(0x4D1, 0xFF);
        Assert.Equal(0xF8, In(0x4D0));
        Assert.Equal(0xDE, In(0x4D1));
    }

    [Fact]
    public void Auto_EOI_leaves_nothing_in_service()
    {
        Out(0x20, 0x11);
        Out(0x21, 0x08);
        Out(0x21, 0x04);
        Out(0x21, 0x03); // ICW4: 8086 mode, auto-EOI
        Out(0x21, 0x00);
        _pic.Irq(0).SetLevel(true);
        Assert.Equal(0x08, _pic.AcknowledgeInterrupt());
        Out(0x20, 0x0B);
        Assert.Equal(0x00, In(0x20));
    }

    [Fact]
    public void INTA_with_nothing_pending_answers_with_spurious_IRQ7_not_in_service()
    {
        InitialiseLikeLinux(masterMask: 0x00);
        Assert.Equal(0x37, _pic.AcknowledgeInterrupt());
        Out(0x20, 0x0B);
        Assert.Equal(0x00, In(0x20));
    }

    [Fact]
    public void Poll_command_acknowledges_and_reports_the_line()
    {
        InitialiseLikeLinux(masterMask: 0x00);
        _pic.Irq(6).SetLevel(true);
        Out(0x20, 0x0C); // OCW3: poll
        Assert.Equal(0x86, In(0x20));
        Out(0x20, 0x0B);
        Assert.Equal(0x40, In(0x20));
    }

    [Fact]
    public void Reinitialising_clears_requests_masks_and_in_service()
    {
        InitialiseLikeLinux(masterMask: 0x00);
        _pic.Irq(3).SetLevel(true);
        _pic.AcknowledgeInterrupt();
        Out(0x20, 0x11);
        Out(0x21, 0x30);
        Out(0x21, 0x04);
        Out(0x21, 0x01);
        Assert.Equal(0x00, In(0x21));
        Out(0x20, 0x0B);
        Assert.Equal(0x00, In(0x20));
        Assert.False(_intr.Level);
    }
}
