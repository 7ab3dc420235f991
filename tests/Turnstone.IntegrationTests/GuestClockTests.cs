using System.Globalization;
using Turnstone.Engine;
using Turnstone.Machine;
using Xunit.Abstractions;

namespace Turnstone.IntegrationTests;

/// <summary>
/// Guest time on the software engine (issue 12, Time): Debian's cloud kernel with the test
/// initramfs keeps the TSC as its clocksource (the clocksource watchdog, which compares it with
/// jiffies while the kernel boots, finds no skew), and a 10 s sleep in the guest (busybox ash's
/// <c>read -t 10</c>, see images/initramfs/init) moves the guest's clock by the host time it took,
/// within 1%, while the monitor, its vCPU asleep in HLT, uses almost no CPU.
/// </summary>
[Trait("Category", "GuestClock")]
[Trait("Speed", "Slow")]
public sealed class GuestClockTests(ITestOutputHelper output) : LinuxBootTestBase(output)
{
    private const string Before = "turnstone-guest: clock before sleep ", After = "turnstone-guest: clock after sleep ";
    private const int SleepSeconds = 10;

    [Theory, OnSoftEngine]
    public void A_guest_sleep_of_ten_seconds_moves_its_clock_ten_host_seconds_and_keeps_the_TSC(EngineChoice engine)
    {
        // The software engine's command line without "quiet", so the kernel's warnings (the
        // watchdog's verdict) reach the console.
        string commandLine = MachineConfig.SoftwareEngineCommandLine.Replace(" quiet", "") + $" turnstone.sleep={SleepSeconds}";
        var console = new TimestampedConsole();

        var run = Boot(GuestImages.CloudKernel, GuestImages.Initramfs, [], commandLine, engine: engine, console: console);

        AssertReachedInitAndReset(run);
        Assert.DoesNotContain("Marking TSC unstable", run.Console);
        Assert.DoesNotContain("as unstable because the skew is too large", run.Console);
        Assert.Contains("clocksource: Switched to clocksource tsc", run.Console);
        var lines = console.Lines;
        var before = lines.Single(l => l.Line.StartsWith(Before, StringComparison.Ordinal));
        var after = lines.Single(l => l.Line.StartsWith(After, StringComparison.Ordinal));
        double guestSeconds = Seconds(after.Line[After.Length..]) - Seconds(before.Line[Before.Length..]);
        double hostSeconds = (after.Host - before.Host).TotalSeconds;
        double monitorCpuSeconds = (after.MonitorCpu - before.MonitorCpu).TotalSeconds;
        Output.WriteLine($"guest clock moved {guestSeconds:F3} s in {hostSeconds:F3} host s ({guestSeconds / hostSeconds:F4} guest s per host s); " +
            $"monitor CPU meanwhile {monitorCpuSeconds:F3} s ({monitorCpuSeconds / hostSeconds:P1})");

        // /proc/uptime has centiseconds; 1% of 10 s is ten of them.
        Assert.InRange(guestSeconds, SleepSeconds * 0.99, SleepSeconds * 1.05); // a timeout may end a little late, never early
        Assert.InRange(guestSeconds / hostSeconds, 0.99, 1.01);
        // HLT sleeps: a vCPU spinning while the guest idles would cost a whole core (about 100%).
        Assert.InRange(monitorCpuSeconds / hostSeconds, 0, 0.10);
    }

    private static double Seconds(string uptime) => double.Parse(uptime.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture);
}
