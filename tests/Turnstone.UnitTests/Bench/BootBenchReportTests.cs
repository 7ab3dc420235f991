using Turnstone.Bench.Boot;

namespace Turnstone.UnitTests.Bench;

public sealed class BootBenchReportTests
{
    // The summary's own figure (at the run's end) differs from the sampled peak on purpose: the table uses the peak.
    private static BootSample Ours(double toInit, long instructions = 30_000_000, double ran = 4.0, long monitor = 70) =>
        new(toInit, 2.0, ran, new RunSummaryFigures("soft", ran, toInit - 0.3, instructions, monitor - 5, 12), monitor << 20);

    private static BootSample Qemu(double toInit, long? memory = 56) => new(toInit, 2.0, toInit + 0.1, null, memory << 20);

    private static BootBenchRowResult Row(IReadOnlyList<BootSample> ours, IReadOnlyList<BootSample> qemu, string engine = "soft",
        string? problem = null, string? qemuNote = null) =>
        new("minimal", "/k/bzImage", engine, "console=ttyS0", "turnstone run ...", "qemu ...", ours, qemu, problem, qemuNote);

    private static BootBenchResult Result(params BootBenchRowResult[] rows) =>
        new("2 cores", "load average 1 1 1", DateTimeOffset.UnixEpoch, 3, "/i/initramfs.cpio.gz", ["a note"], rows);

    [Fact]
    public void Median_of_an_odd_count_is_the_middle_and_of_an_even_count_the_mean_of_the_middle_two()
    {
        Assert.Equal(new SampleSpread(3, 1, 9, 3), SampleSpread.Of([9, 1, 3]));
        Assert.Equal(new SampleSpread(2.5, 1, 9, 4), SampleSpread.Of([9, 1, 3, 2]));
        Assert.Null(SampleSpread.Of([]));
    }

    [Fact]
    public void The_ratio_is_our_median_over_QEMUs_and_the_targets_are_judged_on_it()
    {
        var row = Row([Ours(4.0), Ours(3.0), Ours(5.0)], [Qemu(1.0), Qemu(2.0), Qemu(1.5)]);

        Assert.Equal(4.0 / 1.5, row.Ratio);
        Assert.True(row.MeetsTimeTarget);
        Assert.Equal(70, row.MonitorBeyondGuestRamMebibytes);
        Assert.False(row.MeetsMemoryTarget);
        Assert.Equal(30_000_000 / 4.0, row.InstructionsPerSecond);
    }

    [Fact]
    public void QEMUs_memory_is_its_largest_sample_and_the_memory_ratio_ours_over_it()
    {
        var row = Row([Ours(4.0, monitor: 70), Ours(4.0, monitor: 77)], [Qemu(1.0, memory: 50), Qemu(1.0, memory: 55), Qemu(1.0, memory: null)]);

        Assert.Equal(77, row.MonitorBeyondGuestRamMebibytes);
        Assert.Equal(55, row.QemuBeyondGuestRamMebibytes);
        Assert.Equal(77.0 / 55, row.MemoryRatio!.Value, 1e-9);
        string line = BootBenchReport.Table(Result(row)).Split('\n')[1];
        Assert.Contains("1.40x", line);
    }

    [Fact]
    public void Without_memory_samples_no_memory_figure_or_ratio_is_made_up()
    {
        var row = Row([Ours(4.0) with { PeakBeyondGuestRamBytes = null }], [Qemu(1.0, memory: null)]);

        Assert.Null(row.MonitorBeyondGuestRamMebibytes);
        Assert.Null(row.QemuBeyondGuestRamMebibytes);
        Assert.Null(row.MemoryRatio);
        Assert.Null(row.MeetsMemoryTarget);
    }

    [Fact]
    public void Memory_is_judged_on_the_largest_run_and_time_misses_above_3x()
    {
        var row = Row([Ours(3.1, monitor: 30), Ours(3.2, monitor: 39), Ours(3.3, monitor: 35)], [Qemu(1.0)]);

        Assert.Equal(3.2, row.Ratio!.Value, 1e-9);
        Assert.False(row.MeetsTimeTarget);
        Assert.Equal(39, row.MonitorBeyondGuestRamMebibytes);
        Assert.True(row.MeetsMemoryTarget);
    }

    [Fact]
    public void The_table_shows_median_and_range_the_ratio_and_the_verdicts()
    {
        string table = BootBenchReport.Table(Result(Row([Ours(4.0), Ours(3.0), Ours(5.0)], [Qemu(1.0), Qemu(2.0), Qemu(1.5)])));

        Assert.Contains("4.00 (3.00..5.00)", table);
        Assert.Contains("1.50 (1.00..2.00)", table);
        Assert.Contains("2.67x", table);
        Assert.Contains("<=3x met", table);
        Assert.Contains("<40 missed", table);
        Assert.Contains("30,000,000", table);
        Assert.Contains("7.5", table); // M instr/s
        Assert.Contains("a note", table);
    }

    [Fact]
    public void Without_QEMU_the_column_says_why_and_no_ratio_is_made_up()
    {
        var row = Row([Ours(4.0)], [], qemuNote: "not run: no qemu-system-x86_64 on PATH (install qemu-system-x86, or give --qemu PATH)");

        string table = BootBenchReport.Table(Result(row));

        Assert.Null(row.Ratio);
        Assert.Null(row.MeetsTimeTarget);
        Assert.Contains("not run", table);
        Assert.Contains("install qemu-system-x86", table);
        Assert.DoesNotContain("x met", table);
        Assert.DoesNotContain("missed", table.Split('\n')[1].Replace("<40 missed", ""));
    }

    [Fact]
    public void A_KVM_row_has_no_time_target_and_no_instruction_count()
    {
        var kvm = new BootSample(60.0, 59.0, 61.0, new RunSummaryFigures("kvm", 61.0, 59.5, null, 42, 0), 42L << 20);
        var row = Row([kvm], [Qemu(1.5)], engine: "kvm");

        Assert.Equal(40.0, row.Ratio);
        Assert.Null(row.MeetsTimeTarget);
        Assert.Null(row.GuestInstructions);
        string line = BootBenchReport.Table(Result(row)).Split('\n')[1];
        Assert.Contains("40.00x", line);
        Assert.DoesNotContain("<=3x", line);
    }

    [Fact]
    public void A_failed_row_shows_failed_and_the_reason_not_figures()
    {
        var row = Row([], [Qemu(1.5)], problem: "turnstone run ended with status 1 without printing 'turnstone-guest: init reached': turnstone: boom");

        string table = BootBenchReport.Table(Result(row));

        Assert.Contains("failed", table.Split('\n')[1]);
        Assert.Contains("turnstone: boom", table);
        Assert.Null(row.Ratio);
    }

    [Fact]
    public void The_JSON_carries_every_sample_and_the_derived_figures()
    {
        string json = BootBenchReport.Json(Result(Row([Ours(4.0)], [Qemu(2.0)])));

        Assert.Contains("\"toInitSeconds\": 4", json);
        Assert.Contains("\"ratio\": 2", json);
        Assert.Contains("\"meetsTimeTarget\": true", json);
        Assert.Contains("\"monitorBeyondGuestRamMebibytes\": 70", json);
        Assert.Contains("\"qemuBeyondGuestRamMebibytes\": 56", json);
    }

    [Fact]
    public void The_plot_draws_both_monitors_bars_and_leaves_out_a_missing_figure()
    {
        string svg = BootBenchPlot.Draw(Result(
            Row([Ours(4.0)], [Qemu(1.5)]),
            Row([Ours(6.0)], [], qemuNote: "not run: --qemu none") with { Kernel = "cloud" }));

        Assert.StartsWith("<?xml", svg);
        Assert.Contains("<svg", svg);
        Assert.Contains("Turnstone", svg);
        Assert.Contains("QEMU TCG", svg);
        Assert.Contains("cloud, soft", svg);
        Assert.Contains("4.00 s", svg);
        Assert.Contains("1.50 s", svg);
        Assert.Contains("6.00 s", svg);
        Assert.DoesNotContain("NaN", svg);
    }
}
