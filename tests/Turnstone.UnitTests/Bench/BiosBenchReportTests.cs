using Turnstone.Bench.Bios;
using Turnstone.Bench.Boot;

namespace Turnstone.UnitTests.Bench;

public sealed class BiosBenchReportTests
{
    private static BootSample Ours(double toInit, double? biosMilliseconds = 3.0, long? calls = 400, double? kernelEntered = 0.4, double? diskMilliseconds = 1.0) =>
        new(toInit, 0.7, toInit + 0.1, new RunSummaryFigures("soft", toInit + 0.1, null, 30_000_000, 70, 12, biosMilliseconds, calls, kernelEntered,
            diskMilliseconds, diskMilliseconds is null ? null : 2.3));

    private static BootSample Qemu(double toInit) => new(toInit, 0.8, toInit + 0.05, null);

    private static BiosBenchRowResult Row(IReadOnlyList<BootSample> ours, IReadOnlyList<BootSample> qemu, string? problem = null, string? qemuNote = null,
        string image = BiosBenchImage.GrubMbr) =>
        new(image, "/c/disk.img", "soft", "turnstone-guest: root file system reached", "turnstone run --engine soft --memory 512M --disk COPY", "qemu ...",
            ours, qemu, problem, qemuNote);

    private static BiosBenchResult Result(params BiosBenchRowResult[] rows) =>
        new("2 cores", "load average 1 1 1", DateTimeOffset.UnixEpoch, 3, ["a note"], rows);

    [Fact]
    public void The_table_has_both_times_the_ratio_and_the_firmwares_share_with_their_targets()
    {
        var row = Row([Ours(1.6), Ours(1.4, 2.0, 390, 0.38, 0.5), Ours(1.5, 4.0, 410, 0.42, 1.5)], [Qemu(2.0), Qemu(1.9), Qemu(2.1)]);

        string table = BiosBenchReport.Table(Result(row));
        string line = table.Split('\n')[1];

        Assert.Equal(1.5 / 2.0, row.Ratio);
        Assert.Contains("1.50 (1.40..1.60)", line);
        Assert.Contains("2.00 (1.90..2.10)", line);
        Assert.Contains("0.75x", line);
        Assert.Contains("<=1.0x met", line);
        Assert.Contains("3.00 (2.00..4.00)", line);
        Assert.Contains("1.00 (0.50..1.50) (2.3 MiB)", line);
        Assert.Contains(" 400 ", line);
        Assert.Contains("<5 ms met", line);
        Assert.Contains("0.400 (0.380..0.420)", line);
        Assert.Contains("software engine", table);
        Assert.Contains("TCG", table);
        Assert.Contains("a note", table);
    }

    [Fact]
    public void Slower_than_QEMU_or_a_firmware_share_of_5_ms_or_more_misses()
    {
        var row = Row([Ours(2.2, 5.0)], [Qemu(2.0)]);

        Assert.False(row.MeetsTimeTarget);
        Assert.False(row.MeetsFirmwareTarget);
        string line = BiosBenchReport.Table(Result(row)).Split('\n')[1];
        Assert.Contains("<=1.0x missed", line);
        Assert.Contains("<5 ms missed", line);
    }

    [Fact]
    public void A_summary_without_the_bios_fields_leaves_them_unmeasured_and_says_so()
    {
        var row = Row([Ours(1.5, null, null, null)], [Qemu(2.0)]);

        string table = BiosBenchReport.Table(Result(row));

        Assert.Null(row.BiosMilliseconds);
        Assert.Null(row.MeetsFirmwareTarget);
        Assert.Null(row.KernelEntered);
        Assert.DoesNotContain("ms met", table);
        Assert.Contains("no 'bios ... ms' field", table);
    }

    [Fact]
    public void A_failed_row_shows_failed_and_the_runs_message_never_figures()
    {
        var row = Row([], [Qemu(2.0)], problem: "turnstone run ended with status 1 without printing 'turnstone-guest: root file system reached': Option '--kernel' is required.");

        string table = BiosBenchReport.Table(Result(row));
        string[] cells = table.Split('\n')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(["grub-mbr", "soft", "failed", "2.00", "-", "-", "-", "-", "-", "-", "-"], cells);
        Assert.Contains("Option '--kernel' is required.", table);
        Assert.Null(row.MeetsTimeTarget);
    }

    [Fact]
    public void Without_QEMU_the_column_says_why_and_there_is_no_ratio()
    {
        var row = Row([Ours(1.5)], [], qemuNote: "not run: no qemu-system-x86_64 on PATH (install qemu-system-x86, or give --qemu PATH)");

        string table = BiosBenchReport.Table(Result(row));

        Assert.Null(row.Ratio);
        Assert.Contains("not run", table.Split('\n')[1]);
        Assert.Contains("install qemu-system-x86", table);
        Assert.DoesNotContain("x met", table);
    }

    [Fact]
    public void The_JSON_carries_every_sample_and_the_derived_figures()
    {
        string json = BiosBenchReport.Json(Result(Row([Ours(1.0)], [Qemu(2.0)])));

        Assert.Contains("\"toInitSeconds\": 1", json);
        Assert.Contains("\"ratio\": 0.5", json);
        Assert.Contains("\"biosMilliseconds\": 3", json);
        Assert.Contains("\"meetsFirmwareTarget\": true", json);
        Assert.Contains("\"kernelEnteredSeconds\": 0.4", json);
    }

    [Fact]
    public void The_plot_draws_both_bars_and_none_for_a_failed_row()
    {
        string svg = BiosBenchPlot.Draw(Result(
            Row([Ours(1.25)], [Qemu(2.5)]),
            Row([], [Qemu(1.75)], problem: "failed", image: BiosBenchImage.SyslinuxFat)));

        Assert.Contains("<svg", svg);
        Assert.Contains("QEMU + SeaBIOS", svg);
        Assert.Contains("syslinux-fat, soft", svg);
        Assert.Contains("1.25 s", svg);
        Assert.Contains("2.50 s", svg);
        Assert.Contains("1.75 s", svg);
        Assert.DoesNotContain("NaN", svg);
    }
}
