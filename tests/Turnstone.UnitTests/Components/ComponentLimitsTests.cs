using Turnstone.Components;

namespace Turnstone.UnitTests.Components;

/// <summary><see cref="ComponentLimits.Validate"/>: every limit is checked before a VM exists.</summary>
public sealed class ComponentLimitsTests
{
    private static ComponentImageException Rejects(ComponentLimits limits) => Assert.Throws<ComponentImageException>(limits.Validate);

    /// <summary>Validates <paramref name="limits"/>, then lays out a small component under them: an
    /// accepted limit must give an address space that honours it.</summary>
    private static ComponentAddressSpace Accepts(ComponentLimits limits)
    {
        Assert.Null(Record.Exception(limits.Validate));
        return ComponentImages.Validate(ComponentImages.TextOnly(), limits).Space;
    }

    private static UserRange RangeOf(ComponentAddressSpace space, UserRangeKind kind) => Assert.Single(space.Ranges, r => r.Kind == kind);

    [Fact]
    public void The_defaults_are_valid_and_give_16_MiB_a_64_KiB_stack_1_MiB_in_and_64_KiB_out()
    {
        var space = Accepts(new ComponentLimits());

        Assert.Equal(16ul << 20, space.MemorySize);
        Assert.Equal(new UserRange((16ul << 20) - 0x1_0000, 16ul << 20, true, false, UserRangeKind.Stack), RangeOf(space, UserRangeKind.Stack));
        Assert.Equal(ComponentLayout.InputArea + 0x10_0000, RangeOf(space, UserRangeKind.InputArea).End);
        Assert.Equal(ComponentLayout.OutputArea + 0x1_0000, RangeOf(space, UserRangeKind.OutputArea).End);
    }

    [Theory]
    [InlineData(0x100_0000ul)]
    [InlineData(0x1000_0000ul)]   // 256 MiB: the largest
    [InlineData(0x5F_F000ul)]     // not a multiple of 2 MiB, still of 4 KiB
    public void Accepts_memory_sizes_in_range(ulong memory)
    {
        var space = Accepts(new ComponentLimits { MemorySize = memory });

        Assert.Equal(memory, space.StackTop);
        Assert.Equal(new UserRange(memory - 0x1_0000, memory, true, false, UserRangeKind.Stack), RangeOf(space, UserRangeKind.Stack));
    }

    [Fact]
    public void The_smallest_memory_holds_a_small_stack_and_a_small_image()
    {
        var limits = new ComponentLimits { MemorySize = 0x41_0000, StackSize = 0x1000 }; // image base + 64 KiB

        var (_, space) = ComponentImages.Validate(ComponentImages.TextOnly(), limits);

        Assert.Equal(new UserRange(0x40_F000, 0x41_0000, true, false, UserRangeKind.Stack), Assert.Single(space.Ranges, r => r.Kind == UserRangeKind.Stack));
    }

    [Theory]
    [InlineData(0x100_0001ul)]
    [InlineData(0x100_0800ul)]
    [InlineData(0xFF_FFFFul)]
    public void Rejects_memory_that_is_not_a_multiple_of_4_KiB(ulong memory)
    {
        Assert.Contains($"memory limit {memory} bytes: must be a multiple of 4 KiB", Rejects(new ComponentLimits { MemorySize = memory }).Message);
    }

    [Theory]
    [InlineData(0ul)]
    [InlineData(0x10_0000ul)]
    [InlineData(0x40_0000ul)]     // exactly the image base: no room for anything
    [InlineData(0x40_F000ul)]     // one page short of image base + 64 KiB
    public void Rejects_memory_too_small_for_an_image_above_the_image_base(ulong memory)
    {
        var error = Rejects(new ComponentLimits { MemorySize = memory, StackSize = 0x1000 });

        Assert.Contains($"memory limit {memory} bytes", error.Message);
        Assert.Contains("between 4160 KiB and 256 MiB", error.Message);
    }

    [Theory]
    [InlineData(0x1000_1000ul)]
    [InlineData(0x4000_0000ul)]
    [InlineData(ulong.MaxValue & ~0xFFFul)]
    public void Rejects_memory_above_256_MiB(ulong memory)
    {
        Assert.Contains("256 MiB", Rejects(new ComponentLimits { MemorySize = memory }).Message);
    }

    [Theory]
    [InlineData(0x1000ul)]
    [InlineData(0x1_0000ul)]
    [InlineData(0xBF_D000ul)] // leaves room up to 0x402000: just what the test image needs
    public void Accepts_stack_sizes_that_fit(ulong stack)
    {
        var space = Accepts(new ComponentLimits { MemorySize = 0x100_0000, StackSize = stack });

        Assert.Equal(new UserRange(0x100_0000 - stack, 0x100_0000, true, false, UserRangeKind.Stack), RangeOf(space, UserRangeKind.Stack));
    }

    [Fact]
    public void The_largest_stack_is_accepted_and_leaves_nothing_above_the_image_base()
    {
        var limits = new ComponentLimits { MemorySize = 0x100_0000, StackSize = 0xBF_F000 }; // 16 MiB - image base - one guard page

        Assert.Null(Record.Exception(limits.Validate));
        var error = Assert.Throws<ComponentImageException>(() => ComponentImages.Validate(ComponentImages.TextOnly(), limits));
        Assert.Contains("leaves room up to 0x400000", error.Message);
    }

    [Theory]
    [InlineData(0ul)]
    [InlineData(0x800ul)]
    [InlineData(0x1_0001ul)]
    [InlineData(0xC0_0000ul)]     // reaches the image base: no room for the guard page
    [InlineData(0x100_0000ul)]    // all of memory
    [InlineData(0x200_0000ul)]    // more than memory
    [InlineData(ulong.MaxValue & ~0xFFFul)]
    public void Rejects_stack_sizes_that_are_zero_unaligned_or_too_big(ulong stack)
    {
        var error = Rejects(new ComponentLimits { MemorySize = 0x100_0000, StackSize = stack });

        Assert.Contains($"stack size {stack} bytes", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData((1 << 20) + 1)]
    [InlineData(int.MaxValue)]
    public void Rejects_an_input_limit_out_of_range(int size)
    {
        Assert.Contains("input and output limits must be between 1 byte and 1 MiB", Rejects(new ComponentLimits { MaxInputSize = size }).Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-4096)]
    [InlineData((1 << 20) + 1)]
    [InlineData(2 << 20)]
    public void Rejects_an_output_limit_out_of_range(int size)
    {
        Assert.Contains("input and output limits must be between 1 byte and 1 MiB", Rejects(new ComponentLimits { MaxOutputSize = size }).Message);
    }

    [Theory]
    [InlineData(1, 0x1000ul)]             // whole pages: one byte still gets a page
    [InlineData(1 << 20, 0x10_0000ul)]
    public void Accepts_input_and_output_limits_at_the_bounds(int size, ulong areaBytes)
    {
        var space = Accepts(new ComponentLimits { MaxInputSize = size, MaxOutputSize = size });

        Assert.Equal(areaBytes, RangeOf(space, UserRangeKind.InputArea).Size);
        Assert.Equal(areaBytes, RangeOf(space, UserRangeKind.OutputArea).Size);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(-10_000_000L)]
    public void Rejects_a_call_timeout_that_is_not_positive(long ticks)
    {
        Assert.Equal("the call timeout must be positive", Rejects(new ComponentLimits { CallTimeout = TimeSpan.FromTicks(ticks) }).Message);
    }

    [Fact]
    public void Accepts_the_shortest_positive_call_timeout()
    {
        var limits = new ComponentLimits { CallTimeout = TimeSpan.FromTicks(1) };

        var space = Accepts(limits);

        Assert.Equal(new ComponentLimits().MemorySize, space.MemorySize); // the timeout changes nothing else
    }
}
