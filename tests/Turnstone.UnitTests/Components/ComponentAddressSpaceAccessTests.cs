using Turnstone.Components;
using static Turnstone.UnitTests.Components.ComponentImages;

namespace Turnstone.UnitTests.Components;

/// <summary>
/// <see cref="ComponentAddressSpace.IsAccessible"/> and <see cref="ComponentAddressSpace.IsExecutable"/>, the checks
/// every hypercall pointer and function address goes through. The space is the typical image in 8 MiB with a
/// 32 KiB stack, 5000-byte input and 100-byte output limits:
/// call block [0x100000, 0x101000), input [0x101000, 0x103000), output [0x201000, 0x202000),
/// R [0x400000, 0x401000), R+X [0x401000, 0x402000), R [0x402000, 0x403000), RW [0x403000, 0x405000),
/// guard page [0x7F7000, 0x7F8000), stack [0x7F8000, 0x800000).
/// </summary>
public sealed class ComponentAddressSpaceAccessTests
{
    private static readonly ComponentAddressSpace Space = Validate(Typical(), new ComponentLimits
    {
        MemorySize = 0x80_0000,
        StackSize = 0x8000,
        MaxInputSize = 5000,
        MaxOutputSize = 100,
    }).Space;

    [Theory]
    [InlineData(0x40_1000ul, 0x1000ul)]
    [InlineData(0x40_1010ul, 16ul)]
    [InlineData(0x40_1FFFul, 1ul)]
    public void Text_is_readable_but_not_writable(ulong address, ulong length)
    {
        Assert.True(Space.IsAccessible(address, length, write: false));
        Assert.False(Space.IsAccessible(address, length, write: true));
    }

    [Theory]
    [InlineData(0x40_0000ul, 0x1E8ul)]  // headers
    [InlineData(0x40_2000ul, 0x98ul)]   // .rodata
    public void Read_only_data_is_readable_but_not_writable(ulong address, ulong length)
    {
        Assert.True(Space.IsAccessible(address, length, write: false));
        Assert.False(Space.IsAccessible(address, length, write: true));
    }

    [Theory]
    [InlineData(0x40_3000ul, 0x2000ul)]
    [InlineData(0x40_30A0ul, 8ul)]      // the first .bss variable
    [InlineData(0x40_4FF8ul, 8ul)]      // the last bytes of the page-rounded .bss
    public void Data_is_writable(ulong address, ulong length)
    {
        Assert.True(Space.IsAccessible(address, length, write: true));
        Assert.True(Space.IsAccessible(address, length, write: false));
    }

    [Theory]
    [InlineData(0x10_0000ul, 0x1000ul)]   // call block
    [InlineData(0x10_1000ul, 0x2000ul)]   // input area, 5000 bytes rounded to two pages
    [InlineData(0x20_1000ul, 0x1000ul)]   // output area, 100 bytes rounded to one page
    [InlineData(0x7F_8000ul, 0x8000ul)]   // the whole stack
    [InlineData(0x7F_FFF8ul, 8ul)]        // the top of the stack
    public void Shared_areas_and_the_stack_are_writable(ulong address, ulong length)
    {
        Assert.True(Space.IsAccessible(address, length, write: true));
    }

    [Theory]
    [InlineData(0x40_4F00ul, 0x101ul)]    // past the end of the data
    [InlineData(0x40_4FFFul, 2ul)]
    [InlineData(0x10_2F00ul, 0x101ul)]    // past the input area
    [InlineData(0x20_1F00ul, 0x101ul)]    // past the output area
    [InlineData(0x7F_FFF8ul, 9ul)]        // past the top of memory
    [InlineData(0x7F_7FFFul, 2ul)]        // from the guard page into the stack
    [InlineData(0xFFFul, 2ul)]            // from the null page into the monitor area
    [InlineData(0xF_FFFFul, 2ul)]         // from the monitor area into the call block
    [InlineData(0x3F_FFFFul, 2ul)]        // from the gap below the image into the image
    public void A_range_straddling_the_edge_of_a_mapped_range_is_refused(ulong address, ulong length)
    {
        Assert.False(Space.IsAccessible(address, length, write: false));
        Assert.False(Space.IsAccessible(address, length, write: true));
    }

    [Fact]
    public void The_exact_end_of_a_range_is_still_accepted()
    {
        Assert.True(Space.IsAccessible(0x40_4F00, 0x100, write: true));
        Assert.True(Space.IsAccessible(0x20_1F00, 0x100, write: true));
        Assert.True(Space.IsAccessible(0x7F_FF00, 0x100, write: true));
    }

    [Theory]
    [InlineData(0x0ul)]
    [InlineData(0x8ul)]
    [InlineData(0xFFFul)]
    public void The_null_page_is_refused(ulong address)
    {
        Assert.False(Space.IsAccessible(address, 1, write: false));
    }

    [Theory]
    [InlineData(0x1000ul)]   // PML4
    [InlineData(0x4000ul)]   // GDT
    [InlineData(0x5000ul)]   // TSS
    [InlineData(0x8000ul)]   // IDT
    [InlineData(0x9000ul)]   // fault shim
    [InlineData(0xBFF8ul)]   // shim stack
    [InlineData(0x1_0000ul)] // page tables
    [InlineData(0xF_F000ul)]
    public void The_monitor_area_is_refused(ulong address)
    {
        Assert.False(Space.IsAccessible(address, 8, write: false));
        Assert.False(Space.IsAccessible(address, 8, write: true));
        Assert.False(Space.IsExecutable(address));
    }

    [Theory]
    [InlineData(0xFFFF_FFFF_FFFF_FFF0ul, 0x20ul)]
    [InlineData(0xFFFF_FFFF_FFFF_F000ul, 0x1000ul)]
    [InlineData(0x40_3000ul, ulong.MaxValue)]
    [InlineData(0x40_3000ul, 0xFFFF_FFFF_FFC0_0000ul)] // address + length wraps to a small, mapped-looking address
    [InlineData(0x7F_FFF8ul, 0xFFFF_FFFF_FFFF_FFFFul)]
    [InlineData(0x40_3000ul, 0x8000_0000_0000_0000ul)]
    public void Lengths_that_overflow_are_refused(ulong address, ulong length)
    {
        Assert.False(Space.IsAccessible(address, length, write: false));
        Assert.False(Space.IsAccessible(address, length, write: true));
    }

    [Theory]
    [InlineData(0x40_1000ul, false)]
    [InlineData(0x40_3000ul, true)]
    [InlineData(0x10_1000ul, true)]
    [InlineData(0x7F_FFFFul, true)]
    public void A_zero_length_range_at_a_valid_address_is_accepted(ulong address, bool write)
    {
        Assert.True(Space.IsAccessible(address, 0, write));
    }

    [Theory]
    [InlineData(0x0ul)]
    [InlineData(0x8000ul)]
    [InlineData(0x40_5000ul)]  // just past the data
    [InlineData(0x80_0000ul)]  // just past the stack (the top of memory)
    [InlineData(0x7F_7000ul)]  // the guard page
    public void A_zero_length_range_at_an_invalid_address_is_refused(ulong address)
    {
        Assert.False(Space.IsAccessible(address, 0, write: false));
    }

    [Fact]
    public void A_zero_length_range_in_text_is_not_writable()
    {
        Assert.False(Space.IsAccessible(0x40_1000, 0, write: true));
    }

    [Theory]
    [InlineData(0x7F_7000ul, 1ul)]
    [InlineData(0x7F_7FF8ul, 8ul)]
    [InlineData(0x7F_7000ul, 0x1000ul)]
    public void The_stack_guard_page_is_refused(ulong address, ulong length)
    {
        Assert.False(Space.IsAccessible(address, length, write: true));
        Assert.False(Space.IsAccessible(address, length, write: false));
    }

    [Theory]
    [InlineData(0x35_0000ul)]  // between the output area and the image base
    [InlineData(0x20_2000ul)]  // just past the output area
    [InlineData(0x10_3000ul)]  // just past the input area
    [InlineData(0x40_5000ul)]  // between the data and the guard page
    [InlineData(0x60_0000ul)]
    [InlineData(0x80_0000ul)]  // the top of memory
    [InlineData(0x1_0000_0000ul)]
    public void Unmapped_gaps_are_refused(ulong address)
    {
        Assert.False(Space.IsAccessible(address, 1, write: false));
    }

    [Theory]
    [InlineData(0x40_1000ul)]
    [InlineData(0x40_1010ul)]
    [InlineData(0x40_1FFFul)]
    public void Text_is_executable(ulong address)
    {
        Assert.True(Space.IsExecutable(address));
    }

    [Theory]
    [InlineData(0x40_0000ul)]  // read-only headers
    [InlineData(0x40_2000ul)]  // read-only data, first byte past the text
    [InlineData(0x40_3000ul)]  // data
    [InlineData(0x10_0000ul)]  // call block
    [InlineData(0x10_1000ul)]  // input area
    [InlineData(0x20_1000ul)]  // output area
    [InlineData(0x7F_FFF0ul)]  // stack
    [InlineData(0x0ul)]
    [InlineData(0xFFFF_FFFF_FFFF_FFFFul)]
    public void Nothing_but_text_is_executable(ulong address)
    {
        Assert.False(Space.IsExecutable(address));
    }
}
