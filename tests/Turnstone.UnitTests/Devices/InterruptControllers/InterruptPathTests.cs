using Turnstone.Cpu;
using Turnstone.Devices.Bus;
using Turnstone.Devices.InterruptControllers;
using Turnstone.Devices.Timers;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Devices.InterruptControllers;

/// <summary>
/// The whole chain a vCPU loop will drive, with the loop simulated: sleep to the earliest
/// deadline, service the timers, take what the local APIC offers, EOI. Guest time is a fake clock.
/// </summary>
public sealed class InterruptPathTests
{
    private readonly ManualGuestClock _clock = new();
    private readonly LocalApic _apic;
    private readonly IoApic _ioApic;
    private readonly DualPic8259 _pic = new();
    private readonly Pit8254 _pit;
    private readonly DeviceBus _ports = new();

    public InterruptPathTests()
    {
        _apic = new LocalApic(_clock, apicId: 0, bootstrapProcessor: true, 25_000_000, SoftwareCpu.TscFrequency);
        _ioApic = new IoApic(_apic, id: 0);
        _apic.LevelTriggeredEoi = _ioApic.EndOfInterrupt;
        _apic.ConnectExternalController(_pic);
        _pic.ConnectOutput(_apic.Lint0);
        // ISA IRQ 0 reaches PIC line 0 and I/O APIC pin 0, as under KVM's default routing.
        _pit = new Pit8254(_clock, new InterruptLineFanOut(_pic.Irq(0), _ioApic.Pin(0)));
        _ports.Register(DualPic8259.MasterBasePort, DualPic8259.PortSpan, _pic.MasterPorts);
        _ports.Register(DualPic8259.SlaveBasePort, DualPic8259.PortSpan, _pic.SlavePorts);
        _ports.Register(Pit8254.BasePort, Pit8254.PortSpan, _pit);
    }

    private void Out(ushort port, byte value) => _ports.Write(port, [value]);

    /// <summary>Runs the simulated vCPU until <paramref name="until"/>; returns the vectors taken.</summary>
    private List<byte> Run(long until, bool eoiThroughPic)
    {
        var taken = new List<byte>();
        IDeadlineTimer[] timers = [_pit, _apic];
        while (true)
        {
            long? next = timers.Select(t => t.NextDeadlineNanoseconds).Where(d => d is not null).Min();
            if (next is not { } deadline || deadline > until)
            {
                break;
            }
            _clock.NowNanoseconds = Math.Max(_clock.NowNanoseconds, deadline);
            foreach (var timer in timers)
            {
                timer.Service();
            }
            while (_apic.TryAcknowledgeInterrupt(out byte vector))
            {
                taken.Add(vector);
                if (eoiThroughPic)
                {
                    Out(0x20, 0x20);
                }
                else
                {
                    _apic.Write(0xB0, BitConverter.GetBytes(0u));
                }
            }
        }
        return taken;
    }

    [Fact]
    public void A_BIOS_era_guest_gets_18_2_Hz_IRQ0_through_the_PIC_and_LINT0()
    {
        foreach (byte value in new byte[] { 0x11, 0x08, 0x04, 0x01, 0xFE })
        {
            Out(value == 0x11 ? (ushort)0x20 : (ushort)0x21, value);
        }
        Out(0x43, 0x36);
        Out(0x40, 0);
        Out(0x40, 0);

        var taken = Run(until: 1_000_000_000, eoiThroughPic: true);

        Assert.Equal(18, taken.Count); // 65536 / 1.193182 MHz = 54.9 ms
        Assert.All(taken, vector => Assert.Equal(0x08, vector));
    }

    [Fact]
    public void Linux_gets_HZ_1000_IRQ0_through_the_IO_APIC_with_the_PIC_masked()
    {
        Out(0x21, 0xFF);
        Out(0xA1, 0xFF);
        _ioApic.Write(0x00, [0x10]); // pin 0, low half: vector 0x30, edge, unmasked, physical destination 0
        _ioApic.Write(0x10, BitConverter.GetBytes(0x30u));
        _apic.Write(0xF0, BitConverter.GetBytes(0x1FFu));
        _apic.Write(0x350, BitConverter.GetBytes(0x1_0700u)); // LINT0 masked
        Out(0x43, 0x34);
        Out(0x40, 1193 & 0xFF);
        Out(0x40, 1193 >> 8);

        var taken = Run(until: 100_000_000, eoiThroughPic: false);

        Assert.InRange(taken.Count, 99, 100);
        Assert.All(taken, vector => Assert.Equal(0x30, vector));
    }

    [Fact]
    public void The_APIC_timer_and_the_PIT_share_one_timeline()
    {
        Out(0x21, 0xFF);
        _ioApic.Write(0x00, [0x10]);
        _ioApic.Write(0x10, BitConverter.GetBytes(0x30u));
        _apic.Write(0xF0, BitConverter.GetBytes(0x1FFu));
        _apic.Write(0x3E0, BitConverter.GetBytes(0xBu)); // divide by 1
        _apic.Write(0x320, BitConverter.GetBytes(0x2_00ECu)); // periodic, vector 0xEC
        _apic.Write(0x380, BitConverter.GetBytes(250_000u)); // 10 ms
        Out(0x43, 0x34);
        Out(0x40, 11932 & 0xFF); // 10 ms
        Out(0x40, 11932 >> 8);

        var taken = Run(until: 1_000_000_000, eoiThroughPic: false);

        Assert.Equal(100, taken.Count(v => v == 0xEC));
        Assert.InRange(taken.Count(v => v == 0x30), 99, 100);
    }
}
