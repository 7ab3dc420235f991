using System.Globalization;
using System.Text;
using System.Text.Json;
using static Turnstone.Bench.Boot.BenchTable;

namespace Turnstone.Bench.Boot;

/// <summary>The table <c>turnstone bench boot</c> prints and the JSON it writes.</summary>
public static class BootBenchReport
{
    private const string Missing = BenchTable.Missing;

    public static string Json(BootBenchResult result) => JsonSerializer.Serialize(result, BenchJson.Default.BootBenchResult);

    public static string Table(BootBenchResult result)
    {
        var rows = new List<string[]>
        {
            new[] { "kernel", "engine", "to init, s", "boot timer, s", "QEMU TCG to init, s", "ours/TCG", "target", "guest instr", "M instr/s", "monitor MiB", "QEMU MiB", "ours/QEMU", "target" },
        };
        rows.AddRange(result.Rows.Select(Cells));
        var text = new StringBuilder(BenchTable.Format(rows, leftAlignedColumns: 2));
        text.AppendLine($"Seconds: median (min..max) of {result.Repeats} run{(result.Repeats == 1 ? "" : "s")} each, ours and QEMU's taking turns, each a child process timed from its start " +
                        $"to '{InitMarker.Text}' on its console (so both include their start-up: loading the kernel and setting up the machine, QEMU's SeaBIOS).");
        text.AppendLine("boot timer: the monitor's own timer (the guest's write to port 0x440 or its MMIO twin, just after the marker), from the run summary. " +
                        "guest instr and M instr/s: the software engine's retired instructions over the whole run (to the guest's reset after init); KVM counts none. " +
                        $"monitor MiB and QEMU MiB: each process's resident memory beyond guest RAM (smaps: every mapping's Rss but guest RAM's, shared libraries included), " +
                        "sampled every 0.1 s and at the marker, the largest of the runs. " +
                        $"Targets: ours/TCG <= {BootBenchRowResult.TimeRatioTarget:F0}x on the software engine, " +
                        $"monitor < {BootBenchRowResult.MemoryTargetMebibytes} MiB.");
        foreach (var row in result.Rows)
        {
            text.AppendLine($"{row.Kernel} on {row.Engine}: command line \"{row.CommandLine}\" (QEMU: \"{BootCommandLines.Common}\", without our engine's own additions)");
            if (row.TurnstoneProblem is { } problem)
            {
                text.AppendLine($"  turnstone: {problem}");
            }
            if (row.QemuNote is { } note)
            {
                text.AppendLine($"  QEMU: {note}");
            }
        }
        if (result.Rows.FirstOrDefault() is { } first)
        {
            text.AppendLine($"ours:  {first.TurnstoneInvocation}");
            text.AppendLine($"QEMU:  {first.QemuInvocation}");
        }
        foreach (string note in result.Notes)
        {
            text.AppendLine(note);
        }
        text.AppendLine($"host: {result.Machine}; {result.HostLoad} at the end.");
        return text.ToString();
    }

    private static string[] Cells(BootBenchRowResult row)
    {
        bool failed = row.TurnstoneProblem is not null;
        return
        [
            row.Kernel,
            row.Engine,
            failed ? "failed" : Spread(row.ToInit),
            failed ? Missing : row.BootTimer is { } timer ? Number(timer.Median) : Missing,
            row.QemuToInit is { } qemu ? Spread(qemu) : Short(row.QemuNote),
            failed ? Missing : Times(row.Ratio),
            row.Engine != "soft" || failed || row.Ratio is null ? Missing : $"<={BootBenchRowResult.TimeRatioTarget:F0}x {YesNo(row.MeetsTimeTarget)}",
            failed ? Missing : row.GuestInstructions is { } count ? count.ToString("N0", CultureInfo.InvariantCulture) : Missing,
            failed ? Missing : row.InstructionsPerSecond is { } rate ? (rate / 1e6).ToString("F1", CultureInfo.InvariantCulture) : Missing,
            failed ? Missing : row.MonitorBeyondGuestRamMebibytes?.ToString(CultureInfo.InvariantCulture) ?? Missing,
            row.QemuBeyondGuestRamMebibytes?.ToString(CultureInfo.InvariantCulture) ?? Missing,
            failed ? Missing : Times(row.MemoryRatio),
            failed || row.MeetsMemoryTarget is null ? Missing : $"<{BootBenchRowResult.MemoryTargetMebibytes} {YesNo(row.MeetsMemoryTarget)}",
        ];
    }
}
