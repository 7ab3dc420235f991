using System.Globalization;
using System.Text;

namespace Turnstone.Bench.VirtioBlock;

/// <summary>
/// Draws turnstone-blkdriver results as a self-contained SVG, written by hand so that the plot
/// needs nothing beyond the runtime: one panel per workload in a 2x2 grid, queue depth across,
/// throughput up (MB/s for sequential workloads, IOPS for random ones, whose small requests make
/// MB/s meaningless), one line per monitor and completion mode.
/// </summary>
public static class BlockDriverPlot
{
    private const double PanelWidth = 460, PanelHeight = 320, HeaderHeight = 90;
    private const double PlotLeft = 80, PlotRight = 24, PlotTop = 36, PlotBottom = 56;
    private const int ColumnCount = 2, MaximumQueueDepth = 64;
    private static readonly int[] QueueDepthTicks = [1, 4, 16, 64];
    private static readonly Dictionary<string, string> ModeColours = new() { ["poll"] = "#1f77b4", ["msix"] = "#d62728" };

    private sealed record Series(string Monitor, string Mode, bool Dashed, IReadOnlyList<BlockDriverResult> Results)
    {
        public string Label => $"{Monitor} {Mode}";
    }

    /// <summary>An SVG document: Turnstone's series solid, QEMU's dashed, poll and msix in two
    /// colours; a series without results is left out of the plot and its legend.</summary>
    public static string Draw(IReadOnlyList<BlockDriverResult> turnstone, IReadOnlyList<BlockDriverResult>? qemu, BlockDriverReportMetadata? metadata)
    {
        var series = BlockDriverParser.Modes.Select(mode => new Series("Turnstone", mode, false, turnstone.Where(r => r.Mode == mode).ToList()))
            .Concat(BlockDriverParser.Modes.Select(mode => new Series("QEMU", mode, true, (qemu ?? []).Where(r => r.Mode == mode).ToList())))
            .Where(s => s.Results.Count > 0)
            .ToList();
        int rowCount = (BlockDriverParser.Workloads.Count + ColumnCount - 1) / ColumnCount;
        double width = ColumnCount * PanelWidth, height = HeaderHeight + rowCount * PanelHeight;

        var svg = new StringBuilder();
        svg.AppendLine("""<?xml version="1.0" encoding="UTF-8"?>""");
        svg.AppendLine($"""<svg xmlns="http://www.w3.org/2000/svg" width="{N(width)}" height="{N(height)}" viewBox="0 0 {N(width)} {N(height)}" font-family="sans-serif" font-size="12">""");
        svg.AppendLine($"""<rect width="{N(width)}" height="{N(height)}" fill="white"/>""");
        Text(svg, width / 2, 24, "turnstone-blkdriver: virtio-blk throughput by queue depth", "middle", "font-size=\"16\" font-weight=\"bold\"");
        if (metadata is not null)
        {
            string subtitle = $"{metadata.Machine}; {metadata.BackingFile}, cache={metadata.CacheMode}, queue size {metadata.QueueSize}, {metadata.Date:yyyy-MM-dd}";
            Text(svg, width / 2, 44, subtitle, "middle", "fill=\"#444\"");
        }
        Legend(svg, series, width, 70);
        for (int index = 0; index < BlockDriverParser.Workloads.Count; index++)
        {
            double left = index % ColumnCount * PanelWidth, top = HeaderHeight + index / ColumnCount * PanelHeight;
            Panel(svg, BlockDriverParser.Workloads[index], series, left, top);
        }
        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static void Legend(StringBuilder svg, IReadOnlyList<Series> series, double width, double y)
    {
        const double EntryWidth = 150;
        double x = (width - series.Count * EntryWidth) / 2;
        foreach (var entry in series)
        {
            svg.AppendLine($"""<line x1="{N(x)}" y1="{N(y)}" x2="{N(x + 30)}" y2="{N(y)}" {Stroke(entry)}/>""");
            Marker(svg, entry, x + 15, y, title: null);
            Text(svg, x + 38, y + 4, entry.Label, "start", "");
            x += EntryWidth;
        }
    }

    private static void Panel(StringBuilder svg, string workload, IReadOnlyList<Series> allSeries, double left, double top)
    {
        bool sequential = workload.StartsWith("seq-", StringComparison.Ordinal);
        string unit = sequential ? "MB/s" : "IOPS";
        double Value(BlockDriverResult r) => sequential ? r.MegabytesPerSecond : r.Iops;

        var series = allSeries.Select(s => s with { Results = s.Results.Where(r => r.Workload == workload).OrderBy(r => r.QueueDepth).ToList() })
            .Where(s => s.Results.Count > 0)
            .ToList();
        var (step, tickCount) = ValueAxis(series.SelectMany(s => s.Results).Select(Value).DefaultIfEmpty(0).Max());
        double axisTop = step * tickCount;
        double plotLeft = left + PlotLeft, plotRight = left + PanelWidth - PlotRight;
        double plotTop = top + PlotTop, plotBottom = top + PanelHeight - PlotBottom;
        // A little room at either end so the markers at depth 1 and 64 clear the axes.
        double X(int queueDepth) =>
            plotLeft + (plotRight - plotLeft) * (0.05 + 0.9 * Math.Clamp(Math.Log(queueDepth) / Math.Log(MaximumQueueDepth), 0, 1));
        double Y(double value) => plotBottom - (plotBottom - plotTop) * value / axisTop;

        var block = series.SelectMany(s => s.Results).Select(r => r.BlockBytes).FirstOrDefault();
        Text(svg, (plotLeft + plotRight) / 2, top + 22, block > 0 ? $"{workload}, {BlockSize(block)} requests" : workload, "middle", "font-size=\"14\" font-weight=\"bold\"");

        int decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step)));
        for (int tick = 0; tick <= tickCount; tick++)
        {
            double y = Y(tick * step);
            svg.AppendLine($"""<line x1="{N(plotLeft)}" y1="{N(y)}" x2="{N(plotRight)}" y2="{N(y)}" stroke="#ddd"/>""");
            Text(svg, plotLeft - 6, y + 4, (tick * step).ToString("F" + decimals, CultureInfo.InvariantCulture), "end", "");
        }
        foreach (int queueDepth in QueueDepthTicks)
        {
            Text(svg, X(queueDepth), plotBottom + 18, queueDepth.ToString(CultureInfo.InvariantCulture), "middle", "");
        }
        svg.AppendLine($"""<path d="M{N(plotLeft)},{N(plotTop)} V{N(plotBottom)} H{N(plotRight)}" fill="none" stroke="black"/>""");
        Text(svg, (plotLeft + plotRight) / 2, plotBottom + 40, "queue depth (requests in flight)", "middle", "");
        double labelX = left + 18, labelY = (plotTop + plotBottom) / 2;
        Text(svg, labelX, labelY, unit, "middle", $"transform=\"rotate(-90 {N(labelX)} {N(labelY)})\"");
        if (series.Count == 0)
        {
            Text(svg, (plotLeft + plotRight) / 2, labelY, "not measured", "middle", "fill=\"#888\"");
        }

        foreach (var entry in series)
        {
            string points = string.Join(' ', entry.Results.Select(r => $"{N(X(r.QueueDepth))},{N(Y(Value(r)))}"));
            svg.AppendLine($"""<polyline class="series" points="{points}" fill="none" {Stroke(entry)}/>""");
            foreach (var result in entry.Results)
            {
                string title = $"{entry.Label}, qd {result.QueueDepth}: {Value(result).ToString("F2", CultureInfo.InvariantCulture)} {unit}";
                Marker(svg, entry, X(result.QueueDepth), Y(Value(result)), title);
            }
        }
    }

    /// <summary>Round tick spacing (1, 2 or 5 times a power of ten) giving two to five ticks above
    /// zero, the last at or above <paramref name="maximum"/>; an all-zero panel still gets a 0..1 axis
    /// rather than a division by zero.</summary>
    public static (double Step, int TickCount) ValueAxis(double maximum)
    {
        if (!(maximum > 0))
        {
            return (0.2, 5);
        }
        double rough = maximum / 5, magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        double step = (rough / magnitude) switch
        {
            <= 1 => 1,
            <= 2 => 2,
            <= 5 => 5,
            _ => 10,
        } * magnitude;
        return (step, Math.Max(1, (int)Math.Ceiling(maximum / step - 1e-9)));
    }

    private static string Stroke(Series series) =>
        $"""stroke="{ModeColours[series.Mode]}" stroke-width="2"{(series.Dashed ? " stroke-dasharray=\"6 4\"" : "")}""";

    // Filled circles for Turnstone, hollow squares for QEMU, so the monitors stay apart where
    // their lines overlap.
    private static void Marker(StringBuilder svg, Series series, double x, double y, string? title)
    {
        string colour = ModeColours[series.Mode];
        string shape = series.Dashed
            ? $"""<rect x="{N(x - 4)}" y="{N(y - 4)}" width="8" height="8" fill="white" stroke="{colour}" stroke-width="2">"""
            : $"""<circle cx="{N(x)}" cy="{N(y)}" r="4" fill="{colour}">""";
        string closing = series.Dashed ? "</rect>" : "</circle>";
        svg.AppendLine(title is null ? shape + closing : $"{shape}<title>{Escape(title)}</title>{closing}");
    }

    private static void Text(StringBuilder svg, double x, double y, string text, string anchor, string attributes) =>
        svg.AppendLine($"""<text x="{N(x)}" y="{N(y)}" text-anchor="{anchor}" {attributes}>{Escape(text)}</text>""");

    // A machine description may carry control characters, which XML 1.0 cannot hold even escaped.
    private static string Escape(string text) => new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray())
        .Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;").Replace("'", "&apos;");

    private static string N(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);

    private static string BlockSize(int bytes) => bytes switch
    {
        _ when bytes % (1024 * 1024) == 0 => $"{bytes / (1024 * 1024)} MiB",
        _ when bytes % 1024 == 0 => $"{bytes / 1024} KiB",
        _ => $"{bytes} B",
    };
}
