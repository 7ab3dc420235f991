using System.Text;
using System.Text.Json;
using Turnstone.Bench.Boot;
using static Turnstone.Bench.Boot.BenchTable;

namespace Turnstone.Bench.Bios;

/// <summary>The table <c>turnstone bench bios</c> prints and the JSON it writes.</summary>
public static class BiosBenchReport
{
    /// <summary>What each column means, for the table's footer and the command's help.</summary>
    public static readonly string ColumnsExplained =
        "to init: seconds from starting the process to the root's init line on its console ('turnstone-guest: root file system reached'; debian12: 'login:'), " +
        "median (min..max) over the repeats, each boot on a fresh copy of the image; ours is turnstone run --disk on our BIOS, QEMU's is qemu-system-x86_64 " +
        "-M q35 with SeaBIOS on the same engine class (the software engine against TCG, KVM against KVM), so both include their start-up. " +
        $"ours/QEMU: the medians' ratio, target <= {BiosBenchRowResult.TimeRatioTarget:F1}x (no slower than QEMU + SeaBIOS). " +
        "bios ms: our firmware's own share from the run summary, the monitor's time in POST and in every BIOS call it handled (median; calls: how many), " +
        $"target < {BiosBenchRowResult.FirmwareTargetMilliseconds:F0} ms, judged on the whole share. of it disk ms: the part the disk services spent copying sectors " +
        "between the image and guest memory (median, with the MiB the loader read), which grows with the size of what the loader loads. kernel entered: seconds on the run summary's clock to the kernel's first switch " +
        "to long mode (software engine only). '-': not measured (the reason follows the table); nothing is estimated.";

    public static string Json(BiosBenchResult result) => JsonSerializer.Serialize(result, BenchJson.Default.BiosBenchResult);

    public static string Table(BiosBenchResult result)
    {
        var rows = new List<string[]>
        {
            new[] { "image", "engine", "to init, s", "QEMU+SeaBIOS to init, s", "ours/QEMU", "target", "bios ms", "of it disk ms", "calls", "target", "kernel entered, s" },
        };
        rows.AddRange(result.Rows.Select(Cells));
        var text = new StringBuilder(BenchTable.Format(rows, leftAlignedColumns: 2));
        text.AppendLine($"{result.Repeats} run{(result.Repeats == 1 ? "" : "s")} each, ours and QEMU's taking turns. {ColumnsExplained}");
        foreach (var row in result.Rows)
        {
            if (row.TurnstoneProblem is { } problem)
            {
                text.AppendLine($"{row.Image} on {row.Engine}: turnstone: {problem}");
            }
            else if (row.BiosMilliseconds is null)
            {
                text.AppendLine($"{row.Image} on {row.Engine}: the run summary has no 'bios ... ms' field, so the firmware's share is not known");
            }
            if (row.QemuNote is { } note)
            {
                text.AppendLine($"{row.Image} on {row.Engine}: QEMU: {note}");
            }
        }
        if (result.Rows.FirstOrDefault() is { } first)
        {
            text.AppendLine($"ours:  {first.TurnstoneInvocation}");
            text.AppendLine($"QEMU:  {first.QemuInvocation}");
            text.AppendLine("(COPY: a sparse copy of the image per boot, deleted afterwards; each boot is stopped with SIGTERM at its init line)");
        }
        foreach (string note in result.Notes)
        {
            text.AppendLine(note);
        }
        text.AppendLine($"host: {result.Machine}; {result.HostLoad} at the end.");
        return text.ToString();
    }

    private static string[] Cells(BiosBenchRowResult row)
    {
        bool failed = row.TurnstoneProblem is not null;
        return
        [
            row.Image,
            row.Engine,
            failed ? "failed" : Spread(row.ToInit),
            row.QemuToInit is { } qemu ? Spread(qemu) : Short(row.QemuNote),
            failed ? Missing : Times(row.Ratio),
            row.MeetsTimeTarget is null ? Missing : $"<={BiosBenchRowResult.TimeRatioTarget:F1}x {YesNo(row.MeetsTimeTarget)}",
            failed ? Missing : Spread(row.BiosMilliseconds),
            failed || row.BiosDiskMilliseconds is not { } disk ? Missing : $"{Spread(disk)} ({Number(row.BiosDiskMebibytes ?? 0, "F1")} MiB)",
            failed || row.BiosCalls is not { } calls ? Missing : Number(calls, "F0"),
            row.MeetsFirmwareTarget is null ? Missing : $"<{BiosBenchRowResult.FirmwareTargetMilliseconds:F0} ms {YesNo(row.MeetsFirmwareTarget)}",
            failed ? Missing : Spread(row.KernelEntered, "F3"),
        ];
    }
}
