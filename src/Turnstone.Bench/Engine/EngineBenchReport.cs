using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Turnstone.Bench.Engine;

/// <summary>The table <c>turnstone bench engine</c> prints and the JSON it writes.</summary>
public static class EngineBenchReport
{
    private const string Missing = "-";

    public static string Json(EngineBenchResult result) => JsonSerializer.Serialize(result, BenchJson.Default.EngineBenchResult);

    public static string Table(EngineBenchResult result)
    {
        var text = new StringBuilder();
        if (result.InstructionRates.Count > 0)
        {
            var rows = new List<string[]> { new[] { "workload", "guest instr", "soft M/s", "native M/s", "QEMU TCG M/s", "soft/native", "soft/QEMU" } };
            rows.AddRange(result.InstructionRates.Select(row => new[]
            {
                row.Workload,
                row.GuestInstructions.ToString("N0", CultureInfo.InvariantCulture),
                Millions(row.SoftwareInstructionsPerSecond),
                row.NativeInstructionsPerSecond is { } native ? Millions(native) : row.NativeNote ?? Missing,
                row.QemuInstructionsPerSecond is { } qemu ? Millions(qemu) : Short(row.QemuNote),
                Times(row.SlowdownAgainstNative),
                Times(row.SlowdownAgainstQemu),
            }));
            Append(text, rows, leftAligned: 1);
            text.AppendLine("M/s: million guest instructions per second (native and QEMU: the same instruction count over their wall time for the same work);");
            text.AppendLine("soft/x: software engine wall time over x's (lower is better; target soft/QEMU <= 4 and >= 150 M/s on the integer loop).");
            text.AppendLine($"QEMU: {result.QemuMethod}.");
            foreach (var row in result.InstructionRates.Where(r => r.QemuSeconds is null && r.QemuNote is not null))
            {
                text.AppendLine($"QEMU, {row.Workload}: {row.QemuNote}");
            }
        }
        if (result.ComponentCalls.Count > 0)
        {
            text.AppendLine();
            var rows = new List<string[]> { new[] { "component", "soft", "KVM", "soft/KVM", "target" } };
            rows.AddRange(result.ComponentCalls.Select(row => new[]
            {
                row.Measurement,
                Micro(row.SoftwareMicroseconds),
                Micro(row.KvmMicroseconds),
                Times(row.SoftwareMicroseconds / row.KvmMicroseconds),
                row.Target,
            }));
            Append(text, rows, leftAligned: 1);
        }
        text.AppendLine($"engines: {result.Engines}; host: {result.Machine}; {result.HostLoad}.");
        return text.ToString();
    }

    private static void Append(StringBuilder text, List<string[]> rows, int leftAligned)
    {
        int[] widths = Enumerable.Range(0, rows[0].Length).Select(column => rows.Max(row => row[column].Length)).ToArray();
        foreach (string[] row in rows)
        {
            var cells = row.Select((cell, column) => column < leftAligned ? cell.PadRight(widths[column]) : cell.PadLeft(widths[column]));
            text.AppendLine(string.Join("  ", cells).TrimEnd());
        }
    }

    /// <summary>A missing QEMU figure's cell: "not found", "n/a" and so on; the whole reason follows the table.</summary>
    private static string Short(string? note) => note is null ? Missing : note.Split(':', 2)[0];

    private static string Millions(double perSecond) => (perSecond / 1e6).ToString("F1", CultureInfo.InvariantCulture);

    private static string Micro(double? microseconds) => microseconds?.ToString("F2", CultureInfo.InvariantCulture) ?? Missing;

    private static string Times(double? ratio) => ratio is { } r ? r.ToString(r >= 10 ? "F0" : "F2", CultureInfo.InvariantCulture) + "x" : Missing;
}
