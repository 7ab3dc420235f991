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
/// engine), ours and QEMU TCG's seconds to init, each labelled with its figure. A figure that was
/// not measured has no bar. Drawn with OxyPlot.Core like <see cref="BlockDriverPlot"/>, headless.
/// </summary>
public static class BootBenchPlot
{
    public const double Width = 800, RowHeight = 70, Margin = 130;
    private const string FontFamily = "Arial, Helvetica, sans-serif";

    public static string Draw(BootBenchResult result)
    {
        double height = Margin + RowHeight * Math.Max(1, result.Rows.Count);
        var model = new PlotModel
        {
            Title = "Seconds from process start to init (median)",
            Subtitle = $"{result.Machine}; {result.HostLoad}; {result.When:yyyy-MM-dd}; {result.Repeats} run(s) each",
            DefaultFont = FontFamily,
            TitleFontSize = 15,
            SubtitleFontSize = 11,
            Background = OxyColors.White,
            Culture = CultureInfo.InvariantCulture,
        };
        model.Legends.Add(new Legend { LegendPlacement = LegendPlacement.Outside, LegendPosition = LegendPosition.BottomCenter, LegendOrientation = LegendOrientation.Horizontal });
        // Rows top to bottom in the table's order: OxyPlot puts the first category at the bottom.
        var rows = result.Rows.Reverse().ToList();
        model.Axes.Add(new CategoryAxis
        {
            Position = AxisPosition.Left,
            ItemsSource = rows.Select(row => $"{row.Kernel}, {row.Engine}").ToList(),
            IsZoomEnabled = false,
            IsPanEnabled = false,
        });
        model.Axes.Add(new LinearAxis
        {
            Position = AxisPosition.Bottom,
            Minimum = 0,
            MaximumPadding = 0.15,
            Title = "seconds to 'turnstone-guest: init reached'",
            MajorGridlineStyle = LineStyle.Solid,
            MajorGridlineColor = OxyColor.FromRgb(0xdd, 0xdd, 0xdd),
            IsZoomEnabled = false,
            IsPanEnabled = false,
        });
        model.Series.Add(Bars("QEMU TCG", OxyColor.FromRgb(0xaa, 0xaa, 0xaa), rows.Select(row => row.QemuToInit?.Median)));
        model.Series.Add(Bars("Turnstone", OxyColor.FromRgb(0x1f, 0x77, 0xb4), rows.Select(row => row.TurnstoneProblem is null ? row.ToInit?.Median : null)));

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
