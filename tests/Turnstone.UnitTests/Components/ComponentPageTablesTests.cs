using Turnstone.Components;
using Turnstone.GuestMemory;
using static Turnstone.UnitTests.Components.ComponentImages;

namespace Turnstone.UnitTests.Components;

/// <summary>
/// <see cref="ComponentPageTables.Write"/>, checked by walking the four levels by hand from the PML4 the
/// way the CPU does: rights are the AND of every level's U/S and R/W bits, NX the OR of every level's.
/// The space is the typical image in 8 MiB (see <see cref="ComponentAddressSpaceAccessTests"/> for its map).
/// </summary>
public sealed class ComponentPageTablesTests
{
    private const ulong MemorySize = 0x80_0000;
    private const ulong Present = 1, Writable = 2, User = 4, LargePage = 0x80, NoExecute = 1ul << 63;
    private const ulong AddressMask = 0x000F_FFFF_FFFF_F000;

    private readonly ArrayGuestMemory _memory = new(MemorySize);

    public ComponentPageTablesTests()
    {
        var (_, space) = Validate(Typical(), new ComponentLimits
        {
            MemorySize = MemorySize,
            StackSize = 0x8000,
            MaxInputSize = 5000,
            MaxOutputSize = 100,
        });
        ComponentPageTables.Write(_memory, space);
    }

    private readonly record struct Mapping(bool Present, bool User, bool Writable, bool Executable, ulong Physical);

    /// <summary>A 4-level walk of <paramref name="linear"/> from CR3 = <see cref="ComponentLayout.Pml4"/>.</summary>
    private static Mapping Walk(IGuestMemory memory, ulong linear)
    {
        ulong table = ComponentLayout.Pml4;
        bool user = true, writable = true, noExecute = false;
        for (int shift = 39; shift >= 12; shift -= 9)
        {
            ulong entry = memory.ReadUInt64(table + ((linear >> shift) & 0x1FF) * 8);
            if ((entry & Present) == 0)
            {
                return default;
            }
            Assert.True(shift == 12 || (entry & LargePage) == 0, $"large page at shift {shift} for 0x{linear:x}: components use 4 KiB pages only");
            user &= (entry & User) != 0;
            writable &= (entry & Writable) != 0;
            noExecute |= (entry & NoExecute) != 0;
            table = entry & AddressMask;
        }
        return new Mapping(true, user, writable, !noExecute, table | (linear & 0xFFF));
    }

    private Mapping Walk(ulong linear) => Walk(_memory, linear);

    [Fact]
    public void The_tables_are_an_identity_map()
    {
        foreach (ulong address in new ulong[] { 0x1000, 0x9000, 0x10_0000, 0x10_1234, 0x40_1010, 0x40_30A0, 0x7F_FFF8 })
        {
            Assert.Equal(address, Walk(address).Physical);
        }
    }

    [Theory]
    [InlineData(0x40_1000ul)]
    [InlineData(0x40_1FF8ul)]
    public void A_text_page_is_user_executable_and_not_writable(ulong address)
    {
        Assert.Equal(new Mapping(true, User: true, Writable: false, Executable: true, address), Walk(address));
    }

    [Theory]
    [InlineData(0x40_0000ul)]
    [InlineData(0x40_2000ul)]
    public void A_read_only_data_page_is_user_not_writable_and_not_executable(ulong address)
    {
        Assert.Equal(new Mapping(true, User: true, Writable: false, Executable: false, address), Walk(address));
    }

    [Theory]
    [InlineData(0x40_3000ul)]  // the page the unaligned .bss starts in
    [InlineData(0x40_4000ul)]  // the page it ends in
    public void A_data_page_is_user_writable_and_not_executable(ulong address)
    {
        Assert.Equal(new Mapping(true, User: true, Writable: true, Executable: false, address), Walk(address));
    }

    [Theory]
    [InlineData(0x7F_F000ul)]  // the top page, where RSP starts
    [InlineData(0x7F_8000ul)]  // the bottom page
    public void A_stack_page_is_user_writable_and_not_executable(ulong address)
    {
        Assert.Equal(new Mapping(true, User: true, Writable: true, Executable: false, address), Walk(address));
    }

    [Theory]
    [InlineData(0x10_0000ul)]  // call block
    [InlineData(0x10_1000ul)]  // input area, first page
    [InlineData(0x10_2000ul)]  // input area, second page (5000 bytes)
    [InlineData(0x20_1000ul)]  // output area
    public void The_shared_areas_are_user_writable_and_not_executable(ulong address)
    {
        Assert.Equal(new Mapping(true, User: true, Writable: true, Executable: false, address), Walk(address));
    }

    [Theory]
    [InlineData(0x0ul)]          // null page
    [InlineData(0x7F_7000ul)]    // stack guard page
    [InlineData(0x35_0000ul)]    // between the output area and the image base
    [InlineData(0x20_2000ul)]    // just past the 100-byte output area
    [InlineData(0x10_3000ul)]    // just past the 5000-byte input area
    [InlineData(0x40_5000ul)]    // just past the .bss
    [InlineData(0x60_0000ul)]    // a 2 MiB region with nothing in it
    [InlineData(0xC000ul)]       // above the shim stack
    [InlineData(0xF_F000ul)]     // the top of the monitor area
    public void Pages_nobody_uses_are_not_present(ulong address)
    {
        Assert.False(Walk(address).Present, $"0x{address:x} is mapped");
    }

    [Theory]
    [InlineData(0x1000ul)]  // PML4
    [InlineData(0x2000ul)]  // PDPT
    [InlineData(0x3000ul)]  // page directory
    [InlineData(0x4000ul)]  // GDT
    [InlineData(0x5000ul)]  // TSS
    [InlineData(0x6000ul)]  // I/O bitmap
    [InlineData(0x7000ul)]  // I/O bitmap end and its terminator byte at 0x7068
    [InlineData(0x8000ul)]  // IDT
    [InlineData(0xA000ul)]  // shim stack
    [InlineData(0xB000ul)]  // shim stack top page
    [InlineData(0x1_0000ul)] // first page table
    [InlineData(0x1_3000ul)] // fourth page table: 8 MiB needs four
    public void Monitor_data_pages_are_supervisor_only_and_not_executable(ulong address)
    {
        var mapping = Walk(address);

        Assert.True(mapping.Present, $"0x{address:x} is not mapped");
        Assert.False(mapping.User, $"0x{address:x} is reachable from CPL 3");
        Assert.False(mapping.Executable, $"0x{address:x} is executable");
    }

    [Fact]
    public void The_shim_code_page_is_supervisor_only_and_executable()
    {
        Assert.Equal(new Mapping(true, User: false, Writable: true, Executable: true, 0x9000), Walk(0x9000));
    }

    [Fact]
    public void The_shim_stack_is_writable_for_the_CPU_pushing_an_exception_frame()
    {
        var top = Walk(ComponentLayout.ShimStackTop - 8);

        Assert.True(top.Present);
        Assert.True(top.Writable);
        Assert.False(top.User);
    }

    [Fact]
    public void No_page_table_is_mapped_beyond_the_ones_memory_needs()
    {
        Assert.False(Walk(0x1_4000).Present);
    }

    /// <summary>Every page of memory, against the map written out by hand.</summary>
    [Fact]
    public void Exactly_the_expected_pages_are_present()
    {
        (ulong Start, ulong End, bool User, bool Writable, bool Executable)[] expected =
        [
            (0x1000, 0x9000, false, true, false),
            (0x9000, 0xA000, false, true, true),
            (0xA000, 0xC000, false, true, false),
            (0x1_0000, 0x1_4000, false, true, false),
            (0x10_0000, 0x10_3000, true, true, false),
            (0x20_1000, 0x20_2000, true, true, false),
            (0x40_0000, 0x40_1000, true, false, false),
            (0x40_1000, 0x40_2000, true, false, true),
            (0x40_2000, 0x40_3000, true, false, false),
            (0x40_3000, 0x40_5000, true, true, false),
            (0x7F_8000, 0x80_0000, true, true, false),
        ];
        for (ulong page = 0; page < MemorySize; page += 0x1000)
        {
            var mapping = Walk(page);
            var match = expected.Where(e => page >= e.Start && page < e.End).ToArray();
            if (match.Length == 0)
            {
                Assert.False(mapping.Present, $"0x{page:x} should not be mapped");
                continue;
            }
            var (_, _, user, writable, executable) = match[0];
            Assert.Equal(new Mapping(true, user, writable, executable, page), mapping);
        }
    }

    [Fact]
    public void Nothing_outside_the_monitor_area_is_written()
    {
        Assert.Equal(-1, _memory.GetSpan(ComponentLayout.MonitorAreaEnd, (int)(MemorySize - ComponentLayout.MonitorAreaEnd)).IndexOfAnyExcept((byte)0));
    }

    [Fact]
    public void The_largest_memory_maps_its_top_stack_page_with_page_tables_inside_the_monitor_area()
    {
        const ulong memorySize = 256ul << 20;
        var memory = new ArrayGuestMemory(memorySize);
        var (_, space) = Validate(Typical(), new ComponentLimits { MemorySize = memorySize });

        ComponentPageTables.Write(memory, space);

        Assert.Equal(new Mapping(true, User: true, Writable: true, Executable: false, 0xFFF_F000), Walk(memory, 0xFFF_F000));
        Assert.False(Walk(memory, 0xFFE_F000).Present); // the guard page below the default 64 KiB stack
        // 128 page tables at 0x10000..0x90000, the last one mapped for the monitor but not for CPL 3.
        var lastTable = Walk(memory, 0x8_F000);
        Assert.True(lastTable.Present);
        Assert.False(lastTable.User);
        Assert.False(Walk(memory, 0x9_0000).Present);
    }
}
