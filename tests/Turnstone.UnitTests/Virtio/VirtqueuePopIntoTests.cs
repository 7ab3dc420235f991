using Turnstone.Devices.Virtio;
using Turnstone.GuestMemory;

namespace Turnstone.UnitTests.Virtio;

public sealed class VirtqueuePopIntoTests
{
    [Fact]
    public void Popping_into_one_chain_object_replaces_its_segments_with_the_next_chains()
    {
        var driver = new FakeVirtioDriver(indirect: true);
        ulong a = driver.Allocate(64), b = driver.Allocate(512), c = driver.Allocate(16);
        ushort first = driver.AddChain(new DriverBuffer(a, 64, false), new DriverBuffer(b, 512, true));
        ushort second = driver.AddIndirectChain(new DriverBuffer(c, 16, true));
        var chain = new VirtqueueDescriptorChain(driver.Memory);

        Assert.True(driver.Queue.TryPopChainInto(chain));
        Assert.Equal(first, chain.HeadIndex);
        Assert.Equal([(a, 64u, false), (b, 512u, true)], chain.Segments.Select(s => (s.Address, s.Length, s.IsWritable)));

        Assert.True(driver.Queue.TryPopChainInto(chain));
        Assert.Equal(second, chain.HeadIndex);
        Assert.Equal([(c, 16u, true)], chain.Segments.Select(s => (s.Address, s.Length, s.IsWritable)));

        Assert.False(driver.Queue.TryPopChainInto(chain));
    }

    [Fact]
    public void A_chain_object_made_for_other_guest_memory_is_refused()
    {
        var driver = new FakeVirtioDriver();
        driver.AddChain(new DriverBuffer(driver.Allocate(16), 16, true));

        Assert.ThrowsAny<ArgumentException>(() => driver.Queue.TryPopChainInto(new VirtqueueDescriptorChain(new ArrayGuestMemory(1 << 20))));
    }
}
