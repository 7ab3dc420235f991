using Turnstone.Bench.Engine;

namespace Turnstone.UnitTests.Bench;

public sealed class NativeLoopsTests
{
    [Fact]
    public void Reads_both_loops_seconds()
    {
        var figures = NativeLoops.Parse("integer_seconds=0.012345678\nmemory_seconds=1.5e-03\nsink=42\n");

        Assert.Equal(0.012345678, figures.IntegerSeconds);
        Assert.Equal(0.0015, figures.MemorySeconds);
    }

    [Fact]
    public void A_missing_figure_is_a_format_error_quoting_the_output()
    {
        var error = Assert.Throws<FormatException>(() => NativeLoops.Parse("integer_seconds=0.5\n"));

        Assert.Contains("memory_seconds", error.Message);
        Assert.Contains("integer_seconds=0.5", error.Message);
    }
}
