using Turnstone.Bench.Boot;

namespace Turnstone.UnitTests.Bench;

public sealed class BootProcessRunTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(600);

    [Fact]
    public void A_run_that_reached_init_and_ended_normally_has_no_problem()
    {
        Assert.Null(new BootProcessRun(1.5, 1.2, 1.7, 0, "turnstone-guest: init reached, uptime 1.20 0.00", "").Problem("QEMU", Timeout));
    }

    [Fact]
    public void QEMUs_output_without_the_marker_is_a_failure_quoting_its_last_lines()
    {
        var run = new BootProcessRun(null, null, 0.1, 1, "", "qemu-system-x86_64: -kernel /nope: No such file or directory\n");

        string? problem = run.Problem("QEMU", Timeout);

        Assert.Contains("status 1", problem);
        Assert.Contains("No such file or directory", problem);
    }

    [Fact]
    public void A_run_killed_at_the_timeout_says_so_even_after_the_marker()
    {
        Assert.Contains("600 s", new BootProcessRun(3.0, 2.0, 600, null, "turnstone-guest: init reached, uptime 2.00 0.00", "").Problem("turnstone run", Timeout));
    }

    [Fact]
    public void A_failing_status_after_the_marker_is_a_failure()
    {
        Assert.Contains("status 2", new BootProcessRun(3.0, 2.0, 3.1, 2, "", "triple fault").Problem("turnstone run", Timeout));
    }

    [Fact]
    public void After_a_stop_at_the_marker_SIGTERMs_status_is_normal_and_only_then()
    {
        var stopped = new BootProcessRun(2.0, 1.0, 2.2, BootProcessRun.TerminatedStatus, "", "[turnstone] stopped by the user", "root file system reached", StoppedAtMarker: true);
        var unasked = stopped with { StoppedAtMarker = false };

        Assert.Null(stopped.Problem("turnstone run", Timeout));
        Assert.Null((stopped with { ExitCode = 0 }).Problem("QEMU", Timeout));
        Assert.Contains("status 143", unasked.Problem("turnstone run", Timeout));
    }

    [Fact]
    public void A_failure_quotes_the_log_before_the_console_and_names_the_marker_it_waited_for()
    {
        var run = new BootProcessRun(null, null, 0.3, 1, "Usage:\n  turnstone run [options]\n  -?, -h, --help  Show help\n", "Option '--kernel' is required.\n",
            "turnstone-guest: root file system reached", StoppedAtMarker: false);

        string? problem = run.Problem("turnstone run", Timeout);

        Assert.Contains("without printing 'turnstone-guest: root file system reached'", problem);
        Assert.EndsWith(": Option '--kernel' is required.", problem);
        Assert.DoesNotContain("Show help", problem);
    }
}
