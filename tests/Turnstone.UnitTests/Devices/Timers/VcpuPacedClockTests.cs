using Turnstone.Devices.InterruptControllers;
using Turnstone.Devices.Timers;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Devices.Timers;

/// <summary>
/// The software engine's guest clock against a host clock moved by hand: a timer deadline the host
/// passed during a slice or a stall is where the guest finds the clock when the timer fires, the
/// held-back time comes back while the guest runs, and sleeping (HLT) runs at the host's rate.
/// </summary>
public sealed class VcpuPacedClockTests
{
    private const long Millisecond = 1_000_000;

    private readonly ManualGuestClock _host = new() { NowNanoseconds = 1_000 * Millisecond };
    private readonly VcpuPacedClock _clock;

    public VcpuPacedClockTests() => _clock = new VcpuPacedClock(_host);

    [Fact]
    public void Without_stalls_it_is_host_time()
    {
        long start = _clock.Step();
        for (int i = 0; i < 100; i++)
        {
            _host.AdvanceMicroseconds(300);
            _clock.HoldAt(start + 4 * Millisecond * (i / 13 + 1));
            _clock.Step();
        }

        Assert.Equal(_host.NowNanoseconds, _clock.NowNanoseconds);
        Assert.Equal(0, _clock.HeldBackNanoseconds);
    }

    [Fact]
    public void A_stall_across_the_armed_deadline_is_held_at_the_deadline_and_reads_never_pass_it()
    {
        long start = _clock.Step();
        long deadline = start + 4 * Millisecond;
        _clock.HoldAt(deadline);

        _host.Advance(3 * Millisecond);
        Assert.Equal(start + 3 * Millisecond, _clock.NowNanoseconds); // before the deadline: host time
        _host.Advance(200 * Millisecond); // the vCPU thread descheduled
        Assert.Equal(deadline, _clock.NowNanoseconds); // an RDTSC in the slice reads the deadline, not past it
        Assert.Equal(deadline, _clock.Step()); // the loop services the timer at exactly its deadline

        Assert.Equal(199 * Millisecond, _clock.LagNanoseconds);
        Assert.Equal(199 * Millisecond, _clock.HeldBackNanoseconds);
        _clock.HoldAt(deadline + 4 * Millisecond);
        _host.Advance(1 * Millisecond);
        Assert.True(_clock.NowNanoseconds > deadline, "after the step the clock runs on");
    }

    [Fact]
    public void With_no_timer_armed_a_step_shows_at_most_a_millisecond_of_a_stall()
    {
        long start = _clock.Step();
        _clock.HoldAt(null);
        _host.Advance(50 * Millisecond);

        Assert.Equal(start + VcpuPacedClock.MaxStepNanoseconds, _clock.NowNanoseconds);
        Assert.Equal(start + VcpuPacedClock.MaxStepNanoseconds, _clock.Step());
        Assert.Equal(49 * Millisecond, _clock.LagNanoseconds);
    }

    [Fact]
    public void Held_back_time_comes_back_an_eighth_faster_while_the_guest_runs_never_past_a_deadline()
    {
        long start = _clock.Step();
        _clock.HoldAt(start + Millisecond);
        _host.Advance(9 * Millisecond);
        _clock.Step(); // 8 ms held back
        Assert.Equal(8 * Millisecond, _clock.LagNanoseconds);

        // Slices of 0.8 ms with the next deadline far off: each gives back 0.1 ms.
        long previous = _clock.Step();
        _clock.HoldAt(null);
        _host.AdvanceMicroseconds(800);
        long now = _clock.Step();
        Assert.Equal(900_000, now - previous);
        Assert.Equal(7_900_000, _clock.LagNanoseconds);

        // A deadline 0.85 ms ahead caps the give-back: the guest reaches it, not beyond.
        _clock.HoldAt(now + 850_000);
        _host.AdvanceMicroseconds(800);
        Assert.Equal(now + 850_000, _clock.Step());

        for (int i = 0; i < 200; i++)
        {
            _clock.HoldAt(null);
            _host.AdvanceMicroseconds(800);
            _clock.Step();
        }
        Assert.Equal(0, _clock.LagNanoseconds);
        Assert.Equal(_host.NowNanoseconds, _clock.NowNanoseconds);
    }

    [Fact]
    public void A_halted_vCPU_sleeps_in_host_time_and_no_lag_is_given_back_meanwhile()
    {
        long start = _clock.Step();
        _clock.HoldAt(start + Millisecond);
        _host.Advance(101 * Millisecond);
        start = _clock.Step(); // 100 ms behind
        _clock.HoldAt(start + 10_000 * Millisecond);

        _clock.EnterIdle();
        _host.Advance(10_000 * Millisecond);
        Assert.Equal(start + 10_000 * Millisecond, _clock.NowNanoseconds); // the sleep's deadline, reached in host time
        _host.Advance(3 * Millisecond); // woken late by the host: late for the guest too
        _clock.LeaveIdle();

        Assert.Equal(start + 10_003 * Millisecond, _clock.Step());
        Assert.Equal(100 * Millisecond, _clock.LagNanoseconds);
    }

    [Fact]
    public void It_never_goes_back()
    {
        var random = new Random(12);
        long last = _clock.Step();
        for (int i = 0; i < 10_000; i++)
        {
            switch (random.Next(5))
            {
                case 0:
                    _clock.HoldAt(random.Next(3) == 0 ? null : last + random.Next(-2_000_000, 5_000_000));
                    break;
                case 1:
                    _host.Advance(random.Next(0, random.Next(2) == 0 ? 500_000 : 50_000_000));
                    break;
                case 2:
                    Assert.True(_clock.Step() >= last);
                    break;
                case 3:
                    _clock.EnterIdle();
                    _host.Advance(random.Next(0, 20_000_000));
                    Assert.True(_clock.NowNanoseconds >= last);
                    _clock.LeaveIdle();
                    break;
            }
            long now = _clock.NowNanoseconds;
            Assert.True(now >= last, $"step {i}: {now} after {last}");
            last = now;
        }
    }

    [Fact]
    public void The_APIC_timer_in_TSC_deadline_mode_fires_at_its_deadline_after_a_stall()
    {
        var apic = new LocalApic(_clock, apicId: 0, bootstrapProcessor: true, timerFrequencyHz: 25_000_000, tscFrequencyHz: 1_000_000_000);
        apic.Write(0xF0, BitConverter.GetBytes(0x1FFu)); // software-enabled
        apic.Write(0x320, BitConverter.GetBytes(0x4_00ECu)); // LVT timer: TSC-deadline mode, vector 0xEC
        _clock.Step();
        ulong deadline = apic.ReadTimeStampCounter() + 4_000_000;
        apic.TscDeadline = deadline;
        _clock.HoldAt(apic.NextDeadlineNanoseconds);

        _host.Advance(300 * Millisecond); // a stall across the deadline
        Assert.Equal(deadline, apic.ReadTimeStampCounter()); // RDTSC meanwhile: the deadline, not 300 ms on
        _clock.Step();
        apic.Service();

        Assert.True(apic.TryAcknowledgeInterrupt(out byte vector));
        Assert.Equal(0xEC, vector);
        Assert.Equal(deadline, apic.ReadTimeStampCounter()); // the handler reads the TSC at its deadline
        Assert.Equal(296 * Millisecond, _clock.LagNanoseconds);
    }
}
