using Turnstone.Devices.Virtio;
using Turnstone.GuestMemory;

namespace Turnstone.UnitTests.Virtio;

public sealed class VirtqueueTests
{
    private static Virtqueue NewQueue(IGuestMemory memory, ushort size, ulong desc, ulong avail, ulong used) =>
        new(memory, 256) { Size = size, DescriptorTableAddress = desc, AvailableRingAddress = avail, UsedRingAddress = used };

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(100)]
    [InlineData(512)] // above the device's maximum of 256
    public void Enable_rejects_a_size_that_is_zero_not_a_power_of_two_or_above_the_maximum(int size)
    {
        var queue = NewQueue(new ArrayGuestMemory(1 << 20), (ushort)size, 0x1000, 0x2000, 0x3000);

        Assert.False(queue.TryEnable(out var error));
        Assert.Equal(VirtqueueError.InvalidQueueSize, error);
        Assert.False(queue.IsReady);
    }

    [Theory]
    [InlineData(0x1008, 0x2000, 0x3000)]
    [InlineData(0x1000, 0x2001, 0x3000)]
    [InlineData(0x1000, 0x2000, 0x3002)]
    public void Enable_rejects_misaligned_rings(ulong desc, ulong avail, ulong used)
    {
        var queue = NewQueue(new ArrayGuestMemory(1 << 20), 16, desc, avail, used);

        Assert.False(queue.TryEnable(out var error));
        Assert.Equal(VirtqueueError.MisalignedRing, error);
    }

    [Theory]
    [InlineData(0x10_0000 - 0x80, 0x2000, 0x3000)]  // the table's last descriptors are past the end
    [InlineData(0x1000, 0x10_0000 - 0x20, 0x3000)]  // used_event falls off the end
    [InlineData(0x1000, 0x2000, 0x10_0000 - 0x80)]  // the used ring is 6 + 8*16 bytes
    [InlineData(0x1000, 0x2000, 0xFFFF_FFFF_FFFF_FF00)]
    public void Enable_rejects_rings_outside_guest_memory(ulong desc, ulong avail, ulong used)
    {
        var queue = NewQueue(new ArrayGuestMemory(1 << 20), 16, desc, avail, used);

        Assert.False(queue.TryEnable(out var error));
        Assert.Equal(VirtqueueError.RingOutOfRange, error);
    }

    [Fact]
    public void Rings_that_exactly_fill_the_end_of_memory_are_accepted()
    {
        const ulong end = 1 << 20;
        // Descriptor table (16 * 16 bytes) ends at the last byte of RAM, the available ring (6 + 2 * 16)
        // right where the table starts.
        var queue = NewQueue(new ArrayGuestMemory(end), 16, end - 256, end - 256 - 38, 0x1000);

        Assert.True(queue.TryEnable(out _));
    }

    [Fact]
    public void A_queue_that_is_not_enabled_pops_nothing_and_accepts_no_used_entries()
    {
        var queue = NewQueue(new ArrayGuestMemory(1 << 20), 16, 0x1000, 0x2000, 0x3000);

        Assert.False(queue.TryPopChain(out _));
        Assert.False(queue.AddUsed(0, 0));
        Assert.False(queue.NeedsNotification());
    }

    [Fact]
    public void Configuration_written_while_enabled_is_ignored()
    {
        var driver = new FakeVirtioDriver();

        driver.Queue.Size = 4;
        driver.Queue.DescriptorTableAddress = 0x5000;
        driver.Queue.EventIndexEnabled = true;

        Assert.Equal(16, driver.Queue.Size);
        Assert.Equal(FakeVirtioDriver.DescriptorTableAddress, driver.Queue.DescriptorTableAddress);
        Assert.False(driver.Queue.EventIndexEnabled);
    }

    [Fact]
    public void Reset_returns_the_queue_to_its_power_on_state()
    {
        var driver = new FakeVirtioDriver(size: 8, eventIndex: true);
        driver.AddChain(DriverBuffer.Writable(driver.Allocate(4), 4));
        var chain = driver.PopSingle();
        driver.Queue.AddUsed(chain.HeadIndex, 4);

        driver.Queue.Reset();

        Assert.False(driver.Queue.IsReady);
        Assert.Equal(16, driver.Queue.Size);
        Assert.Equal(0ul, driver.Queue.DescriptorTableAddress);
        Assert.False(driver.Queue.EventIndexEnabled);
        Assert.Equal(0, driver.Queue.NextAvailableIndex);
        Assert.Equal(0, driver.Queue.NextUsedIndex);
    }

    [Fact]
    public void Empty_ring_pops_nothing()
    {
        var driver = new FakeVirtioDriver();

        Assert.False(driver.Queue.HasAvailable());
        Assert.False(driver.Queue.TryPopChain(out _));
    }

    [Fact]
    public void Pops_chains_in_ring_order_with_their_segments()
    {
        var driver = new FakeVirtioDriver();
        ulong header = driver.Allocate(16), data = driver.Allocate(512), status = driver.Allocate(1);
        ushort first = driver.AddChain(DriverBuffer.Readable(header, 16), DriverBuffer.Writable(data, 512), DriverBuffer.Writable(status, 1));
        ushort second = driver.AddChain(DriverBuffer.Readable(header, 16));

        Assert.True(driver.Queue.HasAvailable());
        var chain = driver.PopSingle();
        Assert.True(chain.IsValid);
        Assert.Equal(first, chain.HeadIndex);
        Assert.Equal(
            [new VirtqueueSegment(header, 16, false), new VirtqueueSegment(data, 512, true), new VirtqueueSegment(status, 1, true)],
            chain.Segments);
        Assert.Equal(16ul, chain.ReadableLength);
        Assert.Equal(513ul, chain.WritableLength);

        Assert.Equal(second, driver.PopSingle().HeadIndex);
        Assert.False(driver.Queue.TryPopChain(out _));
        Assert.Equal(2, driver.Queue.NextAvailableIndex);
    }

    [Fact]
    public void AddUsed_writes_id_and_length_then_publishes_the_index()
    {
        var driver = new FakeVirtioDriver(size: 4);
        var heads = new List<ushort>();
        // Six round trips on a four-entry ring: the used slots wrap around.
        for (int i = 0; i < 6; i++)
        {
            heads.Add(driver.AddChain(DriverBuffer.Writable(driver.Allocate(8), 8)));
            var chain = driver.PopSingle();
            Assert.True(driver.Queue.AddUsed(chain.HeadIndex, (uint)(100 + i)));
            Assert.Equal(i + 1, driver.UsedIndex);
            Assert.Equal((heads[i], (uint)(100 + i)), driver.UsedElement(i));
        }
        Assert.Equal(6, driver.Queue.NextUsedIndex);
    }

    [Fact]
    public void AddUsed_refuses_a_head_index_outside_the_queue()
    {
        var driver = new FakeVirtioDriver(size: 8);

        Assert.False(driver.Queue.AddUsed(8, 0));
        Assert.Equal(0, driver.UsedIndex);
    }

    [Fact]
    public void Available_index_wraps_from_65535_to_0_with_a_256_entry_queue()
    {
        var driver = new FakeVirtioDriver(size: 256);
        ulong buffer = driver.Allocate(64);
        // Bring both sides to just before the 16-bit wrap, as a long-running guest would.
        for (int i = 0; i < 65530; i++)
        {
            ushort head = driver.AddChain(DriverBuffer.Writable(buffer, 64));
            var chain = driver.PopSingle();
            Assert.Equal(head, chain.HeadIndex);
            Assert.True(driver.Queue.AddUsed(chain.HeadIndex, 1));
        }
        Assert.Equal(65530, driver.Queue.NextAvailableIndex);

        // Publish 12 chains in one batch, so the driver's index crosses 65535 -> 0 -> 6 before the
        // device looks: the pending count must still be 12, not 65536 - 12.
        var published = new List<ushort>();
        for (int i = 0; i < 12; i++)
        {
            published.Add(driver.AddChain(DriverBuffer.Writable(buffer, 64)));
        }
        Assert.Equal(6, driver.AvailableIndex);

        var popped = new List<ushort>();
        while (driver.Queue.TryPopChain(out var chain))
        {
            Assert.True(chain.IsValid);
            popped.Add(chain.HeadIndex);
            Assert.True(driver.Queue.AddUsed(chain.HeadIndex, 7));
        }
        Assert.Equal(published, popped);
        Assert.Null(driver.Queue.Error);
        Assert.Equal(6, driver.Queue.NextAvailableIndex);
        Assert.Equal(6, driver.UsedIndex);
        // Used entry for the chain published at index 65535 sits in slot 65535 % 256 = 255.
        Assert.Equal((published[5], 7u), driver.UsedElement(255));
        Assert.Equal((published[6], 7u), driver.UsedElement(0));
    }

    [Fact]
    public void An_available_index_more_than_a_ring_ahead_breaks_the_queue()
    {
        var driver = new FakeVirtioDriver(size: 16);
        driver.AddChain(DriverBuffer.Writable(driver.Allocate(8), 8));

        driver.SetAvailableIndexRaw(17);

        Assert.False(driver.Queue.TryPopChain(out _));
        Assert.Equal(VirtqueueError.AvailableIndexOutOfRange, driver.Queue.Error);
        // Sticky: even a sane index later does not revive the queue before a reset.
        driver.SetAvailableIndexRaw(1);
        Assert.False(driver.Queue.TryPopChain(out _));
        Assert.False(driver.Queue.AddUsed(0, 0));
    }

    [Fact]
    public void An_available_index_moved_backwards_breaks_the_queue()
    {
        var driver = new FakeVirtioDriver(size: 16);
        driver.AddChain(DriverBuffer.Writable(driver.Allocate(8), 8));
        driver.PopSingle();

        driver.SetAvailableIndexRaw(0); // 0 - 1 = 65535 pending

        Assert.False(driver.Queue.TryPopChain(out _));
        Assert.Equal(VirtqueueError.AvailableIndexOutOfRange, driver.Queue.Error);
    }

    [Fact]
    public void Exactly_a_full_ring_of_chains_is_accepted()
    {
        var driver = new FakeVirtioDriver(size: 8);
        for (int i = 0; i < 8; i++)
        {
            driver.AddChain(DriverBuffer.Writable(driver.Allocate(8), 8));
        }

        int popped = 0;
        while (driver.Queue.TryPopChain(out var chain))
        {
            Assert.True(chain.IsValid);
            popped++;
        }
        Assert.Equal(8, popped);
        Assert.Null(driver.Queue.Error);
    }
}
