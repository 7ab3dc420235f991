using Turnstone.Firmware.LinuxBoot;
using Turnstone.GuestMemory;

namespace Turnstone.UnitTests.Firmware;

public sealed class E820MapTests
{
    [Fact]
    public void One_region_from_zero_gets_the_legacy_hole_carved_out()
    {
        var map = E820Map.FromRam([new GuestMemoryRegion(0, 64ul << 20)]);

        Assert.Equal(
            [
                new E820Entry(0, 0x9FC00, E820Type.Ram),
                new E820Entry(0x9FC00, 0x100000 - 0x9FC00, E820Type.Reserved),
                new E820Entry(0x100000, (64ul << 20) - 0x100000, E820Type.Ram),
            ],
            map.Entries);
    }

    [Fact]
    public void Ram_split_around_the_pci_hole_keeps_both_halves()
    {
        var map = E820Map.FromRam([new GuestMemoryRegion(0, 0xC000_0000), new GuestMemoryRegion(0x1_0000_0000, 0x8000_0000)]);

        Assert.Equal(
            [
                new E820Entry(0, E820Map.ExtendedBiosDataArea, E820Type.Ram),
                new E820Entry(E820Map.ExtendedBiosDataArea, E820Map.HighMemoryStart - E820Map.ExtendedBiosDataArea, E820Type.Reserved),
                new E820Entry(E820Map.HighMemoryStart, 0xC000_0000 - E820Map.HighMemoryStart, E820Type.Ram),
                new E820Entry(0x1_0000_0000, 0x8000_0000, E820Type.Ram),
            ],
            map.Entries);
    }

    [Fact]
    public void Reclassify_splits_the_entry_around_the_range()
    {
        var map = E820Map.FromRam([new GuestMemoryRegion(0, 64ul << 20)]);

        map.Reclassify(0xE1000, 0x2000, E820Type.Acpi);

        Assert.Equal(
            [
                new E820Entry(0, 0x9FC00, E820Type.Ram),
                new E820Entry(0x9FC00, 0xE1000 - 0x9FC00, E820Type.Reserved),
                new E820Entry(0xE1000, 0x2000, E820Type.Acpi),
                new E820Entry(0xE3000, 0x100000 - 0xE3000, E820Type.Reserved),
                new E820Entry(0x100000, (64ul << 20) - 0x100000, E820Type.Ram),
            ],
            map.Entries);
    }

    [Fact]
    public void Reclassify_of_a_whole_entry_leaves_no_empty_pieces()
    {
        var map = new E820Map();
        map.Add(0x1000, 0x1000, E820Type.Reserved);

        map.Reclassify(0x1000, 0x1000, E820Type.Nvs);

        Assert.Equal([new E820Entry(0x1000, 0x1000, E820Type.Nvs)], map.Entries);
    }

    [Theory]
    [InlineData(0x9F000ul, 0x2000ul)]  // straddles RAM and the reserved area
    [InlineData(0xC000_0000ul, 0x1000ul)] // in no entry at all
    [InlineData(0x1000ul, 0ul)]        // empty
    public void Reclassify_refuses_a_range_not_inside_one_entry(ulong address, ulong size)
    {
        var map = E820Map.FromRam([new GuestMemoryRegion(0, 64ul << 20)]);

        var error = Assert.Throws<ArgumentException>(() => map.Reclassify(address, size, E820Type.Acpi));

        Assert.Contains("not inside a single existing entry", error.Message);
        Assert.Equal(3, map.Entries.Count);
    }

    [Fact]
    public void Overlapping_entries_are_rejected()
    {
        var map = new E820Map();
        map.Add(0x10_0000, 0x10_0000, E820Type.Ram);

        var error = Assert.Throws<ArgumentException>(() => map.Add(0x1F_F000, 0x2000, E820Type.Reserved));

        Assert.Contains("0x1ff000+0x2000 overlaps", error.Message);
        Assert.Single(map.Entries);
    }

    [Fact]
    public void Entries_are_kept_sorted_and_empty_ones_dropped()
    {
        var map = new E820Map();
        map.Add(0x20_0000, 0x1000, E820Type.Acpi);
        map.Add(0x10_0000, 0x1000, E820Type.Ram);
        map.Add(0x30_0000, 0, E820Type.Nvs);

        Assert.Equal([0x10_0000ul, 0x20_0000ul], map.Entries.Select(e => e.Address));
    }

    [Fact]
    public void The_map_holds_at_most_128_entries()
    {
        var map = new E820Map();
        for (ulong i = 0; i < E820Map.MaxEntries; i++)
        {
            map.Add(i * 0x2000, 0x1000, E820Type.Ram);
        }

        Assert.Throws<InvalidOperationException>(() => map.Add(0x100_0000, 0x1000, E820Type.Ram));
    }

    [Theory]
    [InlineData(0x10_0000ul, 0x100_0000ul, true)]
    [InlineData(0x0ul, 0x9FC00ul, true)]
    [InlineData(0x9F000ul, 0x2000ul, false)]   // runs into the EBDA
    [InlineData(0xA0000ul, 0x1000ul, false)]   // reserved
    [InlineData(0x3FF_F000ul, 0x2000ul, false)] // past the end of RAM
    [InlineData(0xFFFF_FFFF_FFFF_F000ul, 0x2000ul, false)] // wraps
    public void IsUsableRam_needs_the_whole_range_in_one_RAM_entry(ulong address, ulong size, bool expected)
    {
        var map = E820Map.FromRam([new GuestMemoryRegion(0, 64ul << 20)]);

        Assert.Equal(expected, map.IsUsableRam(address, size));
    }
}
