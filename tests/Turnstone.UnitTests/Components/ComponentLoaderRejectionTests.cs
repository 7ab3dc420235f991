using Turnstone.Components;
using Turnstone.Firmware.Elf;
using Turnstone.UnitTests.TestSupport;
using static Turnstone.UnitTests.Components.ComponentImages;

namespace Turnstone.UnitTests.Components;

/// <summary>ELF files <see cref="ComponentRuntime.Validate"/> must refuse, each with a message naming the problem.</summary>
public sealed class ComponentLoaderRejectionTests
{
    /// <summary>5 MiB with a 64 KiB stack: stack [0x4F0000, 0x500000), guard page [0x4EF000, 0x4F0000).</summary>
    private static readonly ComponentLimits SmallMemory = new() { MemorySize = 0x50_0000, StackSize = 0x1_0000 };

    [Fact]
    public void Rejects_a_file_with_bad_magic()
    {
        byte[] file = Typical().Build();
        file[0] = 0x7E;

        var error = Rejects(file);

        Assert.Equal("x.elf: not an ELF file (bad magic)", error.Message);
    }

    [Fact]
    public void Rejects_a_file_shorter_than_the_ELF_header()
    {
        byte[] file = Typical().Build()[..40];

        Assert.Contains("x.elf: truncated (40 bytes", Rejects(file).Message);
    }

    [Fact]
    public void Rejects_a_file_cut_off_inside_a_segment()
    {
        var builder = Typical();
        int fullLength = builder.Build().Length;
        builder.TruncateTo = fullLength - 0x10; // the last bytes of the read-only data segment

        Assert.Contains("extends past the end of the file (truncated?)", Rejects(builder).Message);
    }

    [Fact]
    public void Rejects_an_AArch64_executable()
    {
        var builder = Typical();
        builder.Machine = 183;

        Assert.Contains("built for machine 183, not x86-64", Rejects(builder).Message);
    }

    [Fact]
    public void Rejects_a_position_independent_executable()
    {
        var builder = Typical();
        builder.Type = 3;

        var error = Rejects(builder);

        Assert.StartsWith("x.elf: ", error.Message);
        Assert.Contains("position-independent executable (ET_DYN)", error.Message);
        Assert.Contains("-no-pie", error.Message);
    }

    [Fact]
    public void Rejects_overlapping_segments()
    {
        var builder = new ElfBuilder { Entry = TextAddress }
            .Load(TextAddress, TextAddress, Code(0x100), memorySize: 0x2000, flags: RX)
            .Load(0x40_2000, 0x40_2000, Bytes(0x10, 1), flags: R);

        Assert.Contains("loadable segments at 0x401000 and 0x402000 overlap", Rejects(builder).Message);
    }

    [Theory]
    [InlineData(0x3F_F000ul)] // one page below the image base
    [InlineData(0x3F_FFF0ul)] // starts below, ends above
    [InlineData(0x20_1000ul)] // on the output area
    [InlineData(0x10_0000ul)] // on the call block
    [InlineData(0x9000ul)]    // on the fault shim
    [InlineData(0x0ul)]       // on the null page
    public void Rejects_a_segment_below_the_image_base(ulong address)
    {
        var builder = TextOnly().Load(address, address, Bytes(0x20, 7), flags: R);

        var error = Rejects(builder);

        Assert.Contains($"segment at 0x{address:x} lies below the image base 0x400000", error.Message);
    }

    [Fact]
    public void Accepts_a_bss_segment_that_ends_just_below_the_stack_guard_page()
    {
        var builder = TextOnly().Load(0x40_2000, 0x40_2000, [], memorySize: 0x4E_F000 - 0x40_2000, flags: RW);

        var (_, space) = Validate(builder, SmallMemory);

        Assert.Contains(new UserRange(0x40_2000, 0x4E_F000, true, false, UserRangeKind.Data), space.Ranges);
    }

    [Theory]
    [InlineData(0x4E_F001ul)] // one byte into the guard page
    [InlineData(0x4F_0000ul)] // the whole guard page
    [InlineData(0x4F_8000ul)] // into the stack
    [InlineData(0x60_0000ul)] // past the end of memory
    public void Rejects_a_segment_reaching_into_the_stack_guard_page_or_beyond(ulong end)
    {
        var builder = TextOnly().Load(0x40_2000, 0x40_2000, [], memorySize: end - 0x40_2000, flags: RW);

        var error = Rejects(builder, SmallMemory);

        Assert.Contains("raise the memory limit", error.Message);
        Assert.Contains("leaves room up to 0x4ef000", error.Message);
        Assert.Contains("5120 KiB", error.Message);
    }

    [Fact]
    public void Rejects_a_segment_placed_entirely_above_the_end_of_memory()
    {
        var builder = TextOnly().Load(0x800_0000, 0x800_0000, Bytes(0x10, 3), flags: R);

        var error = Rejects(builder, SmallMemory);

        Assert.Contains("raise the memory limit", error.Message);
    }

    /// <summary>
    /// A segment at the very top of the 64-bit address space that does not itself wrap (vaddr + memsz
    /// &lt; 2^64) but whose page-rounded end does. It is far outside guest memory and must be refused
    /// like any other segment above the memory limit.
    /// </summary>
    [Theory]
    [InlineData(0xFFFF_FFFF_FFFF_F000ul, 0x800ul)]
    [InlineData(0xFFFF_FFFF_FFFF_E000ul, 0x1800ul)]
    public void Rejects_a_segment_whose_page_rounded_end_wraps_past_the_top_of_the_address_space(ulong address, ulong memorySize)
    {
        var builder = TextOnly().Load(address, address, [], memorySize: memorySize, flags: R);

        var error = Rejects(builder, SmallMemory);

        Assert.Contains("raise the memory limit", error.Message);
    }

    [Fact]
    public void Rejects_an_entry_point_in_a_data_segment()
    {
        var builder = Typical();
        builder.Entry = BssAddress + 8;

        Assert.Contains("entry point 0x4030a8 is not inside an executable segment", Rejects(builder).Message);
    }

    [Theory]
    [InlineData(0x40_0000ul)] // the read-only headers
    [InlineData(0x40_2010ul)] // read-only data
    [InlineData(0x40_2000ul)] // first byte past the text pages
    [InlineData(0x10_1000ul)] // the input area
    [InlineData(0x0ul)]
    public void Rejects_an_entry_point_outside_the_text(ulong entry)
    {
        var builder = Typical();
        builder.Entry = entry;

        Assert.Contains($"entry point 0x{entry:x} is not inside an executable segment", Rejects(builder).Message);
    }

    [Fact]
    public void Rejects_a_writable_and_executable_segment()
    {
        var builder = new ElfBuilder { Entry = TextAddress }.Load(TextAddress, TextAddress, Code(0x100), flags: RWX);

        var error = Rejects(builder);

        Assert.Contains("segment at 0x401000 is both writable and executable", error.Message);
        Assert.Contains("W^X", error.Message);
    }

    [Fact]
    public void Rejects_a_write_execute_segment_even_without_the_read_flag()
    {
        var builder = TextOnly().Load(0x40_3000, 0x40_3000, Bytes(0x10, 1), flags: ElfLoadSegment.Write | ElfLoadSegment.Execute);

        Assert.Contains("W^X", Rejects(builder).Message);
    }

    [Fact]
    public void Rejects_text_and_data_sharing_a_page()
    {
        var builder = TextOnly().Load(0x40_1800, 0x40_1800, Bytes(0x10, 1), memorySize: 0x100, flags: RW);

        Assert.Contains("segments at 0x401000 and 0x401800 share a page with different rights", Rejects(builder).Message);
    }

    [Fact]
    public void Rejects_read_only_data_and_text_sharing_a_page()
    {
        var builder = new ElfBuilder { Entry = 0x40_0800 }
            .Load(0x40_0000, 0x40_0000, Bytes(0x100, 1), flags: R)
            .Load(0x40_0800, 0x40_0800, Code(0x100), flags: RX);

        Assert.Contains("share a page with different rights", Rejects(builder).Message);
    }

    [Fact]
    public void Rejects_read_only_data_and_bss_sharing_a_page()
    {
        // The typical layout with the .bss moved into the read-only data's page.
        var builder = new ElfBuilder { Entry = TextAddress }
            .Load(TextAddress, TextAddress, Code(0x100), flags: RX)
            .Load(RodataAddress, RodataAddress, Bytes((int)RodataSize, 0x22), flags: R)
            .Load(0x40_20A0, 0x40_20A0, [], memorySize: BssSize, flags: RW);

        Assert.Contains("segments at 0x402000 and 0x4020a0 share a page with different rights", Rejects(builder).Message);
    }

    [Fact]
    public void Option_problems_are_reported_as_component_image_errors_before_the_ELF_is_laid_out()
    {
        var error = Rejects(Typical(), new ComponentLimits { StackSize = 0 });

        Assert.Contains("stack size 0 bytes", error.Message);
    }
}
