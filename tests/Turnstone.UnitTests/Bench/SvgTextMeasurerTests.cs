using Turnstone.Bench.VirtioBlock;

namespace Turnstone.UnitTests.Bench;

public sealed class SvgTextMeasurerTests
{
    [Fact]
    public void Measures_in_svg_pixels_with_helvetica_metrics()
    {
        var measurer = new SvgTextMeasurer(100, 100);

        var size = measurer.MeasureText("40000", "Arial, Helvetica, sans-serif", 12, 400);

        // Helvetica's digits are 556/1000 em wide: five of them at 12 px are 33.36 px, where the
        // PDF writer's own answer, in points, is three quarters of that.
        Assert.Equal(5 * 0.556 * 12, size.Width, 1);
        Assert.InRange(size.Height, 12, 16);
    }
}
