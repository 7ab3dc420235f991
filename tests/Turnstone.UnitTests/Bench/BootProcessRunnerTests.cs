using Turnstone.Bench.Boot;

namespace Turnstone.UnitTests.Bench;

public sealed class BootProcessRunnerTests
{
    [Fact]
    public void A_boot_stopped_at_its_marker_gets_SIGTERM_and_its_time_to_the_marker()
    {
        // A "guest" that prints the marker and would then wait a minute at its shell.
        var launch = new BootProcessLaunch("sh", ["-c", "echo 'turnstone-guest: root file system reached, uptime 0.50 0.01'; exec sleep 60"],
            TimeSpan.FromSeconds(30), new ConsoleMarker("turnstone-guest: root file system reached"), StopAtMarker: true);

        var run = BootProcessRunner.Run(launch);

        Assert.NotNull(run.ToInitSeconds);
        Assert.Equal(0.50, run.GuestUptimeSeconds);
        Assert.Equal(BootProcessRun.TerminatedStatus, run.ExitCode);
        Assert.True(run.StoppedAtMarker);
        Assert.True(run.WallSeconds < 30, $"stopped after {run.WallSeconds} s");
        Assert.Null(run.Problem("guest", launch.Timeout));
    }

    [Fact]
    public void A_boot_that_never_prints_its_marker_is_not_stopped_and_says_so()
    {
        var launch = new BootProcessLaunch("sh", ["-c", "echo 'Option --kernel is required.' >&2; exit 1"],
            TimeSpan.FromSeconds(30), new ConsoleMarker("turnstone-guest: root file system reached"), StopAtMarker: true);

        var run = BootProcessRunner.Run(launch);

        Assert.Null(run.ToInitSeconds);
        Assert.False(run.StoppedAtMarker);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Option --kernel is required.", run.Problem("turnstone run", launch.Timeout));
    }

    [Fact]
    public void A_boot_with_its_guest_RAM_size_has_its_memory_sampled_while_it_runs()
    {
        // sleep has no mapping as large as a guest's RAM: with a 1-byte "guest", its smallest
        // anonymous mapping stands in for it, so the figure is most of sleep's small RSS.
        var launch = new BootProcessLaunch("sh", ["-c", "echo 'turnstone-guest: init reached, uptime 0.50 0.01'; exec sleep 0.5"],
            TimeSpan.FromSeconds(30), InitMarker.Marker, StopAtMarker: false, GuestRamBytes: 1);

        var run = BootProcessRunner.Run(launch);

        Assert.Equal(0, run.ExitCode);
        Assert.InRange(run.PeakBeyondGuestRamBytes ?? -1, 1, 64L << 20);
        Assert.Null(BootProcessRunner.Run(launch with { GuestRamBytes = null }).PeakBeyondGuestRamBytes);
    }
}
