using System.Globalization;
using System.Text;

namespace Turnstone.Bench.Boot;

/// <summary>The boot benchmarks' plain-text tables: columns padded to their widest cell, the
/// leading name columns left-aligned and the figures right-aligned; and the cells they share.</summary>
public static class BenchTable
{
    public const string Missing = "-";

    public static string Format(IReadOnlyList<string[]> rows, int leftAlignedColumns)
    {
        var text = new StringBuilder();
        int[] widths = Enumerable.Range(0, rows[0].Length).Select(column => rows.Max(row => row[column].Length)).ToArray();
        foreach (string[] row in rows)
        {
            var cells = row.Select((cell, column) => column < leftAlignedColumns ? cell.PadRight(widths[column]) : cell.PadLeft(widths[column]));
            text.AppendLine(string.Join("  ", cells).TrimEnd());
        }
        return text.ToString();
    }

    /// <summary>"median (min..max)", the median alone for one sample, "-" for none.</summary>
    public static string Spread(SampleSpread? spread, string format = "F2") => spread is null ? Missing
        : spread.Count == 1 ? Number(spread.Median, format) : $"{Number(spread.Median, format)} ({Number(spread.Min, format)}..{Number(spread.Max, format)})";

    public static string Number(double value, string format = "F2") => value.ToString(format, CultureInfo.InvariantCulture);

    public static string Times(double? ratio) => ratio is { } r ? r.ToString("F2", CultureInfo.InvariantCulture) + "x" : Missing;

    public static string YesNo(bool? met) => met switch { true => "met", false => "missed", null => Missing };

    /// <summary>A missing figure's cell from the note that says why ("not run: ...", "failed: ..."):
    /// its first word or two; the whole reason follows the table.</summary>
    public static string Short(string? note) => note is null ? Missing : note.Split(':', 2)[0];
}
