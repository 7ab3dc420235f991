using Turnstone.Firmware.Bios;

namespace Turnstone.UnitTests.Firmware.Bios;

public sealed class BiosDiskGeometryTests
{
    [Theory]
    [InlineData(4ul, 1u)]                    // smaller than a cylinder: still one
    [InlineData(16065ul * 10, 10u)]
    [InlineData(1ul << 40, 1024u)]           // capped at what CHS can address
    public void Cylinders_follow_the_size_between_one_and_1024(ulong sectors, uint cylinders)
    {
        var geometry = BiosDiskGeometry.For(sectors);
        Assert.Equal(new BiosDiskGeometry(cylinders, 255, 63), geometry);
    }

    [Fact]
    public void Chs_to_lba_is_the_standard_translation_and_rejects_out_of_range_values()
    {
        var geometry = BiosDiskGeometry.For(16065ul * 10);
        Assert.Equal(0ul, geometry.ToLba(0, 0, 1));
        Assert.Equal(16065ul + 63 + 1, geometry.ToLba(1, 1, 2));
        Assert.Null(geometry.ToLba(0, 0, 0));
        Assert.Null(geometry.ToLba(0, 255, 1));
        Assert.Null(geometry.ToLba(10, 0, 1));
        Assert.Null(geometry.ToLba(0, 0, 64));
    }
}
