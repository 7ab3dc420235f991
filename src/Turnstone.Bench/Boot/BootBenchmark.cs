using System.Globalization;

namespace Turnstone.Bench.Boot;

/// <summary>
/// <c>turnstone bench boot</c>: for each row, our <c>turnstone run</c> and QEMU TCG boot the same
/// kernel and initramfs with the same command line as child processes, taking turns (and turns at
/// going first) so the host's other load falls on both; each is timed from its start to the init
/// marker on its console.
/// </summary>
public static class BootBenchmark
{
    public static BootBenchResult Run(BootBenchOptions options, Action<string> progress)
    {
        var rows = options.Plan.Rows.Select(row => RunRow(row, options, progress)).ToList();
        return new BootBenchResult(HostDescription.Machine(), HostDescription.Load(), DateTimeOffset.Now, options.Repeats, options.Initramfs,
            options.Plan.Notes, rows);
    }

    private static BootBenchRowResult RunRow(BootBenchRowPlan row, BootBenchOptions options, Action<string> progress)
    {
        string ourProgram = options.TurnstoneCommand[0];
        var ourArguments = options.TurnstoneCommand.Skip(1).Concat(BootCommands.Turnstone(row, options.Initramfs)).ToList();
        var qemuArguments = BootCommands.QemuTcg(row, options.Initramfs);
        var ours = new List<BootSample>();
        var theirs = new List<BootSample>();
        string? ourProblem = null;
        string? qemuNote = options.Qemu is null ? options.QemuMissing : null;
        for (int repeat = 1; repeat <= options.Repeats && ourProblem is null; repeat++)
        {
            string tag = $"[{row.Kernel.Name} {row.EngineName} {repeat}/{options.Repeats}]";
            // Odd repeats start with ours, even ones with QEMU: neither always finds the page cache warm.
            bool oursFirst = repeat % 2 == 1;
            for (int turn = 0; turn < 2; turn++)
            {
                if (oursFirst == (turn == 0))
                {
                    progress($"{tag} turnstone run --engine {row.EngineName}...");
                    var run = BootProcessRunner.Run(ourProgram, ourArguments, options.Timeout, BootCommands.MemoryBytes);
                    var summary = RunSummaryParser.Parse(run.Log);
                    ourProblem = run.Problem("turnstone run", options.Timeout)
                                 ?? (summary is null ? $"turnstone run printed no run summary line: {run.Log.Trim().Split('\n').LastOrDefault()}" : null);
                    if (ourProblem is null)
                    {
                        ours.Add(new BootSample(run.ToInitSeconds!.Value, run.GuestUptimeSeconds, run.WallSeconds, summary, run.PeakBeyondGuestRamBytes));
                        progress($"{tag} turnstone: to init {Seconds(run.ToInitSeconds.Value)} s (boot timer {Seconds(summary!.BootTimerSeconds)} s, " +
                                 $"guest uptime {Seconds(run.GuestUptimeSeconds)} s); {summary.GuestInstructions?.ToString(CultureInfo.InvariantCulture) ?? "no"} guest instructions; " +
                                 $"monitor {Mebibytes(run.PeakBeyondGuestRamBytes)} MiB beyond guest RAM at most ({summary.MonitorBeyondGuestRamMebibytes} MiB at its end, by its summary)");
                    }
                    else
                    {
                        progress($"{tag} turnstone failed: {ourProblem}");
                    }
                }
                else if (options.Qemu is { } qemu && qemuNote is null)
                {
                    progress($"{tag} {qemu} -accel tcg...");
                    var run = BootProcessRunner.Run(qemu, qemuArguments, options.Timeout, BootCommands.MemoryBytes);
                    string? problem = run.Problem("QEMU", options.Timeout);
                    if (problem is null)
                    {
                        theirs.Add(new BootSample(run.ToInitSeconds!.Value, run.GuestUptimeSeconds, run.WallSeconds, null, run.PeakBeyondGuestRamBytes));
                        progress($"{tag} QEMU TCG: to init {Seconds(run.ToInitSeconds.Value)} s (guest uptime {Seconds(run.GuestUptimeSeconds)} s); " +
                                 $"{Mebibytes(run.PeakBeyondGuestRamBytes)} MiB beyond guest RAM at most");
                    }
                    else
                    {
                        // Figures from some repeats but not others would be a biased median: none at all.
                        qemuNote = $"failed: {problem}";
                        theirs.Clear();
                        progress($"{tag} QEMU {qemuNote}");
                    }
                }
            }
        }
        return new BootBenchRowResult(row.Kernel.Name, row.Kernel.Path, row.EngineName, row.CommandLine,
            BootCommands.Display("turnstone", BootCommands.Turnstone(row, options.Initramfs)),
            BootCommands.Display(options.Qemu ?? "qemu-system-x86_64", qemuArguments),
            ours, theirs, ourProblem, qemuNote);
    }

    private static string Seconds(double? seconds) => seconds?.ToString("F2", CultureInfo.InvariantCulture) ?? "-";

    private static string Mebibytes(long? bytes) => bytes is { } b ? (b >> 20).ToString(CultureInfo.InvariantCulture) : "-";
}
