using System.Xml.Linq;
using Turnstone.Bench.VirtioBlock;

namespace Turnstone.UnitTests.Bench;

public sealed class BlockDriverPlotTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private static readonly int[] QueueDepths = [1, 4, 16, 64];

    private static IEnumerable<BlockDriverResult> Sweep(string workload, string mode, double scale) =>
        QueueDepths.Select(qd => new BlockDriverResult(
            workload, mode, qd, 4096, 100, 409600, 0.1, scale * qd, scale * qd * 244.1, workload.EndsWith("read") ? "ok" : "n/a", 1, 100, 0));

    private static XDocument Draw(IReadOnlyList<BlockDriverResult> turnstone, IReadOnlyList<BlockDriverResult>? qemu, BlockDriverReportMetadata? metadata = null) =>
        XDocument.Parse(BlockDriverReport.Svg(turnstone, qemu, metadata));

    private static XElement[] SeriesLines(XDocument svg) =>
        svg.Descendants(Svg + "polyline").Where(line => (string?)line.Attribute("class") == "series").ToArray();

    [Fact]
    public void Draws_one_line_per_series_and_panel_with_qemu_dashed_and_a_legend()
    {
        BlockDriverResult[] turnstone = [.. Sweep("seq-read", "poll", 100), .. Sweep("seq-read", "msix", 80), .. Sweep("rand-read", "poll", 1)];
        BlockDriverResult[] qemu = [.. Sweep("seq-read", "poll", 120), .. Sweep("seq-read", "msix", 90)];

        var svg = Draw(turnstone, qemu);

        var lines = SeriesLines(svg);
        Assert.Equal(5, lines.Length);
        Assert.Equal(2, lines.Count(line => line.Attribute("stroke-dasharray") is not null));
        Assert.All(lines, line => Assert.Equal(4, ((string)line.Attribute("points")!).Split(' ').Length));
        var texts = svg.Descendants(Svg + "text").Select(text => text.Value).ToArray();
        Assert.Superset(new HashSet<string> { "Turnstone poll", "Turnstone msix", "QEMU poll", "QEMU msix" }, texts.ToHashSet());
        Assert.Equal(2, texts.Count(text => text == "MB/s"));
        Assert.Equal(2, texts.Count(text => text == "IOPS"));
        Assert.Equal(4, texts.Count(text => text == "queue depth (requests in flight)"));
        Assert.Equal(2, texts.Count(text => text == "not measured"));
        Assert.Contains("seq-read, 4 KiB requests", texts);
        Assert.Equal(4, texts.Count(text => text == "64"));
    }

    [Fact]
    public void A_series_of_zeros_draws_finite_coordinates_on_a_zero_to_one_axis()
    {
        string svg = BlockDriverReport.Svg([.. Sweep("seq-write", "poll", 0)], null);

        Assert.DoesNotContain("NaN", svg);
        Assert.DoesNotContain("Infinity", svg);
        Assert.DoesNotContain("∞", svg);
        Assert.Single(SeriesLines(XDocument.Parse(svg)));
        Assert.Contains(">1.0</text>", svg);
    }

    [Fact]
    public void Text_from_the_metadata_is_escaped()
    {
        var metadata = new BlockDriverReportMetadata("Xeon <E5> & \"friends\" 'x'\u0001", "/tmp/a&b.img", "none", 256, DateTimeOffset.UnixEpoch);

        var svg = Draw([.. Sweep("rand-write", "msix", 1)], null, metadata);

        Assert.Contains(svg.Descendants(Svg + "text"), text => text.Value.StartsWith("Xeon <E5> & \"friends\" 'x' ; /tmp/a&b.img"));
    }

    [Theory]
    [InlineData(5640, 2000, 3)]
    [InlineData(0.03, 0.01, 3)]
    [InlineData(97656.3, 20000, 5)]
    [InlineData(100, 20, 5)]
    public void The_value_axis_uses_round_steps_that_reach_the_maximum(double maximum, double step, int ticks)
    {
        var axis = BlockDriverPlot.ValueAxis(maximum);

        Assert.Equal(step, axis.Step, 9);
        Assert.Equal(ticks, axis.TickCount);
    }
}
