using System.Diagnostics;
using Turnstone.Devices.Legacy;

namespace Turnstone.UnitTests.Devices;

public sealed class BootTimerTests
{
    [Fact]
    public void Records_the_time_of_the_first_magic_write_only()
    {
        var clock = Stopwatch.StartNew();
        var signals = new List<TimeSpan>();
        var timer = new BootTimer(clock, signals.Add);

        timer.Write(0, [122]);
        Assert.Null(timer.BootTime);

        timer.Write(0, [BootTimer.MagicValue]);
        var first = timer.BootTime;
        Thread.Sleep(5);
        timer.Write(0, [BootTimer.MagicValue]);

        Assert.NotNull(first);
        Assert.Equal(first, timer.BootTime);
        Assert.Equal([first.Value], signals);
        Assert.True(first.Value <= clock.Elapsed);
    }

    [Fact]
    public void Uses_the_clock_it_is_given()
    {
        var stopped = new Stopwatch();
        var timer = new BootTimer(stopped);

        timer.Write(0, [123]);

        Assert.Equal(TimeSpan.Zero, timer.BootTime);
    }

    [Fact]
    public void Reads_return_the_magic_value()
    {
        var timer = new BootTimer(new Stopwatch());
        byte[] data = [0, 0xAA];

        timer.Read(0, data);

        Assert.Equal(new byte[] { 123, 0 }, data);
        Assert.Equal(0x440, BootTimer.Port);
    }
}
