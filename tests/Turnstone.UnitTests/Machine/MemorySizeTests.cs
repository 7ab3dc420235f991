using Turnstone.Machine;

namespace Turnstone.UnitTests.Machine;

public sealed class MemorySizeTests
{
    [Theory]
    [InlineData("512M", 512ul << 20)]
    [InlineData("512m", 512ul << 20)]
    [InlineData("2G", 2ul << 30)]
    [InlineData("1024K", 1ul << 20)]
    [InlineData("1T", 1ul << 40)]
    [InlineData("4096", 4096ul)]
    [InlineData(" 64M ", 64ul << 20)]
    public void Parses_sizes_with_a_unit(string text, ulong expected)
    {
        Assert.True(MemorySize.TryParse(text, out ulong bytes, out string? error), error);
        Assert.Equal(expected, bytes);
        Assert.Null(error);
    }

    [Theory]
    [InlineData("1Gi", 1ul << 30)]
    [InlineData("512Mi", 512ul << 20)]
    [InlineData("64Ki", 64ul << 10)]
    public void Parses_binary_prefixes_with_i(string text, ulong expected)
    {
        Assert.True(MemorySize.TryParse(text, out ulong bytes, out string? error), error);
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("M")]
    [InlineData("0")]
    [InlineData("0M")]
    [InlineData("-1M")]
    [InlineData("1.5G")]
    [InlineData("12X")]
    [InlineData("1iG")]
    public void Rejects_what_is_not_a_size(string text)
    {
        Assert.False(MemorySize.TryParse(text, out ulong bytes, out string? error));
        Assert.Equal(0ul, bytes);
        Assert.Equal($"'{text.Trim()}' is not a size (examples: 512M, 2G)", error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Rejects_an_empty_size(string text)
    {
        Assert.False(MemorySize.TryParse(text, out _, out string? error));
        Assert.Equal("empty size", error);
    }

    [Fact]
    public void Rejects_a_size_that_overflows()
    {
        Assert.False(MemorySize.TryParse("16777216T", out ulong bytes, out string? error));
        Assert.Equal(0ul, bytes);
        Assert.Equal("'16777216T' is too large", error);
    }

    [Fact]
    public void Accepts_the_largest_size_that_fits()
    {
        Assert.True(MemorySize.TryParse("16777215T", out ulong bytes, out _));
        Assert.Equal(16777215ul << 40, bytes);
    }
}
