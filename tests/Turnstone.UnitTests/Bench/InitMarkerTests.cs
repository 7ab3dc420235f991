using Turnstone.Bench.Boot;

namespace Turnstone.UnitTests.Bench;

public sealed class InitMarkerTests
{
    [Theory]
    [InlineData("turnstone-guest: init reached, uptime 2.42 0.08", 2.42)]
    [InlineData("[    5.99] random: crng init done\rturnstone-guest: init reached, uptime 5.84 0.00", 5.84)]
    public void Finds_the_marker_and_the_guests_uptime(string line, double uptime)
    {
        Assert.True(InitMarker.IsIn(line));
        Assert.Equal(uptime, InitMarker.GuestUptimeSeconds(line));
    }

    [Theory]
    [InlineData("turnstone-guest: warning: boot timer write failed (no /dev/port, no /dev/mem)")]
    [InlineData("reboot: Restarting system")]
    public void Other_console_lines_are_not_the_marker(string line)
    {
        Assert.False(InitMarker.IsIn(line));
        Assert.Null(InitMarker.GuestUptimeSeconds(line));
    }

    [Fact]
    public void A_marker_without_an_uptime_still_counts_but_has_no_uptime()
    {
        Assert.True(InitMarker.IsIn("turnstone-guest: init reached"));
        Assert.Null(InitMarker.GuestUptimeSeconds("turnstone-guest: init reached"));
    }

    [Fact]
    public void Any_console_marker_reads_the_uptime_the_same_way()
    {
        var root = new ConsoleMarker("turnstone-guest: root file system reached");

        Assert.True(root.IsIn("turnstone-guest: root file system reached, uptime 0.73 0.07"));
        Assert.Equal(0.73, root.GuestUptimeSeconds("turnstone-guest: root file system reached, uptime 0.73 0.07"));
        Assert.False(root.IsIn("turnstone-guest: init reached, uptime 0.73 0.07"));
        Assert.Null(new ConsoleMarker("login:").GuestUptimeSeconds("turnstone-debian12 login: root (automatic login)"));
    }
}
