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
}
