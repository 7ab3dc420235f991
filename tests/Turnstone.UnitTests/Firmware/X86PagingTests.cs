using Turnstone.Firmware.X86;
using Turnstone.GuestMemory;
using Turnstone.Hypervisor.Emulation;

namespace Turnstone.UnitTests.Firmware;

public sealed class X86PagingTests
{
    private const ulong Tables = 0x9000;

    [Theory]
    [InlineData(0x0ul)]
    [InlineData(0x7000ul)]
    [InlineData(0x10_0200ul)]
    [InlineData(0x1234_5678ul)]
    [InlineData(0x7FFF_FFFFul)]
    [InlineData(0xBFFF_F123ul)]
    [InlineData(0xFEE0_0000ul)]
    [InlineData(0xFFFF_FFFFul)]
    public void Identity_map_translates_every_address_below_4GiB_to_itself(ulong address)
    {
        var memory = new ArrayGuestMemory(1 << 20);
        ulong cr3 = X86Paging.WriteIdentityMap4GiB(memory, Tables);
        var mode = new PagingMode(X86Paging.Cr0ProtectedModePaging, cr3, X86Paging.Cr4Pae, X86Paging.EferLongMode);

        Assert.True(GuestPageWalker.TryTranslate(memory, mode, address, out ulong physical, out var access));
        Assert.Equal(address, physical);
        Assert.True(access.Writable);
    }

    [Theory]
    [InlineData(0x1_0000_0000ul)]
    [InlineData(0xFFFF_8000_0000_0000ul)]
    public void Identity_map_maps_nothing_at_or_above_4GiB(ulong address)
    {
        var memory = new ArrayGuestMemory(1 << 20);
        ulong cr3 = X86Paging.WriteIdentityMap4GiB(memory, Tables);
        var mode = new PagingMode(X86Paging.Cr0ProtectedModePaging, cr3, X86Paging.Cr4Pae, X86Paging.EferLongMode);

        Assert.False(GuestPageWalker.TryTranslate(memory, mode, address, out _));
    }

    [Fact]
    public void Identity_map_uses_six_pages_and_returns_the_PML4_as_CR3()
    {
        var memory = new ArrayGuestMemory(1 << 20);
        memory.GetSpan(Tables, 8 * 0x1000).Fill(0xEE);

        ulong cr3 = X86Paging.WriteIdentityMap4GiB(memory, Tables);

        Assert.Equal(Tables, cr3);
        Assert.Equal(0xA003ul, memory.ReadUInt64(Tables));              // PML4[0] -> PDPT, present + writable
        Assert.Equal(0ul, memory.ReadUInt64(Tables + 8));                // PML4[1] cleared
        Assert.Equal(0xE003ul, memory.ReadUInt64(Tables + 0x1000 + 3 * 8)); // PDPT[3] -> fourth page directory
        Assert.Equal(0xFFE0_0083ul, memory.ReadUInt64(Tables + 0x5000 + 511 * 8)); // last 2 MiB page
        Assert.Equal(0xEEEE_EEEE_EEEE_EEEEul, memory.ReadUInt64(Tables + 0x6000)); // nothing written beyond six pages
    }

    [Fact]
    public void Boot_GDT_has_the_protocol_selectors()
    {
        var memory = new ArrayGuestMemory(0x1000);

        ushort limit = X86Paging.WriteBootGdt(memory, 0x500);

        Assert.Equal(31, limit);
        Assert.Equal(0ul, memory.ReadUInt64(0x500));
        Assert.Equal(0ul, memory.ReadUInt64(0x508));
        Assert.Equal(0x00AF_9B00_0000_FFFFul, memory.ReadUInt64(0x500 + X86Paging.BootCodeSelector)); // 64-bit code, DPL 0
        Assert.Equal(0x00CF_9300_0000_FFFFul, memory.ReadUInt64(0x500 + X86Paging.BootDataSelector)); // flat data
    }
}
