using Turnstone.Devices.Timers;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Devices.Timers;

/// <summary>The 8254 contracts from its datasheet, and the way Linux programs it, against a fake clock.</summary>
public sealed class Pit8254Tests
{
    private const int Channel0 = 0, Channel2 = 2, Control = 3;

    private readonly ManualGuestClock _clock = new();
    private readonly RecordingInterruptLine _irq0 = new();
    private readonly Pit8254 _pit;
    private readonly PitSystemControlPort _port61;

    public Pit8254Tests()
    {
        _pit = new Pit8254(_clock, _irq0);
        _port61 = new PitSystemControlPort(_pit, _clock);
    }

    private void Out(int port, byte value) => _pit.Write((ulong)port, [value]);

    private byte In(int port)
    {
        Span<byte> data = stackalloc byte[1];
        _pit.Read((ulong)port, data);
        return data[0];
    }

    private byte In61()
    {
        Span<byte> data = stackalloc byte[1];
        _port61.Read(0, data);
        return data[0];
    }

    private void Out61(byte value) => _port61.Write(0, [value]);

    private void LoadCount(int channel, int count)
    {
        Out(channel, (byte)count);
        Out(channel, (byte)(count >> 8));
    }

    private int ReadCount(int channel) => In(channel) | In(channel) << 8;

    private static long TicksToNanoseconds(long ticks) => TimeConversion.NanosecondsFor(ticks, Pit8254.FrequencyHz);

    [Fact]
    public void Mode_2_raises_IRQ0_once_per_period_and_counts_down_from_the_reload_value()
    {
        // Linux's periodic PIT clockevent at HZ=1000: 0x34 (channel 0, lobyte/hibyte, mode 2), LATCH = 1193.
        Out(Control, 0x34);
        LoadCount(Channel0, 1193);
        long period = TicksToNanoseconds(1193);

        Assert.Equal(period, _pit.NextDeadlineNanoseconds);
        Assert.True(_pit.GetOutput(0)); // mode 2 OUT idles high

        _clock.Advance(TicksToNanoseconds(100));
        Assert.Equal(1193 - 100, ReadCount(Channel0));
        _pit.Service();
        Assert.Equal(0, _irq0.RisingEdges);

        _clock.NowNanoseconds = period;
        _pit.Service();
        Assert.Equal(1, _irq0.RisingEdges);
        Assert.Equal(TicksToNanoseconds(2 * 1193), _pit.NextDeadlineNanoseconds);

        _clock.NowNanoseconds = 2 * period + 10;
        _pit.Service();
        Assert.Equal(2, _irq0.RisingEdges);

        // Ten periods missed while nobody looked coalesce into one interrupt.
        _clock.NowNanoseconds = 12 * period + 10;
        _pit.Service();
        Assert.Equal(3, _irq0.RisingEdges);
    }

    [Fact]
    public void Rewriting_the_count_raises_no_interrupt_by_itself()
    {
        Out(Control, 0x34);
        LoadCount(Channel0, 1000);
        _clock.NowNanoseconds = TicksToNanoseconds(5500);
        _pit.Service();
        Assert.Equal(1, _irq0.RisingEdges);

        Out(Channel0, 0xE8); // first byte of a new count: the old one keeps running
        _clock.Advance(100);
        _pit.Service();
        Assert.Equal(1, _irq0.RisingEdges);

        Out(Channel0, 0x03); // 1000 loaded now
        _clock.Advance(TicksToNanoseconds(999));
        _pit.Service();
        Assert.Equal(1, _irq0.RisingEdges);
        _clock.Advance(TicksToNanoseconds(2));
        _pit.Service();
        Assert.Equal(2, _irq0.RisingEdges);
    }

    [Fact]
    public void A_tiny_periodic_count_cannot_flood_IRQ0()
    {
        Out(Control, 0x34);
        LoadCount(Channel0, 2); // 1.7 us
        int services = 0;
        while (_pit.NextDeadlineNanoseconds is { } deadline && deadline <= 10_000_000)
        {
            _clock.NowNanoseconds = deadline;
            _pit.Service();
            services++;
        }
        Assert.InRange(_irq0.RisingEdges, 49, 50); // one per 200 us
        Assert.InRange(services, 49, 51);
    }

    [Fact]
    public void Mode_1_is_a_one_shot_started_by_a_rising_gate()
    {
        Out(Control, 0xB2); // channel 2, lobyte/hibyte, mode 1
        LoadCount(Channel2, 100);
        _clock.Advance(TicksToNanoseconds(500));
        Assert.Equal(0x20, In61() & 0x20); // waiting for its trigger, OUT high
        Assert.Equal(100, ReadCount(Channel2));

        Out61(0x01);
        _clock.Advance(TicksToNanoseconds(40) + 1);
        Assert.Equal(0, In61() & 0x20);
        Assert.Equal(60, ReadCount(Channel2));
        _clock.Advance(TicksToNanoseconds(60));
        Assert.Equal(0x20, In61() & 0x20);
    }

    [Fact]
    public void Mode_2_output_goes_low_for_one_clock_when_the_count_reaches_1()
    {
        Out(Control, 0xB4); // channel 2, lobyte/hibyte, mode 2
        LoadCount(Channel2, 10);
        Out61(0x01); // gate 2 high

        _clock.NowNanoseconds = TicksToNanoseconds(8) + 1;
        Assert.Equal(0x20, In61() & 0x20);
        Assert.Equal(2, ReadCount(Channel2));
        _clock.NowNanoseconds = TicksToNanoseconds(9) + 1;
        Assert.Equal(1, ReadCount(Channel2));
        Assert.Equal(0, In61() & 0x20);
        _clock.NowNanoseconds = TicksToNanoseconds(10) + 1;
        Assert.Equal(10, ReadCount(Channel2));
        Assert.Equal(0x20, In61() & 0x20);
    }

    [Fact]
    public void Mode_3_is_a_square_wave_high_for_the_first_half_of_each_period()
    {
        Out(Control, 0xB6); // channel 2, lobyte/hibyte, mode 3
        LoadCount(Channel2, 100);
        Out61(0x01);

        _clock.NowNanoseconds = TicksToNanoseconds(10) + 1;
        Assert.Equal(0x20, In61() & 0x20);
        Assert.Equal(80, ReadCount(Channel2)); // counts down by two
        _clock.NowNanoseconds = TicksToNanoseconds(60) + 1;
        Assert.Equal(0, In61() & 0x20);
        _clock.NowNanoseconds = TicksToNanoseconds(100) + 1;
        Assert.Equal(0x20, In61() & 0x20);
    }

    [Fact]
    public void Mode_3_on_channel_0_raises_IRQ0_at_the_start_of_each_period()
    {
        Out(Control, 0x36); // what a BIOS programs: channel 0, mode 3, count 0 = 65536 (18.2 Hz)
        LoadCount(Channel0, 0);
        long period = TicksToNanoseconds(65536);
        Assert.Equal(period, _pit.NextDeadlineNanoseconds);
        Assert.InRange(period, 54_900_000, 54_950_000);

        _clock.NowNanoseconds = period;
        _pit.Service();
        Assert.Equal(1, _irq0.RisingEdges);
    }

    [Fact]
    public void Linux_TSC_calibration_loop_sees_port_61_bit_5_rise_after_the_programmed_count()
    {
        // arch/x86/kernel/tsc.c pit_calibrate_tsc(): gate high and speaker off, channel 2 in mode 0
        // with a 10 ms latch, then poll port 0x61 bit 5 until channel 2's OUT goes high.
        const int latch = (int)(Pit8254.FrequencyHz / (1000 / 10));
        Out61((byte)((In61() & ~0x02) | 0x01));
        Out(Control, 0xB0);
        Out(Channel2, latch & 0xFF);
        Out(Channel2, latch >> 8);

        long start = _clock.NowNanoseconds;
        int polls = 0;
        while ((In61() & 0x20) == 0)
        {
            _clock.AdvanceMicroseconds(1);
            Assert.True(++polls < 1_000_000, "OUT 2 never rose");
        }
        long elapsed = _clock.NowNanoseconds - start;

        Assert.InRange(elapsed, 9_999_000, 10_001_000);
    }

    [Fact]
    public void Mode_0_pauses_while_gate_2_is_low()
    {
        Out(Control, 0xB0);
        LoadCount(Channel2, 1000);
        _clock.Advance(TicksToNanoseconds(500));
        Assert.Equal(1000, ReadCount(Channel2)); // gate 2 is low after reset: not counting

        Out61(0x01);
        _clock.Advance(TicksToNanoseconds(300) + 1);
        Out61(0x00);
        _clock.Advance(TicksToNanoseconds(5000));
        Assert.Equal(700, ReadCount(Channel2));
        Assert.Equal(0, In61() & 0x20);

        Out61(0x01);
        _clock.Advance(TicksToNanoseconds(700) + 1);
        Assert.Equal(0x20, In61() & 0x20);
    }

    [Fact]
    public void Mode_4_one_shot_raises_IRQ0_once()
    {
        // Linux's one-shot PIT clockevent: 0x38 (channel 0, lobyte/hibyte, mode 4).
        Out(Control, 0x38);
        LoadCount(Channel0, 200);
        long deadline = _pit.NextDeadlineNanoseconds!.Value;
        Assert.Equal(TicksToNanoseconds(201), deadline);

        _clock.NowNanoseconds = deadline;
        _pit.Service();
        Assert.Equal(1, _irq0.RisingEdges);
        Assert.Null(_pit.NextDeadlineNanoseconds);

        _clock.Advance(1_000_000_000);
        _pit.Service();
        Assert.Equal(1, _irq0.RisingEdges);
    }

    [Fact]
    public void Mode_0_output_is_low_until_terminal_count_then_high()
    {
        Out(Control, 0x30);
        Assert.False(_pit.GetOutput(0));
        LoadCount(Channel0, 50);
        _clock.NowNanoseconds = TicksToNanoseconds(49) + 1;
        _pit.Service();
        Assert.False(_pit.GetOutput(0));
        Assert.Equal(0, _irq0.RisingEdges);
        _clock.NowNanoseconds = TicksToNanoseconds(50);
        _pit.Service();
        Assert.True(_pit.GetOutput(0));
        Assert.Equal(1, _irq0.RisingEdges);
        Assert.False(_irq0.Level); // IRQ 0 is passed on as a pulse
    }

    [Fact]
    public void Latch_command_freezes_the_count_until_both_bytes_are_read()
    {
        Out(Control, 0x34);
        LoadCount(Channel0, 0x1234);
        _clock.Advance(TicksToNanoseconds(0x34) + 1);

        Out(Control, 0x00); // counter latch, channel 0
        _clock.Advance(TicksToNanoseconds(0x100));
        Assert.Equal(0x00, In(Channel0));
        _clock.Advance(TicksToNanoseconds(0x100));
        Assert.Equal(0x12, In(Channel0));
        Assert.Equal(0x1234 - 0x34 - 0x200, ReadCount(Channel0)); // live again
    }

    [Fact]
    public void Quick_calibration_reads_the_live_MSB_with_two_reads_per_sample()
    {
        // quick_pit_calibrate(): mode 0, count 0xFFFF, then pairs of inb(0x42) whose second byte is the MSB.
        Out61(0x01);
        Out(Control, 0xB0);
        LoadCount(Channel2, 0xFFFF);
        int previousMsb = 0x100;
        for (int step = 0; step < 20; step++)
        {
            In(Channel2);
            int msb = In(Channel2);
            Assert.True(msb < previousMsb, $"MSB {msb:x} did not fall below {previousMsb:x}");
            previousMsb = msb;
            _clock.Advance(TicksToNanoseconds(256));
        }
    }

    [Fact]
    public void Read_back_latches_status_then_count()
    {
        Out(Control, 0xB4); // channel 2, lobyte/hibyte, mode 2, binary
        Assert.Equal(0x40, StatusOf(Channel2) & 0x40); // null count until the count is written
        LoadCount(Channel2, 300);

        byte status = StatusOf(Channel2);
        Assert.Equal(0x80 | 0x30 | 2 << 1, status); // OUT high, count loaded, lobyte/hibyte, mode 2

        Out(Control, 0xC0 | 0x10 | 0x08); // read-back: count only, channel 2
        Out61(0x01);
        _clock.Advance(TicksToNanoseconds(100));
        Assert.Equal(300, ReadCount(Channel2));
    }

    private byte StatusOf(int channel)
    {
        Out(Control, (byte)(0xC0 | 0x20 | 2 << channel)); // read-back: status only
        return In(channel);
    }

    [Fact]
    public void Single_byte_access_and_BCD_counting()
    {
        Out(Control, 0xB1 & ~0x30 | 0x10); // channel 2, low byte only, mode 0, BCD
        Out(Channel2, 0x99);
        Out61(0x01);
        _clock.Advance(TicksToNanoseconds(9) + 1);
        Assert.Equal(0x90, In(Channel2));
    }

    [Fact]
    public void Port_61_keeps_its_low_bits_toggles_refresh_and_ignores_NMI_bits()
    {
        Out61(0xFE);
        Assert.Equal(0x0E, In61() & 0xCF);
        byte first = (byte)(In61() & 0x10);
        _clock.Advance(15_085);
        byte second = (byte)(In61() & 0x10);
        Assert.NotEqual(first, second);
        Assert.False(_pit.GetGate(2));
    }
}
