using System.Diagnostics;
using Turnstone.Devices.Timers;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Devices.Timers;

public sealed class VcpuWakeSignalTests
{
    [Fact]
    public void A_wake_from_another_thread_ends_the_sleep_long_before_the_deadline()
    {
        var clock = new HostMonotonicClock();
        using var signal = new VcpuWakeSignal();
        var waker = new Thread(() =>
        {
            Thread.Sleep(50);
            signal.Wake();
        });
        var elapsed = Stopwatch.StartNew();
        waker.Start();

        Assert.True(signal.SleepUntil(clock, clock.NowNanoseconds + 60_000_000_000));
        waker.Join();
        Assert.InRange(elapsed.ElapsedMilliseconds, 40, 30_000);
    }

    [Fact]
    public void Without_a_wake_it_sleeps_until_the_deadline_and_not_before()
    {
        var clock = new HostMonotonicClock();
        using var signal = new VcpuWakeSignal();
        long deadline = clock.NowNanoseconds + 30_000_000;

        Assert.False(signal.SleepUntil(clock, deadline));
        Assert.True(clock.NowNanoseconds >= deadline);
    }

    [Fact]
    public void A_wake_before_the_sleep_is_not_lost_and_is_consumed_once()
    {
        var clock = new ManualGuestClock { NowNanoseconds = 1000 };
        using var signal = new VcpuWakeSignal();
        signal.Wake();

        Assert.True(signal.SleepUntil(clock, deadlineNanoseconds: 5000));
        Assert.False(signal.SleepUntil(clock, deadlineNanoseconds: 500)); // the deadline has passed, no wake left
    }
}
