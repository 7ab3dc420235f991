using System.Globalization;
using Turnstone.Bench.Boot;

namespace Turnstone.Bench.Bios;

/// <summary>
/// <c>turnstone bench bios</c>: for each row, our <c>turnstone run --disk</c> (no kernel: the
/// BIOS boots the disk) and QEMU + SeaBIOS boot fresh copies of the same disk image as child
/// processes, taking turns (and turns at going first); each is timed from its start to the root's
/// init line on its console and then stopped with SIGTERM (our monitor prints its run summary).
/// </summary>
public static class BiosBenchmark
{
    public static BiosBenchResult Run(BiosBenchOptions options, Action<string> progress)
    {
        var rows = options.Plan.Rows.Select(row => RunRow(row, options, progress)).ToList();
        return new BiosBenchResult(HostDescription.Machine(), HostDescription.Load(), DateTimeOffset.Now, options.Repeats, options.Plan.Notes, rows);
    }

    private static BiosBenchRowResult RunRow(BiosBenchRowPlan row, BiosBenchOptions options, Action<string> progress)
    {
        var ours = new List<BootSample>();
        var theirs = new List<BootSample>();
        string? ourProblem = null;
        string? qemuNote = options.Qemu is null ? options.QemuMissing : null;
        for (int repeat = 1; repeat <= options.Repeats; repeat++)
        {
            string tag = $"[{row.Image.Name} {row.EngineName} {repeat}/{options.Repeats}]";
            // Odd repeats start with ours, even ones with QEMU: neither always finds the page cache warm.
            bool oursFirst = repeat % 2 == 1;
            for (int turn = 0; turn < 2; turn++)
            {
                if (oursFirst == (turn == 0))
                {
                    // A failed run of ours is not retried (its reason stands for the row); QEMU's
                    // repeats go on, so the row still has the reference figure.
                    if (ourProblem is null)
                    {
                        ourProblem = RunOurs(row, options, tag, ours, progress);
                    }
                }
                else if (options.Qemu is { } qemu && qemuNote is null)
                {
                    qemuNote = RunQemu(row, qemu, options, tag, theirs, progress);
                }
            }
            if (ourProblem is not null && qemuNote is not null)
            {
                break;
            }
        }
        if (ourProblem is not null)
        {
            ours.Clear();
        }
        return new BiosBenchRowResult(row.Image.Name, row.Image.Path, row.EngineName, row.Image.Marker.Text,
            BootCommands.Display("turnstone", BiosBenchCommands.Turnstone(row, "COPY")),
            BootCommands.Display(options.Qemu ?? "qemu-system-x86_64", BiosBenchCommands.Qemu(row, "COPY")),
            ours, theirs, ourProblem, qemuNote);
    }

    /// <summary>One boot of ours; null when it gave figures, else why not.</summary>
    private static string? RunOurs(BiosBenchRowPlan row, BiosBenchOptions options, string tag, List<BootSample> ours, Action<string> progress)
    {
        progress($"{tag} turnstone run --engine {row.EngineName} --disk (a copy of {row.Image.Path})...");
        var run = Boot(row, options, disk => options.TurnstoneCommand.Skip(1).Concat(BiosBenchCommands.Turnstone(row, disk)).ToList(),
            options.TurnstoneCommand[0], out string? startProblem);
        if (run is null)
        {
            progress($"{tag} turnstone not run: {startProblem}");
            return startProblem;
        }
        var summary = RunSummaryParser.Parse(run.Log);
        string? problem = run.Problem("turnstone run", options.Timeout)
                          ?? (summary is null ? $"turnstone run printed no run summary line: {run.Log.Trim().Split('\n').LastOrDefault()}" : null);
        if (problem is not null)
        {
            progress($"{tag} turnstone failed: {problem}");
            return problem;
        }
        ours.Add(new BootSample(run.ToInitSeconds!.Value, run.GuestUptimeSeconds, run.WallSeconds, summary));
        progress($"{tag} turnstone: to init {Seconds(run.ToInitSeconds)} s (guest uptime {Seconds(run.GuestUptimeSeconds)} s); " +
                 $"bios {Milliseconds(summary!.BiosMilliseconds)} ms ({summary.BiosCalls?.ToString(CultureInfo.InvariantCulture) ?? "-"} calls; " +
                 $"disk transfers {Milliseconds(summary.BiosDiskMilliseconds)} ms); " +
                 $"kernel entered after {Seconds(summary.KernelEnteredSeconds)} s");
        return null;
    }

    /// <summary>One boot of QEMU's; null when it gave figures, else the column's note (then it has none at all:
    /// figures from some repeats but not others would be a biased median).</summary>
    private static string? RunQemu(BiosBenchRowPlan row, string qemu, BiosBenchOptions options, string tag, List<BootSample> theirs, Action<string> progress)
    {
        progress($"{tag} {qemu} -accel {row.QemuAccelerator}...");
        var run = Boot(row, options, disk => BiosBenchCommands.Qemu(row, disk), qemu, out string? startProblem);
        string? problem = run is null ? startProblem : run.Problem("QEMU", options.Timeout);
        if (problem is not null)
        {
            theirs.Clear();
            progress($"{tag} QEMU failed: {problem}");
            return $"failed: {problem}";
        }
        theirs.Add(new BootSample(run!.ToInitSeconds!.Value, run.GuestUptimeSeconds, run.WallSeconds, null));
        progress($"{tag} QEMU {row.QemuAccelerator.ToUpperInvariant()}: to init {Seconds(run.ToInitSeconds)} s (guest uptime {Seconds(run.GuestUptimeSeconds)} s)");
        return null;
    }

    /// <summary>Boots <paramref name="program"/> on a fresh copy of the row's image, deleted afterwards;
    /// null with <paramref name="startProblem"/> when the copy could not be made or the program not started.</summary>
    private static BootProcessRun? Boot(BiosBenchRowPlan row, BiosBenchOptions options, Func<string, IReadOnlyList<string>> arguments, string program,
        out string? startProblem)
    {
        ScratchDisk disk;
        try
        {
            disk = ScratchDisk.Copy(row.Image.Path, options.ScratchDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            startProblem = $"cannot copy {row.Image.Path} to boot it: {e.Message}";
            return null;
        }
        startProblem = null;
        using (disk)
        {
            try
            {
                return options.Runner(new BootProcessLaunch(program, arguments(disk.Path), options.Timeout, row.Image.Marker, StopAtMarker: true));
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                startProblem = $"cannot start {program}: {e.Message}";
                return null;
            }
        }
    }

    private static string Seconds(double? seconds) => seconds?.ToString("F2", CultureInfo.InvariantCulture) ?? "-";

    private static string Milliseconds(double? milliseconds) => milliseconds?.ToString("F2", CultureInfo.InvariantCulture) ?? "-";
}
