using System.Xml.Linq;
using Turnstone.Bench.VirtioBlock;

namespace Turnstone.UnitTests.Bench;

/// <summary>
/// The plot is OxyPlot's SVG, read back as XML: series are the polylines stroked in a mode's
/// colour (poll blue, msix red), and legend samples are the two-point ones among them.
/// </summary>
public sealed class BlockDriverPlotTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private static readonly int[] QueueDepths = [1, 4, 16, 64];
    private const string Poll = "rgb(31,119,180)", Msix = "rgb(214,39,40)";

    private static IEnumerable<BlockDriverResult> Sweep(string workload, string mode, double scale) =>
        QueueDepths.Select(qd => new BlockDriverResult(
            workload, mode, qd, 4096, 100, 409600, 0.1, scale * qd, scale * qd * 244.1, workload.EndsWith("read") ? "ok" : "n/a", 1, 100, 0));

    private static XDocument Draw(IReadOnlyList<BlockDriverResult> turnstone, IReadOnlyList<BlockDriverResult>? qemu, BlockDriverReportMetadata? metadata = null) =>
        XDocument.Parse(BlockDriverReport.Svg(turnstone, qemu, metadata));

    private static string Style(XElement element) => (string?)element.Attribute("style") ?? "";

    private static string? Stroke(XElement element) =>
        Style(element).Split(';').Select(part => part.Split(':')).FirstOrDefault(pair => pair[0] == "stroke")?[1];

    private static int PointCount(XElement polyline) =>
        ((string)polyline.Attribute("points")!).Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;

    private static XElement[] ColouredLines(XDocument svg) =>
        svg.Descendants(Svg + "polyline").Where(line => Stroke(line) is Poll or Msix).ToArray();

    private static XElement[] SeriesLines(XDocument svg) => ColouredLines(svg).Where(line => PointCount(line) > 2).ToArray();

    private static XElement[] LegendSamples(XDocument svg) => ColouredLines(svg).Where(line => PointCount(line) == 2).ToArray();

    private static string[] Texts(XDocument svg) => svg.Descendants(Svg + "text").Select(text => text.Value).ToArray();

    [Fact]
    public void Draws_one_line_per_series_and_panel_with_qemu_dashed_and_a_legend()
    {
        BlockDriverResult[] turnstone = [.. Sweep("seq-read", "poll", 100), .. Sweep("seq-read", "msix", 80), .. Sweep("rand-read", "poll", 1)];
        BlockDriverResult[] qemu = [.. Sweep("seq-read", "poll", 120), .. Sweep("seq-read", "msix", 90)];

        var svg = Draw(turnstone, qemu);

        Assert.Equal(Svg + "svg", svg.Root!.Name);
        var lines = SeriesLines(svg);
        Assert.Equal(5, lines.Length);
        Assert.All(lines, line => Assert.Equal(QueueDepths.Length, PointCount(line)));
        Assert.Equal(2, lines.Count(line => Style(line).Contains("stroke-dasharray")));
        Assert.Equal(3, lines.Count(line => Stroke(line) == Poll));
        Assert.Equal(2, lines.Count(line => Stroke(line) == Msix));
        // A legend per measured panel: four entries over seq-read, one over rand-read.
        Assert.Equal(5, LegendSamples(svg).Length);
        // Filled circles for Turnstone's 12 points and 3 legend entries; hollow squares for QEMU's 8 and 2.
        Assert.Equal(15, svg.Descendants(Svg + "ellipse").Count(marker => Stroke(marker) is Poll or Msix));
        Assert.Equal(10, svg.Descendants(Svg + "rect").Count(marker => Stroke(marker) is Poll or Msix && Style(marker).Contains("fill:rgb(255,255,255)")));

        var texts = Texts(svg);
        Assert.Superset(new HashSet<string> { "Turnstone poll", "Turnstone msix", "QEMU poll", "QEMU msix" }, texts.ToHashSet());
        Assert.Contains("turnstone-blkdriver: virtio-blk throughput by queue depth", texts);
        Assert.Equal(2, texts.Count(text => text == "MB/s"));
        Assert.Equal(2, texts.Count(text => text == "IOPS"));
        Assert.Equal(4, texts.Count(text => text == "queue depth (requests in flight)"));
        Assert.Equal(2, texts.Count(text => text == "not measured"));
        Assert.Contains("seq-read, 4 KiB requests", texts);
        Assert.Contains("rand-read, 4 KiB requests", texts);
        Assert.Contains("seq-write", texts);
        Assert.Equal(4, texts.Count(text => text == "64"));
        Assert.Equal(4, texts.Count(text => text == "16"));
    }

    [Fact]
    public void A_monitor_without_results_has_no_line_and_no_legend_entry()
    {
        var svg = Draw([.. Sweep("seq-write", "poll", 10), .. Sweep("seq-write", "msix", 9)], null);

        Assert.Equal(2, SeriesLines(svg).Length);
        Assert.DoesNotContain(SeriesLines(svg), line => Style(line).Contains("stroke-dasharray"));
        var texts = Texts(svg);
        Assert.Contains("Turnstone poll", texts);
        Assert.DoesNotContain("QEMU poll", texts);
        Assert.DoesNotContain("QEMU msix", texts);
    }

    [Fact]
    public void A_series_of_zeros_draws_finite_coordinates_on_a_zero_to_one_axis()
    {
        string svg = BlockDriverReport.Svg([.. Sweep("seq-write", "poll", 0)], null);

        Assert.DoesNotContain("NaN", svg);
        Assert.DoesNotContain("Infinity", svg);
        Assert.DoesNotContain("∞", svg);
        var document = XDocument.Parse(svg);
        Assert.Single(SeriesLines(document));
        Assert.Contains("1.0", Texts(document));
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
