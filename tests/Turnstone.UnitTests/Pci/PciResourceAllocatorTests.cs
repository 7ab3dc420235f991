using Turnstone.Devices.Pci;
using Turnstone.PciRoot;

namespace Turnstone.UnitTests.Pci;

public sealed class PciResourceAllocatorTests
{
    private static readonly AddressWindow Mmio32 = new(0xC000_0000, 0x1000_0000);
    private static readonly AddressWindow Mmio64 = new(0x80_0000_0000, 0x10_0000_0000);
    private static readonly AddressWindow Io = new(0xC000, 0x4000);

    private static PciConfigSpace Function(params (int Index, PciBarKind Kind, ulong Size)[] bars)
    {
        var config = new PciConfigSpace(new PciIdentity(0x1AF4, 0x1000, default));
        foreach (var (index, kind, size) in bars)
        {
            config.DefineBar(index, kind, size);
        }
        return config;
    }

    [Fact]
    public void Places_every_bar_naturally_aligned_inside_its_window()
    {
        var allocator = new PciResourceAllocator(Mmio32, Mmio64, Io);
        var first = Function((0, PciBarKind.Memory32, 0x100), (1, PciBarKind.Io, 0x40), (2, PciBarKind.Memory64, 0x10_0000));
        var second = Function((0, PciBarKind.Memory32, 0x20_0000), (4, PciBarKind.Io, 0x100));
        allocator.AssignBars(first, second);

        var all = first.BarMappings.Concat(second.BarMappings).ToList();
        Assert.All(all, bar =>
        {
            Assert.True(allocator.Routes(bar), bar.ToString());
            Assert.Equal(0ul, bar.Address % bar.Size);
        });
        Assert.True(Mmio64.Contains(first.BarMappings[2].Address, 0x10_0000));
        Assert.Equal(0ul, first.BarMappings[0].Address % PciResourceAllocator.MinimumMemoryAlignment);

        var memory = all.Where(bar => !bar.IsIo).OrderBy(bar => bar.Address).ToList();
        for (int i = 1; i < memory.Count; i++)
        {
            Assert.True(memory[i - 1].Address + Math.Max(memory[i - 1].Size, 4096) <= memory[i].Address, "memory BARs overlap or share a page");
        }
        var io = all.Where(bar => bar.IsIo).OrderBy(bar => bar.Address).ToList();
        Assert.True(io[0].Address + io[0].Size <= io[1].Address);
    }

    [Fact]
    public void Larger_bars_go_first_so_alignment_wastes_little()
    {
        var allocator = new PciResourceAllocator(new AddressWindow(0xE000_0000, 0x30_0000), AddressWindow.None, Io);
        var small = Function((0, PciBarKind.Memory32, 0x1000));
        var large = Function((0, PciBarKind.Memory32, 0x20_0000));
        allocator.AssignBars(small, large); // in address order small-then-large would need 0x40_0000
        Assert.Equal(0xE000_0000ul, large.BarMappings[0].Address);
        Assert.Equal(0xE020_0000ul, small.BarMappings[0].Address);
    }

    [Fact]
    public void Sixty_four_bit_bars_fall_back_to_the_32_bit_window()
    {
        var allocator = new PciResourceAllocator(Mmio32, AddressWindow.None, Io);
        Assert.True(allocator.TryAllocate(PciBarKind.Memory64, 0x4000, out ulong address));
        Assert.True(Mmio32.Contains(address, 0x4000));
    }

    [Fact]
    public void An_exhausted_window_refuses()
    {
        var allocator = new PciResourceAllocator(new AddressWindow(0xE000_0000, 0x2000), AddressWindow.None, new AddressWindow(0x1000, 0x20));
        Assert.True(allocator.TryAllocate(PciBarKind.Memory32, 0x1000, out _));
        Assert.True(allocator.TryAllocate(PciBarKind.Memory32, 0x10, out ulong page));
        Assert.Equal(0xE000_1000ul, page);
        Assert.False(allocator.TryAllocate(PciBarKind.Memory32, 0x10, out _));
        Assert.False(allocator.TryAllocate(PciBarKind.Io, 0x40, out _));
        Assert.False(allocator.TryAllocate(PciBarKind.Memory32, 0x300, out _)); // not a power of two
        Assert.Throws<InvalidOperationException>(() => allocator.AssignBars(Function((0, PciBarKind.Memory32, 0x1000))));
    }

    [Fact]
    public void Windows_that_cannot_hold_their_kind_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new PciResourceAllocator(new AddressWindow(0xF000_0000, 0x2000_0000), Mmio64, Io));
        Assert.Throws<ArgumentException>(() => new PciResourceAllocator(Mmio32, Mmio64, new AddressWindow(0xF000, 0x2000)));
        Assert.Throws<ArgumentException>(() => new PciResourceAllocator(Mmio32, new AddressWindow(ulong.MaxValue - 0xFFF, 0x2000), Io));
    }

    [Fact]
    public void Bars_the_guest_moved_outside_the_windows_are_not_routed()
    {
        var allocator = new PciResourceAllocator(Mmio32, Mmio64, Io);
        Assert.False(allocator.Routes(new PciBarMapping(0, PciBarKind.Memory32, 0xFEE0_0000, 0x1000, false, true)));
        Assert.False(allocator.Routes(new PciBarMapping(0, PciBarKind.Memory32, Mmio64.Base, 0x1000, false, true)));
        Assert.True(allocator.Routes(new PciBarMapping(0, PciBarKind.Memory64, Mmio64.Base, 0x1000, false, true)));
        Assert.False(allocator.Routes(new PciBarMapping(0, PciBarKind.Memory32, Mmio32.End - 0x800, 0x1000, false, true)));
        Assert.False(allocator.Routes(new PciBarMapping(0, PciBarKind.Io, 0x3F8, 8, false, true)));
    }
}
