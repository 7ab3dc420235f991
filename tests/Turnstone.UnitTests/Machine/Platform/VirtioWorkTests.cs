using Turnstone.Machine.Platform;

namespace Turnstone.UnitTests.Machine.Platform;

public sealed class VirtioWorkTests
{
    [Fact]
    public void The_run_summary_names_guest_notifications_and_completion_wake_ups_apart()
    {
        var disk = new VirtioWork("vdb", 120, 80, TimeSpan.FromMilliseconds(12.5));
        var console = new VirtioWork("hvc0", 7, 0, TimeSpan.FromMilliseconds(0.3));

        Assert.Equal(200, disk.Runs);
        Assert.Equal("vdb 120 guest notifications + 80 completion wake-ups, 12.5 ms", disk.ToString());
        Assert.Equal("hvc0 7 guest notifications, 0.3 ms", console.ToString());
    }
}
