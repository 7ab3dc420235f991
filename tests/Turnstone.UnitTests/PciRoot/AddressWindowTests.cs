using Turnstone.PciRoot;

namespace Turnstone.UnitTests.PciRoot;

public sealed class AddressWindowTests
{
    [Fact]
    public void End_is_exclusive_as_the_allocator_counts_and_last_inclusive_as_acpi_writes()
    {
        var window = new AddressWindow(0xC000_0000, 0x2000_0000);

        Assert.Equal(0xE000_0000ul, window.End);
        Assert.Equal(0xDFFF_FFFFul, window.Last);
        Assert.Equal("0xc0000000-0xdfffffff", window.ToString());
        Assert.False(window.IsEmpty);
    }

    [Fact]
    public void Contains_takes_whole_ranges_inside_without_overflow()
    {
        var window = new AddressWindow(0xC000, 0x4000);

        Assert.True(window.Contains(0xC000, 0x4000));
        Assert.True(window.Contains(0xFF00, 0x100));
        Assert.False(window.Contains(0xFF00, 0x101));
        Assert.False(window.Contains(0xBFFF, 2));
        Assert.False(window.Contains(ulong.MaxValue, 2));
        Assert.False(AddressWindow.None.Contains(0, 0));
        Assert.Equal("none", AddressWindow.None.ToString());
    }
}
