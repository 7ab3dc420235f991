using Turnstone.GuestMemory;
using Turnstone.Machine;

namespace Turnstone.UnitTests.Machine;

public sealed class GuestRamLayoutTests
{
    [Theory]
    [InlineData(32ul << 20)]
    [InlineData(2ul << 30)]
    [InlineData(0xC000_0000ul)]
    public void RAM_up_to_3GiB_is_one_region_from_zero(ulong bytes)
    {
        Assert.Equal([new GuestMemoryRegion(0, bytes)], GuestRamLayout.For(bytes));
    }

    [Fact]
    public void RAM_above_3GiB_continues_at_4GiB()
    {
        Assert.Equal(
            [new GuestMemoryRegion(0, 0xC000_0000), new GuestMemoryRegion(0x1_0000_0000, 0x4000_0000)],
            GuestRamLayout.For(4ul << 30));
    }

    [Fact]
    public void RAM_one_page_past_the_hole_start()
    {
        var regions = GuestRamLayout.For(0xC000_1000);

        Assert.Equal(2, regions.Length);
        Assert.Equal(new GuestMemoryRegion(0x1_0000_0000, 0x1000), regions[1]);
        Assert.Equal(0xC000_1000ul, regions.Aggregate(0ul, (sum, r) => sum + r.Size));
    }

    [Fact]
    public void Partial_pages_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => GuestRamLayout.For((64ul << 20) + 512));
    }
}
