using Turnstone.Bench.VirtioBlock;

namespace Turnstone.UnitTests.Bench;

public sealed class VirtioBlockBenchReportTests
{
    private static VirtioBlockBenchResult Result(string workload, int block, double mbps, double iops, bool direct = true) =>
        new(workload, block, 1, block, 1, mbps, iops, direct);

    [Fact]
    public void Lays_guest_and_host_figures_side_by_side_with_their_ratio()
    {
        VirtioBlockBenchResult[] guest = [Result("seq-write", 1048576, 300, 286.1), Result("rand-read", 4096, 0.5, 122.1)];
        VirtioBlockBenchResult[] host = [Result("rand-read", 4096, 168, 41015.6), Result("seq-write", 1048576, 600, 572.2)];

        string report = VirtioBlockBenchReport.Build(guest, host);

        Assert.Equal(
            """
            workload   block  guest MB/s  guest IOPS  host MB/s  host IOPS  guest/host
            seq-write  1 MiB      300.00       286.1     600.00      572.2        0.50
            rand-read  4 KiB        0.50       122.1     168.00    41015.6       0.003
            MB/s: 10^6 bytes per second; guest/host: guest MB/s over host MB/s.

            """.ReplaceLineEndings(),
            report);
    }

    [Fact]
    public void A_workload_one_side_lacks_shows_dashes_and_no_ratio()
    {
        string report = VirtioBlockBenchReport.Build([Result("seq-read", 1048576, 100, 95.4)], [Result("rand-read", 4096, 168, 41015.6)]);

        string[] lines = report.Split(Environment.NewLine);
        Assert.Equal("seq-read   1 MiB      100.00        95.4          -          -           -", lines[1]);
        Assert.Equal("rand-read  4 KiB           -           -     168.00    41015.6           -", lines[2]);
    }

    [Fact]
    public void Buffered_figures_are_marked_and_explained()
    {
        string report = VirtioBlockBenchReport.Build([Result("seq-read", 1048576, 100, 95.4)], [Result("seq-read", 1048576, 200, 190.7, direct: false)]);

        Assert.Contains("200.00*", report);
        Assert.Contains("* buffered I/O: that file system refused O_DIRECT", report);
    }
}
