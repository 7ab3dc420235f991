using Turnstone.GuestMemory;
using Turnstone.Hypervisor.Emulation;
using Turnstone.UnitTests.TestSupport;
using static Turnstone.UnitTests.TestSupport.PageTableBuilder;

namespace Turnstone.UnitTests.Hypervisor;

public sealed class GuestPageWalkerTests
{
    private const ulong TablePool = 0x10_0000;
    private readonly ArrayGuestMemory _memory = new(4ul << 20);
    private readonly PageTableBuilder _tables;

    public GuestPageWalkerTests() => _tables = new PageTableBuilder(_memory, TablePool);

    private bool Translate(ulong linear, out ulong physical, out (bool User, bool Writable) access) =>
        GuestPageWalker.TryTranslate(_memory, _tables.LongMode, linear, out physical, out access);

    [Fact]
    public void Translates_through_a_4KiB_page()
    {
        _tables.Map4K(0xFFFF_8880_0012_3000, 0x5000);

        Assert.True(Translate(0xFFFF_8880_0012_3ABC, out ulong physical, out _));
        Assert.Equal(0x5ABCul, physical);
        Assert.False(Translate(0xFFFF_8880_0012_4000, out _, out _));
    }

    [Fact]
    public void Translates_through_a_2MiB_page()
    {
        _tables.Map2M(0xFFFF_FFFF_8100_0000, 0x120_0000);

        Assert.True(Translate(0xFFFF_FFFF_811F_FFFF, out ulong physical, out _));
        Assert.Equal(0x13F_FFFFul, physical);
    }

    [Fact]
    public void Translates_through_a_1GiB_page()
    {
        _tables.Map1G(0x40_0000_0000, 0x8000_0000);

        Assert.True(Translate(0x40_3456_789A, out ulong physical, out _));
        Assert.Equal(0xB456_789Aul, physical);
    }

    [Fact]
    public void Large_page_address_ignores_the_PAT_bit()
    {
        // Bit 12 of a 2 MiB PDE is PAT, not part of the frame address.
        _tables.Map2M(0x60_0000, 0x20_0000 | 0x1000);

        Assert.True(Translate(0x60_0010, out ulong physical, out _));
        Assert.Equal(0x20_0010ul, physical);
    }

    [Fact]
    public void Ignores_NX_and_software_bits_in_the_frame_address()
    {
        _tables.Map4K(0x7000, 0x3000, flags: Present | Writable | (1ul << 63) | (0x7Ful << 52));

        Assert.True(Translate(0x7123, out ulong physical, out _));
        Assert.Equal(0x3123ul, physical);
    }

    [Fact]
    public void Not_present_entries_fail_at_every_level()
    {
        _tables.Map4K(0x40_1000, 0x1000, flags: Writable); // leaf not present
        _tables.Map2M(0x80_0000, 0x20_0000, flags: Writable);

        Assert.False(Translate(0x40_1000, out _, out _));
        Assert.False(Translate(0x80_0000, out _, out _));
        Assert.False(Translate(0x8000_0000_0000, out _, out _)); // PML4 entry absent
        Assert.False(Translate(0x1_0000_0000, out _, out _));    // PDPT entry absent
    }

    [Fact]
    public void A_table_outside_RAM_fails_the_walk()
    {
        _tables.LinkTable(0x20_0000_0000, level: 3, tableAddress: 0x1_0000_0000); // PDPT entry -> page directory beyond RAM

        Assert.False(Translate(0x20_0000_0000, out ulong physical, out _));
        Assert.Equal(0ul, physical);
    }

    [Fact]
    public void A_CR3_outside_RAM_fails_the_walk()
    {
        var mode = new PagingMode(GuestCpu.Cr0, 0x7F_0000_0000, GuestCpu.Cr4, GuestCpu.Efer);

        Assert.False(GuestPageWalker.TryTranslate(_memory, mode, 0x1000, out _));
    }

    [Fact]
    public void User_and_writable_rights_are_the_AND_of_every_level()
    {
        _tables.Map4K(0x1000, 0x1000, flags: Present | Writable | User);
        _tables.Map4K(0x40_0000_1000, 0x2000, flags: Present | User, tableFlags: Present | Writable | User);
        _tables.Map4K(0x80_0000_1000, 0x3000, flags: Present | Writable | User, tableFlags: Present | Writable);
        _tables.Map2M(0xC0_0020_0000, 0x20_0000, flags: Present | Writable, tableFlags: Present | User);

        Assert.True(Translate(0x1000, out _, out var access));
        Assert.Equal((true, true), access);
        Assert.True(Translate(0x40_0000_1000, out _, out access));
        Assert.Equal((true, false), access);
        Assert.True(Translate(0x80_0000_1000, out _, out access));
        Assert.Equal((false, true), access);
        Assert.True(Translate(0xC0_0020_0000, out _, out access));
        Assert.Equal((false, false), access);
    }

    [Fact]
    public void Without_paging_linear_is_physical_truncated_to_32_bits()
    {
        var mode = new PagingMode(Cr0: 0x11, Cr3: 0, Cr4: 0, Efer: 0);

        Assert.True(GuestPageWalker.TryTranslate(_memory, mode, 0x1_0012_3456, out ulong physical, out var access));
        Assert.Equal(0x0012_3456ul, physical);
        Assert.Equal((true, true), access);
    }

    [Fact]
    public void Legacy_paging_outside_long_mode_is_not_walked()
    {
        var mode = new PagingMode(GuestCpu.Cr0, _tables.Pml4, Cr4: 0x10, Efer: 0);

        Assert.False(GuestPageWalker.TryTranslate(_memory, mode, 0x1000, out _));
    }

    [Fact]
    public void PagingMode_reads_the_control_register_bits()
    {
        var mode = new PagingMode(Cr0: 0x8000_0001, Cr3: 0x1000, Cr4: 0x1020, Efer: 0x500);

        Assert.True(mode.PagingEnabled);
        Assert.True(mode.LongMode);
        Assert.True(mode.FiveLevel);
        Assert.False(new PagingMode(0x1, 0, 0, 0x100).LongMode); // LME alone is not LMA
    }
}
