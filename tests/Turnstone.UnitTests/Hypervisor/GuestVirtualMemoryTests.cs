using Turnstone.GuestMemory;
using Turnstone.Hypervisor.Emulation;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Hypervisor;

public sealed class GuestVirtualMemoryTests
{
    private const ulong Linear = 0xFFFF_C900_0000_0000;
    private readonly ArrayGuestMemory _memory = new(2ul << 20);
    private readonly GuestVirtualMemory _virtual;

    public GuestVirtualMemoryTests()
    {
        // Two consecutive virtual pages on physical pages in the opposite order.
        var tables = new PageTableBuilder(_memory, 0x10_0000)
            .Map4K(Linear, 0x9000)
            .Map4K(Linear + 0x1000, 0x5000);
        _virtual = new GuestVirtualMemory(_memory, tables.LongMode);
        _memory.GetSpan(0x9FF8, 8).Fill(0x11);
        _memory.GetSpan(0x5000, 8).Fill(0x22);
    }

    [Fact]
    public void Read_crosses_a_page_boundary_onto_a_discontiguous_frame()
    {
        byte[] buffer = new byte[16];

        Assert.True(_virtual.TryRead(Linear + 0xFF8, buffer, out ulong fault));

        Assert.Equal([.. Enumerable.Repeat((byte)0x11, 8), .. Enumerable.Repeat((byte)0x22, 8)], buffer);
        Assert.Equal(0ul, fault);
    }

    [Fact]
    public void Write_crosses_a_page_boundary()
    {
        byte[] data = Enumerable.Range(1, 12).Select(i => (byte)i).ToArray();

        Assert.True(_virtual.TryWrite(Linear + 0xFFA, data, out _));

        Assert.Equal(data[..6], _memory.GetSpan(0x9FFA, 6).ToArray());
        Assert.Equal(data[6..], _memory.GetSpan(0x5000, 6).ToArray());
    }

    [Fact]
    public void A_read_running_into_an_unmapped_page_reports_that_page()
    {
        byte[] buffer = new byte[16];

        Assert.False(_virtual.TryRead(Linear + 0x1FF8, buffer, out ulong fault));

        Assert.Equal(Linear + 0x2000, fault);
    }

    [Fact]
    public void A_read_starting_in_an_unmapped_page_reports_its_first_byte()
    {
        Assert.False(_virtual.TryRead(Linear - 3, new byte[8], out ulong fault));

        Assert.Equal(Linear - 3, fault);
    }

    [Fact]
    public void A_mapping_to_a_frame_outside_RAM_faults()
    {
        var tables = new PageTableBuilder(_memory, 0x18_0000).Map4K(0x1000, 0x4000_0000);
        var memory = new GuestVirtualMemory(_memory, tables.LongMode);

        Assert.False(memory.TryWrite(0x1004, [1, 2], out ulong fault));
        Assert.Equal(0x1004ul, fault);
    }

    [Fact]
    public void An_empty_access_succeeds_anywhere()
    {
        Assert.True(_virtual.TryRead(0xDEAD_0000, [], out ulong fault));
        Assert.Equal(0ul, fault);
    }
}
