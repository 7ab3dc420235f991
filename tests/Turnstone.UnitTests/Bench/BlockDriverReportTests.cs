using System.Text.Json;
using Turnstone.Bench.VirtioBlock;

namespace Turnstone.UnitTests.Bench;

public sealed class BlockDriverReportTests
{
    private static BlockDriverResult Result(string workload, string mode, int qd, double mbps, double iops, int block = 1048576) =>
        new(workload, mode, qd, block, 64, 64L * block, 0.5, mbps, iops, workload.EndsWith("read") ? "ok" : "n/a", 1, 10, 0);

    private static VirtioBlockBenchResult Host(string workload, int block, double mbps, double iops) =>
        new(workload, block, 64, 64L * block, 0.5, mbps, iops, Direct: true);

    private static readonly BlockDriverResult[] Turnstone =
    [
        Result("seq-read", "poll", 1, 1000, 953.7),
        Result("seq-read", "poll", 16, 4000, 3814.7),
        Result("rand-read", "msix", 1, 20, 4882.8, block: 4096),
    ];

    private static readonly BlockDriverResult[] Qemu =
    [
        Result("seq-read", "poll", 16, 5000, 4768.4),
        Result("seq-read", "poll", 1, 2000, 1907.3),
    ];

    private static readonly VirtioBlockBenchResult[] Ceiling =
    [
        Host("seq-read", 1048576, 4000, 3814.7),
        Host("rand-read", 4096, 400, 97656.3),
    ];

    // Data rows are the lines after the header up to the footnote; cells hold no spaces.
    private static string[][] Rows(string table) =>
        table.Split(Environment.NewLine).Skip(1).TakeWhile(line => !line.StartsWith("MB/s:"))
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();

    [Fact]
    public void Pairs_qemu_by_workload_mode_and_depth_and_the_ceiling_only_at_depth_one()
    {
        string table = BlockDriverReport.Table(Turnstone, Qemu, Ceiling);

        Assert.StartsWith("workload   mode  qd  Turnstone MB/s  Turnstone IOPS  QEMU MB/s  QEMU IOPS  ceiling MB/s  vs QEMU  vs ceiling", table);
        Assert.Equal(
            [
                ["seq-read", "poll", "1", "1000.00", "953.7", "2000.00", "1907.3", "4000.00", "0.50", "0.25"],
                ["seq-read", "poll", "16", "4000.00", "3814.7", "5000.00", "4768.4", "-", "0.80", "-"],
                ["rand-read", "msix", "1", "20.00", "4882.8", "-", "-", "400.00", "-", "0.05"],
            ],
            Rows(table));
        Assert.Contains("ceiling: turnstone-blkbench on the host", table);
    }

    [Fact]
    public void Without_qemu_or_a_ceiling_those_columns_show_dashes()
    {
        var rows = Rows(BlockDriverReport.Table(Turnstone));

        Assert.All(rows, row => Assert.Equal(["-", "-", "-", "-", "-"], row[5..]));
    }

    [Fact]
    public void The_ceiling_is_matched_by_block_size_as_well_as_workload()
    {
        var rows = Rows(BlockDriverReport.Table(Turnstone, null, [Host("seq-read", 4096, 400, 97656.3)]));

        Assert.Equal("-", rows[0][7]);
    }

    [Fact]
    public void Json_carries_every_source_and_the_metadata_with_camel_case_names()
    {
        var metadata = new BlockDriverReportMetadata("EPYC 7763, Linux 6.8", "/var/tmp/disk.img", "none", 256, new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));

        string json = BlockDriverReport.Json(metadata, Turnstone, Qemu, Ceiling);
        var document = JsonSerializer.Deserialize<BlockDriverReportDocument>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web));

        Assert.NotNull(document);
        Assert.Equal(metadata, document.Metadata);
        Assert.Equal(Turnstone, document.Turnstone);
        Assert.Equal(Qemu, document.Qemu);
        Assert.Equal(Ceiling, document.HostCeiling);
        using var parsed = JsonDocument.Parse(json);
        var first = parsed.RootElement.GetProperty("turnstone")[0];
        Assert.Equal(1000, first.GetProperty("megabytesPerSecond").GetDouble());
        Assert.Equal(1, first.GetProperty("queueDepth").GetInt32());
        Assert.Equal("none", parsed.RootElement.GetProperty("metadata").GetProperty("cacheMode").GetString());
        Assert.Contains(Environment.NewLine + "  ", json);
    }

    [Fact]
    public void Json_writes_null_for_sources_that_were_not_run()
    {
        var metadata = new BlockDriverReportMetadata("m", "f", "writeback", 128, DateTimeOffset.UnixEpoch);

        using var parsed = JsonDocument.Parse(BlockDriverReport.Json(metadata, Turnstone));

        Assert.Equal(JsonValueKind.Null, parsed.RootElement.GetProperty("qemu").ValueKind);
        Assert.Equal(JsonValueKind.Null, parsed.RootElement.GetProperty("hostCeiling").ValueKind);
        Assert.Equal(3, parsed.RootElement.GetProperty("turnstone").GetArrayLength());
    }
}
