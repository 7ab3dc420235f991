using OxyPlot;

namespace Turnstone.Bench.VirtioBlock;

/// <summary>
/// Text sizes for OxyPlot's SVG writer in SVG's own units. OxyPlot's managed measurer, the PDF
/// renderer's (Helvetica's metrics, the same as Arial's), answers in PDF points, three quarters of
/// an SVG pixel; taken as pixels, every label is laid out a quarter too small and axis titles
/// overlap the tick labels beside them.
/// </summary>
public sealed class SvgTextMeasurer(double width, double height) : PdfRenderContext(width, height, OxyColors.White)
{
    private const double PixelsPerPoint = 96.0 / 72.0;

    public override OxySize MeasureText(string text, string fontFamily, double fontSize, double fontWeight)
    {
        var points = base.MeasureText(text, fontFamily, fontSize, fontWeight);
        return new OxySize(points.Width * PixelsPerPoint, points.Height * PixelsPerPoint);
    }
}
