using System.Globalization;
using System.Text;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace Turnstone.Bench.VirtioBlock;

/// <summary>
/// Draws turnstone-blkdriver results as a self-contained SVG: one panel per workload in a 2x2
/// grid, queue depth across (logarithmic), throughput up (MB/s for sequential workloads, IOPS for
/// random ones, whose small requests make MB/s meaningless), one line per monitor and completion
/// mode.
/// </summary>
/// <remarks>
/// The plotting is OxyPlot.Core's, a maintained library and fully managed: its SVG writer needs
/// no native graphics library, and text is measured with the metrics built into its PDF writer
/// (<see cref="SvgTextMeasurer"/>), so it runs headless on any host. An OxyPlot model has one
/// plot area, so each panel is a model of its own, rendered into its quarter of one
/// <see cref="SvgRenderContext"/>; the title above the grid is drawn on the same context.
/// </remarks>
public static class BlockDriverPlot
{
    public const double PanelWidth = 500, PanelHeight = 340, HeaderHeight = 56;
    private const int ColumnCount = 2, MaximumQueueDepth = 64;
    // Arial's metrics are the ones the text is measured with (the PDF standard Helvetica's), so
    // labels fit where the viewer has Arial or a metric twin (Liberation Sans).
    private const string FontFamily = "Arial, Helvetica, sans-serif";
    private static readonly Dictionary<string, OxyColor> ModeColours = new()
    {
        ["poll"] = OxyColor.FromRgb(0x1f, 0x77, 0xb4),
        ["msix"] = OxyColor.FromRgb(0xd6, 0x27, 0x28),
    };

    private sealed record Series(string Monitor, string Mode, bool Dashed, IReadOnlyList<BlockDriverResult> Results)
    {
        public string Label => $"{Monitor} {Mode}";
    }

    /// <summary>An SVG document: Turnstone's series solid with filled circles, QEMU's dashed with
    /// hollow squares, poll and msix in two colours; a series without results is left out of the
    /// plot and its legend, and a panel without any says "not measured".</summary>
    public static string Draw(IReadOnlyList<BlockDriverResult> turnstone, IReadOnlyList<BlockDriverResult>? qemu, BlockDriverReportMetadata? metadata)
    {
        var series = BlockDriverParser.Modes.Select(mode => new Series("Turnstone", mode, false, turnstone.Where(r => r.Mode == mode).ToList()))
            .Concat(BlockDriverParser.Modes.Select(mode => new Series("QEMU", mode, true, (qemu ?? []).Where(r => r.Mode == mode).ToList())))
            .Where(s => s.Results.Count > 0)
            .ToList();
        int rowCount = (BlockDriverParser.Workloads.Count + ColumnCount - 1) / ColumnCount;
        double width = ColumnCount * PanelWidth, height = HeaderHeight + rowCount * PanelHeight;

        using var output = new MemoryStream();
        // The vertical-alignment workaround places text by its baseline rather than through
        // dominant-baseline, which librsvg (and so ImageMagick and most desktop viewers) ignores.
        using (var svg = new SvgRenderContext(output, width, height, isDocument: true,
                   textMeasurer: new SvgTextMeasurer(width, height), background: OxyColors.White,
                   useVerticalTextAlignmentWorkaround: true))
        {
            svg.DrawText(new ScreenPoint(width / 2, 12), "turnstone-blkdriver: virtio-blk throughput by queue depth", OxyColors.Black,
                FontFamily, 16, FontWeights.Bold, 0, HorizontalAlignment.Center, VerticalAlignment.Top, null);
            if (metadata is not null)
            {
                string subtitle = $"{metadata.Machine}; {metadata.BackingFile}, cache={metadata.CacheMode}, queue size {metadata.QueueSize}, {metadata.Date:yyyy-MM-dd}";
                svg.DrawText(new ScreenPoint(width / 2, 34), XmlSafe(subtitle), OxyColor.FromRgb(0x44, 0x44, 0x44),
                    FontFamily, 12, FontWeights.Normal, 0, HorizontalAlignment.Center, VerticalAlignment.Top, null);
            }
            for (int index = 0; index < BlockDriverParser.Workloads.Count; index++)
            {
                IPlotModel panel = Panel(BlockDriverParser.Workloads[index], series);
                panel.Update(updateData: true);
                panel.Render(svg, new OxyRect(index % ColumnCount * PanelWidth, HeaderHeight + index / ColumnCount * PanelHeight, PanelWidth, PanelHeight));
            }
            svg.Complete();
            svg.Flush();
        }
        output.Position = 0;
        using var reader = new StreamReader(output, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static PlotModel Panel(string workload, IReadOnlyList<Series> allSeries)
    {
        bool sequential = workload.StartsWith("seq-", StringComparison.Ordinal);
        double Value(BlockDriverResult r) => sequential ? r.MegabytesPerSecond : r.Iops;

        var series = allSeries.Select(s => s with { Results = s.Results.Where(r => r.Workload == workload).OrderBy(r => r.QueueDepth).ToList() })
            .Where(s => s.Results.Count > 0)
            .ToList();
        int block = series.SelectMany(s => s.Results).Select(r => r.BlockBytes).FirstOrDefault();
        var model = new PlotModel
        {
            Title = block > 0 ? $"{workload}, {BlockSize(block)} requests" : workload,
            Subtitle = series.Count == 0 ? "not measured" : null,
            DefaultFont = FontFamily,
            TitleFontSize = 14,
            Background = OxyColors.White,
            PlotAreaBorderThickness = new OxyThickness(1, 0, 0, 1),
        };
        model.Legends.Add(new Legend
        {
            LegendPlacement = LegendPlacement.Outside,
            LegendPosition = LegendPosition.TopCenter,
            LegendOrientation = LegendOrientation.Horizontal,
            LegendFont = FontFamily,
            LegendItemSpacing = 8, // so that four entries fit on one line
        });
        // Queue depth across on a base-4 logarithm, so the ticks 0..3 are depths 1, 4, 16 and 64
        // (OxyPlot's own logarithmic axis picks its ticks from the room it has, and added 2, 8 and
        // 32 to a wider panel); a little room at either end lets the markers there clear the axes.
        model.Axes.Add(new LinearAxis
        {
            Position = AxisPosition.Bottom,
            Minimum = -0.15,
            Maximum = QueueDepthAxis(MaximumQueueDepth) + 0.15,
            MajorStep = 1,
            MinorStep = 1,
            MinorTickSize = 0,
            LabelFormatter = position => Math.Pow(4, position).ToString("0", CultureInfo.InvariantCulture),
            Title = "queue depth (requests in flight)",
            IsZoomEnabled = false,
            IsPanEnabled = false,
        });
        var (step, tickCount) = ValueAxis(series.SelectMany(s => s.Results).Select(Value).DefaultIfEmpty(0).Max());
        int decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step)));
        model.Axes.Add(new LinearAxis
        {
            Position = AxisPosition.Left,
            Minimum = 0,
            Maximum = step * tickCount,
            MajorStep = step,
            MinorStep = step,
            StringFormat = "F" + decimals,
            Title = sequential ? "MB/s" : "IOPS",
            AxisTitleDistance = 8,
            MajorGridlineStyle = LineStyle.Solid,
            MajorGridlineColor = OxyColor.FromRgb(0xdd, 0xdd, 0xdd),
            MinorTickSize = 0,
            IsZoomEnabled = false,
            IsPanEnabled = false,
        });
        foreach (var entry in series)
        {
            var colour = ModeColours[entry.Mode];
            // Filled circles for Turnstone, hollow squares for QEMU, so the monitors stay apart
            // where their lines overlap.
            var line = new LineSeries
            {
                Title = entry.Label,
                Color = colour,
                StrokeThickness = 2,
                LineStyle = entry.Dashed ? LineStyle.Dash : LineStyle.Solid,
                MarkerType = entry.Dashed ? MarkerType.Square : MarkerType.Circle,
                MarkerSize = 4,
                MarkerFill = entry.Dashed ? OxyColors.White : colour,
                MarkerStroke = colour,
                MarkerStrokeThickness = 2,
            };
            line.Points.AddRange(entry.Results.Select(r => new DataPoint(QueueDepthAxis(r.QueueDepth), Value(r))));
            model.Series.Add(line);
        }
        return model;
    }

    private static double QueueDepthAxis(int queueDepth) => Math.Log(queueDepth, 4);

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

    // A machine description may carry control characters, which XML 1.0 cannot hold even escaped
    // (the SVG writer escapes everything else).
    private static string XmlSafe(string text) => new(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray());

    private static string BlockSize(int bytes) => bytes switch
    {
        _ when bytes % (1024 * 1024) == 0 => $"{bytes / (1024 * 1024)} MiB",
        _ when bytes % 1024 == 0 => $"{bytes / 1024} KiB",
        _ => $"{bytes} B",
    };
}
