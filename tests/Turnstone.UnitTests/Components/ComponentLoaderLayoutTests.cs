using Turnstone.Components;
using Turnstone.UnitTests.TestSupport;
using static Turnstone.UnitTests.Components.ComponentImages;

namespace Turnstone.UnitTests.Components;

/// <summary>The address space <see cref="ComponentRuntime.Validate"/> lays out for ELF files it accepts.</summary>
public sealed class ComponentLoaderLayoutTests
{
    private static readonly ComponentLimits Limits = new()
    {
        MemorySize = 0x80_0000,
        StackSize = 0x8000,
        MaxInputSize = 5000,  // two pages
        MaxOutputSize = 100,  // one page
    };

    private static readonly UserRange[] TypicalRanges =
    [
        new(0x10_0000, 0x10_1000, true, false, UserRangeKind.CallBlock),
        new(0x10_1000, 0x10_3000, true, false, UserRangeKind.InputArea),
        new(0x20_1000, 0x20_2000, true, false, UserRangeKind.OutputArea),
        new(0x40_0000, 0x40_1000, false, false, UserRangeKind.ReadOnlyData),
        new(0x40_1000, 0x40_2000, false, true, UserRangeKind.Text),
        new(0x40_2000, 0x40_3000, false, false, UserRangeKind.ReadOnlyData),
        new(0x40_3000, 0x40_5000, true, false, UserRangeKind.Data),
        new(0x7F_8000, 0x80_0000, true, false, UserRangeKind.Stack),
    ];

    [Fact]
    public void Accepts_the_typical_R_RX_R_RW_layout_with_an_unaligned_bss_only_data_segment()
    {
        var (image, space) = Validate(Typical(), Limits);

        Assert.Equal(4, image.Segments.Count);
        Assert.Equal(TypicalRanges, space.Ranges.OrderBy(r => r.Start));
        Assert.Equal(0x40_1010ul, space.Entry);
        Assert.Equal(0x80_0000ul, space.MemorySize);
        Assert.Equal(0x80_0000ul, space.StackTop);
    }

    [Fact]
    public void Program_headers_out_of_address_order_give_the_same_layout()
    {
        var builder = new ElfBuilder { Entry = Entry }
            .Load(BssAddress, BssAddress, [], memorySize: BssSize, flags: RW)
            .Load(RodataAddress, RodataAddress, Bytes((int)RodataSize, 0x22), flags: R)
            .Load(TextAddress, TextAddress, Code((int)TextSize), flags: RX)
            .Load(HeadersAddress, HeadersAddress, Bytes((int)HeadersSize, 0x11), flags: R);

        var (_, space) = Validate(builder, Limits);

        Assert.Equal(TypicalRanges, space.Ranges.OrderBy(r => r.Start));
    }

    [Fact]
    public void Text_is_executable_and_not_writable()
    {
        var (_, space) = Validate(Typical(), Limits);

        var text = Assert.Single(space.Ranges, r => r.Kind == UserRangeKind.Text);
        Assert.True(text.Executable);
        Assert.False(text.Writable);
        Assert.Equal(0x40_1000ul, text.Start);
        Assert.Equal(0x40_2000ul, text.End);
    }

    [Fact]
    public void Data_is_writable_and_not_executable_and_covers_the_whole_bss()
    {
        var (_, space) = Validate(Typical(), Limits);

        var data = Assert.Single(space.Ranges, r => r.Kind == UserRangeKind.Data);
        Assert.True(data.Writable);
        Assert.False(data.Executable);
        Assert.True(data.Start <= BssAddress);
        Assert.True(data.End >= BssAddress + BssSize);
        Assert.Equal(0x40_3000ul, data.Start);
        Assert.Equal(0x40_5000ul, data.End);
    }

    [Fact]
    public void Only_the_text_is_executable()
    {
        var (_, space) = Validate(Typical(), Limits);

        Assert.Equal([UserRangeKind.Text], space.Ranges.Where(r => r.Executable).Select(r => r.Kind));
    }

    [Theory]
    [InlineData(0x1_0000ul, 0xFF_0000ul)]
    [InlineData(0x1000ul, 0xFF_F000ul)]
    [InlineData(0x20_0000ul, 0xE0_0000ul)]
    public void The_stack_sits_at_the_top_of_memory(ulong stackSize, ulong expectedBottom)
    {
        var (_, space) = Validate(Typical(), new ComponentLimits { MemorySize = 0x100_0000, StackSize = stackSize });

        var stack = Assert.Single(space.Ranges, r => r.Kind == UserRangeKind.Stack);
        Assert.Equal(new UserRange(expectedBottom, 0x100_0000, true, false, UserRangeKind.Stack), stack);
        Assert.Equal(0x100_0000ul, space.StackTop);
    }

    [Theory]
    [InlineData(1, 0x10_2000ul)]
    [InlineData(4096, 0x10_2000ul)]
    [InlineData(4097, 0x10_3000ul)]
    [InlineData(1 << 20, 0x20_1000ul)]
    public void The_input_area_is_the_input_limit_rounded_up_to_pages(int maxInput, ulong expectedEnd)
    {
        var (_, space) = Validate(Typical(), new ComponentLimits { MaxInputSize = maxInput });

        Assert.Equal(new UserRange(0x10_1000, expectedEnd, true, false, UserRangeKind.InputArea),
            Assert.Single(space.Ranges, r => r.Kind == UserRangeKind.InputArea));
    }

    [Theory]
    [InlineData(1, 0x20_2000ul)]
    [InlineData(64 << 10, 0x21_1000ul)]
    [InlineData((64 << 10) + 1, 0x21_2000ul)]
    [InlineData(1 << 20, 0x30_1000ul)]
    public void The_output_area_is_the_output_limit_rounded_up_to_pages(int maxOutput, ulong expectedEnd)
    {
        var (_, space) = Validate(Typical(), new ComponentLimits { MaxOutputSize = maxOutput });

        Assert.Equal(new UserRange(0x20_1000, expectedEnd, true, false, UserRangeKind.OutputArea),
            Assert.Single(space.Ranges, r => r.Kind == UserRangeKind.OutputArea));
    }

    [Fact]
    public void The_call_block_is_one_writable_page()
    {
        var (_, space) = Validate(Typical(), Limits);

        Assert.Equal(new UserRange(0x10_0000, 0x10_1000, true, false, UserRangeKind.CallBlock),
            Assert.Single(space.Ranges, r => r.Kind == UserRangeKind.CallBlock));
    }

    [Fact]
    public void Segments_with_the_same_rights_sharing_a_page_become_one_range()
    {
        var builder = TextOnly()
            .Load(0x40_3000, 0x40_3000, Bytes(0x10, 1), flags: RW)
            .Load(0x40_3800, 0x40_3800, [], memorySize: 0x1000, flags: RW);

        var (_, space) = Validate(builder, Limits);

        Assert.Equal(new UserRange(0x40_3000, 0x40_5000, true, false, UserRangeKind.Data), Assert.Single(space.Ranges, r => r.Kind == UserRangeKind.Data));
    }

    [Fact]
    public void A_segment_may_start_exactly_at_the_image_base_and_the_entry_may_be_its_first_byte()
    {
        var builder = new ElfBuilder { Entry = 0x40_0000 }.Load(0x40_0000, 0x40_0000, Code(0x10), flags: RX);

        var (_, space) = Validate(builder, Limits);

        Assert.Equal(new UserRange(0x40_0000, 0x40_1000, false, true, UserRangeKind.Text), Assert.Single(space.Ranges, r => r.Kind == UserRangeKind.Text));
        Assert.Equal(0x40_0000ul, space.Entry);
    }
}
