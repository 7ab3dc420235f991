using System.Globalization;
using System.Text;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;
using Turnstone.Bench.VirtioBlock;

namespace Turnstone.Bench.Boot;

/// <summary>
/// <c>bench boot</c>'s medians as a self-contained SVG: one pair of bars per row (kernel and
/// engine), ours and QEMU TCG's seconds to init, each labelled with its figure (and
/// <see cref="DrawPairs"/>, the same for any benchmark's rows). A figure that was not measured has no bar. Drawn with OxyPlot.Core like <see cref="BlockDriverPlot"/>, headless.
/// </summary>
public static class BootBenchPlot
{
    public const double Width = 800, RowHeight = 70, Margin = 130;
    private const string FontFamily = "Arial, Helvetica, sans-serif";

    public static string Draw(BootBenchResult result) =>
        DrawPairs("Seconds from process start to init (median)",
            $"{result.Machine}; {result.HostLoad}; {result.When:yyyy-MM-dd}; {result.Repeats} run(s) each",
            $"seconds to '{InitMarker.Text}'",
            result.Rows.Select(row => new BarPair($"{row.Kernel}, {row.Engine}", row.TurnstoneProblem is null ? row.ToInit?.Median : null, row.QemuToInit?.Median)).ToList(),
            "QEMU TCG");

    /// <summary>A pair of bars per row, top to bottom in <paramref name="rows"/>' order: the baseline
    /// (grey, <paramref name="baselineTitle"/>) and ours (blue, "Turnstone"), each labelled with its seconds.</summary>
    public static string DrawPairs(string title, string subtitle, string axisTitle, IReadOnlyList<BarPair> rows, string baselineTitle)
    {
        double height = Margin + RowHeight * Math.Max(1, rows.Count);
        var model = new PlotModel
        {
            Title = title,
            Subtitle = subtitle,
            DefaultFont = FontFamily,
            TitleFontSize = 15,
            SubtitleFontSize = 11,
            Background = OxyColors.White,
            Culture = CultureInfo.InvariantCulture,
        };
        model.Legends.Add(new Legend { LegendPlacement = LegendPlacement.Outside, LegendPosition = LegendPosition.BottomCenter, LegendOrientation = LegendOrientation.Horizontal });
        // Rows top to bottom in the table's order: OxyPlot puts the first category at the bottom.
        var bottomUp = rows.Reverse().ToList();
        model.Axes.Add(new CategoryAxis
        {
            Position = AxisPosition.Left,
            ItemsSource = bottomUp.Select(row => row.Label).ToList(),
            IsZoomEnabled = false,
            IsPanEnabled = false,
        });
        model.Axes.Add(new LinearAxis
        {
            Position = AxisPosition.Bottom,
            Minimum = 0,
            MaximumPadding = 0.15,
            Title = axisTitle,
            MajorGridlineStyle = LineStyle.Solid,
            MajorGridlineColor = OxyColor.FromRgb(0xdd, 0xdd, 0xdd),
            IsZoomEnabled = false,
            IsPanEnabled = false,
        });
        model.Series.Add(Bars(baselineTitle, OxyColor.FromRgb(0xaa, 0xaa, 0xaa), bottomUp.Select(row => row.Baseline)));
        model.Series.Add(Bars("Turnstone", OxyColor.FromRgb(0x1f, 0x77, 0xb4), bottomUp.Select(row => row.Ours)));

        using var output = new MemoryStream();
        using (var svg = new SvgRenderContext(output, Width, height, isDocument: true, textMeasurer: new SvgTextMeasurer(Width, height),
                   background: OxyColors.White, useVerticalTextAlignmentWorkaround: true))
        {
            IPlotModel plot = model;
            plot.Update(updateData: true);
            plot.Render(svg, new OxyRect(0, 0, Width, height));
            svg.Complete();
            svg.Flush();
        }
        output.Position = 0;
        using var reader = new StreamReader(output, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static BarSeries Bars(string title, OxyColor colour, IEnumerable<double?> medians)
    {
        var series = new BarSeries { Title = title, FillColor = colour, LabelPlacement = LabelPlacement.Outside, LabelFormatString = "{0:F2} s" };
        // A missing figure is a missing bar, not a zero one: OxyPlot skips NaN.
        series.Items.AddRange(medians.Select(median => new BarItem(median ?? double.NaN)));
        return series;
    }
}
