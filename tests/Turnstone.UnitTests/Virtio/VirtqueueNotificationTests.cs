using Turnstone.Devices.Virtio;

namespace Turnstone.UnitTests.Virtio;

public sealed class VirtqueueNotificationTests
{
    [Theory]
    // event, new, old, expected: notify when event lies in [old, new) modulo 2^16, i.e. one of the
    // entries written since the last decision sits at index event.
    [InlineData(0, 1, 0, true)]
    [InlineData(1, 1, 0, false)]
    [InlineData(3, 10, 3, true)]
    [InlineData(9, 10, 3, true)]
    [InlineData(10, 10, 3, false)]
    [InlineData(2, 10, 3, false)]
    [InlineData(5, 5, 5, false)]          // nothing new since the last decision
    [InlineData(65535, 1, 65534, true)]   // window wraps: 65534, 65535, 0
    [InlineData(0, 1, 65534, true)]
    [InlineData(1, 1, 65534, false)]
    [InlineData(0xFFF0, 5, 0xFFFA, false)]
    public void VringNeedEvent_matches_the_spec_formula(int eventIndex, int newIndex, int oldIndex, bool expected)
    {
        Assert.Equal(expected, Virtqueue.VringNeedEvent((ushort)eventIndex, (ushort)newIndex, (ushort)oldIndex));
    }

    private static void CompleteOne(FakeVirtioDriver driver)
    {
        driver.AddChain(DriverBuffer.Writable(driver.Allocate(8), 8));
        var chain = driver.PopSingle();
        Assert.True(driver.Queue.AddUsed(chain.HeadIndex, 8));
    }

    [Fact]
    public void Without_event_index_the_device_notifies_unless_the_driver_set_no_interrupt()
    {
        var driver = new FakeVirtioDriver();

        CompleteOne(driver);
        Assert.True(driver.Queue.NeedsNotification());

        driver.SetAvailableFlags(Virtqueue.AvailableFlagNoInterrupt);
        CompleteOne(driver);
        Assert.False(driver.Queue.NeedsNotification());

        driver.SetAvailableFlags(0);
        CompleteOne(driver);
        Assert.True(driver.Queue.NeedsNotification());
    }

    [Fact]
    public void With_event_index_the_device_notifies_when_it_writes_the_entry_the_driver_asked_for()
    {
        var driver = new FakeVirtioDriver(eventIndex: true);

        // used_event starts at 0: the first entry (index 0) is the one the driver waits for.
        CompleteOne(driver);
        Assert.True(driver.Queue.NeedsNotification());

        // The driver asks to be woken when entry 3 is written (used idx goes 3 -> 4).
        driver.SetUsedEvent(3);
        CompleteOne(driver); // entry 1
        Assert.False(driver.Queue.NeedsNotification());
        CompleteOne(driver); // entry 2
        Assert.False(driver.Queue.NeedsNotification());
        CompleteOne(driver); // entry 3
        Assert.True(driver.Queue.NeedsNotification());
        CompleteOne(driver); // entry 4
        Assert.False(driver.Queue.NeedsNotification());
    }

    [Fact]
    public void With_event_index_a_batch_that_passes_used_event_notifies_once()
    {
        var driver = new FakeVirtioDriver(eventIndex: true);
        driver.SetUsedEvent(2);

        CompleteOne(driver); // entries 0..3 in one batch: entry 2 is among them
        CompleteOne(driver);
        CompleteOne(driver);
        CompleteOne(driver);

        Assert.True(driver.Queue.NeedsNotification());
        Assert.False(driver.Queue.NeedsNotification()); // nothing new since
    }

    [Fact]
    public void With_event_index_the_no_interrupt_flag_is_ignored()
    {
        var driver = new FakeVirtioDriver(eventIndex: true);
        driver.SetAvailableFlags(Virtqueue.AvailableFlagNoInterrupt);

        CompleteOne(driver);

        Assert.True(driver.Queue.NeedsNotification());
    }

    [Fact]
    public void Without_event_index_disabling_sets_no_notify_and_enabling_clears_it()
    {
        var driver = new FakeVirtioDriver();

        driver.Queue.DisableNotifications();
        Assert.Equal(Virtqueue.UsedFlagNoNotify, driver.UsedFlags);

        Assert.False(driver.Queue.EnableNotifications());
        Assert.Equal(0, driver.UsedFlags);
    }

    [Fact]
    public void With_event_index_enabling_publishes_avail_event_and_leaves_the_flags_alone()
    {
        var driver = new FakeVirtioDriver(eventIndex: true);
        CompleteOne(driver);
        CompleteOne(driver);

        driver.Queue.DisableNotifications();
        Assert.Equal(0, driver.UsedFlags);
        Assert.False(driver.Queue.EnableNotifications());

        Assert.Equal(2, driver.AvailableEvent);
        Assert.Equal(0, driver.UsedFlags);
    }

    [Fact]
    public void Enabling_notifications_reports_chains_that_arrived_while_they_were_off()
    {
        var driver = new FakeVirtioDriver(eventIndex: true);
        driver.Queue.DisableNotifications();
        driver.AddChain(DriverBuffer.Writable(driver.Allocate(8), 8));

        Assert.True(driver.Queue.EnableNotifications());
        Assert.True(driver.Queue.TryPopChain(out _));
        Assert.False(driver.Queue.EnableNotifications());
    }
}
