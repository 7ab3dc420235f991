using Turnstone.Devices.Bus;
using Turnstone.Devices.Legacy;

namespace Turnstone.UnitTests.Devices;

public sealed class Serial16550Tests
{
    private const int Data = 0, Ier = 1, Iir = 2, Fcr = 2, Lcr = 3, Mcr = 4, Lsr = 5, Msr = 6, Scratch = 7;
    private const byte Dr = 0x01, Thre = 0x20, Temt = 0x40;
    private const byte IirNone = 0x01, IirThre = 0x02, IirRda = 0x04;
    private const byte McrDtr = 0x01, McrRts = 0x02, McrOut1 = 0x04, McrOut2 = 0x08, McrLoop = 0x10;

    private sealed class InterruptLine : IInterruptLine
    {
        public List<bool> Edges { get; } = [];

        public bool Level => Edges.Count > 0 && Edges[^1];

        public void SetLevel(bool asserted) => Edges.Add(asserted);
    }

    private readonly List<byte> _sent = [];
    private readonly InterruptLine _irq = new();
    private readonly Serial16550 _uart;

    public Serial16550Tests() => _uart = new Serial16550(_sent.Add, _irq);

    private byte Read(int register)
    {
        Span<byte> data = stackalloc byte[1];
        _uart.Read((ulong)register, data);
        return data[0];
    }

    private void Write(int register, byte value) => _uart.Write((ulong)register, [value]);

    [Fact]
    public void Scratch_register_holds_what_was_written()
    {
        Write(Scratch, 0xA5);
        Assert.Equal(0xA5, Read(Scratch));
        Write(Scratch, 0x5A);
        Assert.Equal(0x5A, Read(Scratch));
    }

    [Fact]
    public void Transmitted_bytes_go_to_the_host()
    {
        Write(Data, (byte)'h');
        Write(Data, (byte)'i');

        Assert.Equal("hi"u8.ToArray(), _sent);
    }

    [Fact]
    public void Divisor_latch_is_reached_through_DLAB()
    {
        Assert.Equal(12, ReadDivisorLow());

        Write(Lcr, 0x83);
        Write(Data, 0x01);
        Write(Ier, 0x00);
        Assert.Equal(0x01, Read(Data));
        Assert.Equal(0x00, Read(Ier));
        Assert.Equal(0x83, Read(Lcr));
        Write(Lcr, 0x03);
        Write(Ier, 0x05);

        Assert.Equal(0x05, Read(Ier));
        Assert.Empty(_sent);
        Assert.Equal(0x01, ReadDivisorLow());

        byte ReadDivisorLow()
        {
            byte lcr = Read(Lcr);
            Write(Lcr, (byte)(lcr | 0x80));
            byte value = Read(Data);
            Write(Lcr, lcr);
            return value;
        }
    }

    [Fact]
    public void Modem_status_without_loopback_reports_a_terminal()
    {
        Assert.Equal(0xB0, Read(Msr)); // DCD, DSR, CTS
    }

    [Theory]
    [InlineData(McrDtr, 0x20)]  // DTR -> DSR
    [InlineData(McrRts, 0x10)]  // RTS -> CTS
    [InlineData(McrOut1, 0x40)] // OUT1 -> RI
    [InlineData(McrOut2, 0x80)] // OUT2 -> DCD
    [InlineData(McrRts | McrOut2, 0x90)] // what Linux's 8250 probe expects
    [InlineData(McrDtr | McrRts | McrOut1 | McrOut2, 0xF0)]
    [InlineData(0, 0x00)]
    public void Loopback_wires_modem_control_to_modem_status(byte mcr, byte expectedMsr)
    {
        Write(Mcr, (byte)(McrLoop | mcr));

        Assert.Equal(expectedMsr, Read(Msr));
    }

    [Fact]
    public void Loopback_returns_transmitted_data_instead_of_sending_it()
    {
        Write(Mcr, McrLoop);

        Write(Data, 0x5A);

        Assert.Empty(_sent);
        Assert.Equal(Dr, Read(Lsr) & Dr);
        Assert.Equal(0x5A, Read(Data));
        Assert.Equal(0, Read(Lsr) & Dr);
    }

    [Fact]
    public void Line_status_always_shows_the_transmitter_empty_and_data_ready_when_queued()
    {
        Assert.Equal(Thre | Temt, Read(Lsr));

        Assert.True(_uart.TryReceive((byte)'x'));

        Assert.Equal(Thre | Temt | Dr, Read(Lsr));
        Assert.Equal((byte)'x', Read(Data));
        Assert.Equal(Thre | Temt, Read(Lsr));
        Assert.Equal(0, Read(Data)); // empty FIFO reads zero
    }

    [Fact]
    public void Enabling_ETBEI_raises_THRE_which_reading_IIR_acknowledges()
    {
        Assert.Equal(IirNone, Read(Iir));

        Write(Ier, 0x02);

        Assert.Equal(IirThre, Read(Iir));
        Assert.Equal(IirNone, Read(Iir));
    }

    [Fact]
    public void A_transmitted_byte_rearms_THRE()
    {
        Write(Ier, 0x02);
        Read(Iir);

        Write(Data, (byte)'a');

        Assert.Equal(IirThre, Read(Iir));
    }

    [Fact]
    public void Received_data_has_priority_over_THRE()
    {
        Write(Ier, 0x03);
        _uart.TryReceive(0x41);

        Assert.Equal(IirRda, Read(Iir));
        Assert.Equal(IirRda, Read(Iir)); // RDA stays until the data is read
        Assert.Equal(0x41, Read(Data));
        Assert.Equal(IirThre, Read(Iir)); // THRE was hidden, not lost
        Assert.Equal(IirNone, Read(Iir));
    }

    [Fact]
    public void Received_data_without_ERBFI_raises_nothing()
    {
        _uart.TryReceive(0x41);

        Assert.Equal(IirNone, Read(Iir));
    }

    [Fact]
    public void Interrupt_line_stays_low_until_OUT2_gates_it()
    {
        Write(Ier, 0x01);
        _uart.TryReceive(1);
        Assert.Empty(_irq.Edges);

        Write(Mcr, McrOut2);
        Assert.Equal([true], _irq.Edges);

        Read(Data);
        Assert.Equal([true, false], _irq.Edges);
    }

    [Fact]
    public void Interrupt_line_changes_only_on_edges()
    {
        Write(Mcr, McrOut2);
        Write(Ier, 0x01);
        _uart.TryReceive(1);
        _uart.TryReceive(2);
        Read(Lsr);
        Read(Data);
        Assert.Equal([true], _irq.Edges);

        Read(Data);
        Assert.Equal([true, false], _irq.Edges);
    }

    [Fact]
    public void THRE_interrupt_is_asserted_and_cleared_by_reading_IIR()
    {
        Write(Mcr, McrOut2);
        Write(Ier, 0x02);
        Assert.True(_irq.Level);

        Read(Iir);

        Assert.False(_irq.Level);
        Assert.Equal([true, false], _irq.Edges);
    }

    [Fact]
    public void Receive_FIFO_is_bounded()
    {
        for (int i = 0; i < Serial16550.ReceiveCapacity; i++)
        {
            Assert.True(_uart.TryReceive((byte)i));
        }

        Assert.False(_uart.TryReceive(0xEE));
        Assert.Equal(0, Read(Data));
        Assert.True(_uart.TryReceive(0xEE));
    }

    [Fact]
    public void FIFO_control_shows_in_IIR_and_can_clear_the_receiver()
    {
        _uart.TryReceive(1);
        _uart.TryReceive(2);

        Write(Fcr, 0x01);
        Assert.Equal(0xC0 | IirNone, Read(Iir));
        Assert.Equal(Dr, Read(Lsr) & Dr);

        Write(Fcr, 0x03);
        Assert.Equal(0, Read(Lsr) & Dr);

        Write(Fcr, 0x00);
        Assert.Equal(IirNone, Read(Iir));
    }

    [Fact]
    public void Modem_control_keeps_only_its_five_bits()
    {
        Write(Mcr, 0xFF);

        Assert.Equal(0x1F, Read(Mcr));
    }

    [Fact]
    public void Reads_fill_the_whole_access_with_the_register_in_the_low_byte()
    {
        Write(Scratch, 0x77);
        byte[] wide = [0xAA, 0xAA, 0xAA, 0xAA];

        _uart.Read(Scratch, wide);

        Assert.Equal(new byte[] { 0x77, 0, 0, 0 }, wide);
    }
}
