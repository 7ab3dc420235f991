using Turnstone.Bench.Bios;
using Turnstone.Bench.Boot;

namespace Turnstone.UnitTests.Bench;

/// <summary><see cref="BiosBenchmark"/> with a fake runner standing in for both monitors.</summary>
public sealed class BiosBenchmarkTests : IDisposable
{
    private const string OurSummary = "[turnstone] stopped by the user\n[turnstone] engine soft; ran 3.40 s; boot timer not reached; 2779 exits (port I/O 1157, MMIO 1293); " +
                                      "30538779 guest instructions (9.0 M/s); bios 3.21 ms (412 calls); kernel entered after 0.412 s; monitor RSS beyond guest RAM 72 MiB (managed heap 12 MiB)\n";

    private readonly string _directory = Directory.CreateTempSubdirectory("bios-bench-tests.").FullName;
    private readonly List<BootProcessLaunch> _launches = [];
    private readonly List<string> _copiesSeen = [];

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private BiosBenchOptions Options(Func<BootProcessLaunch, BootProcessRun> respond, int repeats = 3, string? qemu = "/usr/bin/qemu-system-x86_64")
    {
        string image = Path.Combine(_directory, "grub-mbr.img");
        File.WriteAllBytes(image, [0x55, 0xAA, 0, 0, 7]);
        var plan = BiosBenchPlan.Resolve(BootBenchSelection.Soft, [BiosBenchImage.For(BiosBenchImage.GrubMbr, image)], false, "no /dev/kvm", false, out _)!;
        return new BiosBenchOptions(plan, ["/opt/turnstone"], qemu, qemu is null ? "not run: --qemu none" : "", repeats, TimeSpan.FromSeconds(60),
            Path.Combine(_directory, "scratch"), launch =>
            {
                _launches.Add(launch);
                string disk = launch.Program == "/opt/turnstone"
                    ? launch.Arguments[launch.Arguments.ToList().IndexOf("--disk") + 1]
                    : launch.Arguments.Single(a => a.StartsWith("file=", StringComparison.Ordinal))["file=".Length..].Split(',')[0];
                // Each boot gets its own copy, with the image's bytes, that exists while it runs.
                Assert.Equal([0x55, 0xAA, 0, 0, 7], File.ReadAllBytes(disk));
                Assert.DoesNotContain(disk, _copiesSeen);
                _copiesSeen.Add(disk);
                return respond(launch);
            });
    }

    private static BootProcessRun OursFailing(BootProcessLaunch launch) =>
        new(null, null, 0.4, 1, "Usage:\n  turnstone run [options]\n", "Option '--kernel' is required.\n", launch.Marker.Text, false);

    private static BootProcessRun QemuReaching(BootProcessLaunch launch, double seconds) =>
        new(seconds, 0.8, seconds + 0.05, 0, $"{launch.Marker.Text}, uptime 0.80 0.05\n", $"qemu-system-x86_64: terminating on signal 15 from pid 1\n", launch.Marker.Text, true);

    private static BootProcessRun OursReaching(BootProcessLaunch launch, double seconds) =>
        new(seconds, 0.7, seconds + 0.1, BootProcessRun.TerminatedStatus, $"{launch.Marker.Text}, uptime 0.70 0.05\n", OurSummary, launch.Marker.Text, true);

    [Fact]
    public void Until_the_machine_boots_disks_our_row_fails_with_the_runs_own_message_and_QEMUs_figures_stand()
    {
        double qemuSeconds = 1.5;
        var result = BiosBenchmark.Run(Options(launch => launch.Program == "/opt/turnstone" ? OursFailing(launch) : QemuReaching(launch, qemuSeconds += 0.5)), _ => { });

        var row = Assert.Single(result.Rows);
        Assert.Contains("Option '--kernel' is required.", row.TurnstoneProblem);
        Assert.Empty(row.Turnstone);
        Assert.Null(row.ToInit);
        Assert.Null(row.Ratio);
        Assert.Null(row.MeetsTimeTarget);
        Assert.Null(row.BiosMilliseconds);
        Assert.Null(row.MeetsFirmwareTarget);
        Assert.Equal(new SampleSpread(2.5, 2.0, 3.0, 3), row.QemuToInit);
        Assert.Equal(1, _launches.Count(l => l.Program == "/opt/turnstone")); // not retried
        string table = BiosBenchReport.Table(result);
        Assert.Contains("failed", table.Split('\n')[1]);
        Assert.Contains("Option '--kernel' is required.", table);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_directory, "scratch"))); // every copy deleted
    }

    [Fact]
    public void A_disk_boot_gives_the_time_to_init_the_firmwares_share_and_the_kernels_entry()
    {
        double ours = 1.0, theirs = 2.0;
        var result = BiosBenchmark.Run(Options(launch => launch.Program == "/opt/turnstone" ? OursReaching(launch, ours += 0.1) : QemuReaching(launch, theirs += 0.1)), _ => { });

        var row = Assert.Single(result.Rows);
        Assert.Null(row.TurnstoneProblem);
        Assert.Equal(1.2, row.ToInit!.Median, 1e-9);
        Assert.Equal(2.2, row.QemuToInit!.Median, 1e-9);
        Assert.True(row.MeetsTimeTarget);
        Assert.Equal(3.21, row.BiosMilliseconds!.Median);
        Assert.Equal(412, row.BiosCalls);
        Assert.True(row.MeetsFirmwareTarget);
        Assert.Equal(0.412, row.KernelEntered!.Median);
        Assert.All(_launches, launch => Assert.True(launch.StopAtMarker));
        Assert.All(_launches, launch => Assert.Equal("turnstone-guest: root file system reached", launch.Marker.Text));
        Assert.Equal(6, _copiesSeen.Count);
        // Turns: ours first on odd repeats, QEMU first on even ones.
        Assert.Equal(["/opt/turnstone", "/usr/bin/qemu-system-x86_64", "/usr/bin/qemu-system-x86_64", "/opt/turnstone", "/opt/turnstone", "/usr/bin/qemu-system-x86_64"],
            _launches.Select(l => l.Program));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_directory, "scratch")));
    }

    [Fact]
    public void A_QEMU_failure_leaves_its_column_empty_rather_than_a_partial_median()
    {
        int qemuRuns = 0;
        var result = BiosBenchmark.Run(Options(launch => launch.Program == "/opt/turnstone" ? OursReaching(launch, 1.0)
            : ++qemuRuns == 1 ? QemuReaching(launch, 2.0) : new BootProcessRun(null, null, 60, null, "", "", launch.Marker.Text, false)), _ => { });

        var row = Assert.Single(result.Rows);
        Assert.Empty(row.Qemu);
        Assert.Null(row.Ratio);
        Assert.StartsWith("failed: QEMU did not finish within 60 s", row.QemuNote);
        Assert.Equal(3, row.Turnstone.Count);
    }

    [Fact]
    public void A_runner_that_cannot_start_the_program_is_a_failed_row_not_a_crash()
    {
        var result = BiosBenchmark.Run(Options(launch => throw new System.ComponentModel.Win32Exception("No such file or directory"), repeats: 1, qemu: null), _ => { });

        var row = Assert.Single(result.Rows);
        Assert.Contains("cannot start /opt/turnstone: No such file or directory", row.TurnstoneProblem);
        Assert.Equal("not run: --qemu none", row.QemuNote);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_directory, "scratch")));
    }

    [Fact]
    public void An_image_that_cannot_be_copied_is_a_failed_row()
    {
        var options = Options(_ => throw new InvalidOperationException("not reached"), repeats: 1, qemu: null);
        var missing = options with
        {
            Plan = new BiosBenchPlan([new BiosBenchRowPlan(BiosBenchImage.For(BiosBenchImage.GptCloud, Path.Combine(_directory, "absent.img")), Turnstone.Engine.EngineKind.Software)], []),
        };

        var row = Assert.Single(BiosBenchmark.Run(missing, _ => { }).Rows);

        Assert.Contains("cannot copy", row.TurnstoneProblem);
        Assert.Empty(_launches);
    }
}
