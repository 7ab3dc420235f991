using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Turnstone.Bench.VirtioBlock;

/// <summary>
/// Turnstone's turnstone-blkdriver figures next to QEMU's for the same guest, and next to the
/// host's own figures for the backing file (the ceiling, from turnstone-blkbench on the host):
/// as a text table, as JSON for keeping, and as an SVG plot.
/// </summary>
public static class BlockDriverReport
{
    private const string Missing = "-";
    private static readonly string[] Header =
        ["workload", "mode", "qd", "Turnstone MB/s", "Turnstone IOPS", "QEMU MB/s", "QEMU IOPS", "ceiling MB/s", "vs QEMU", "vs ceiling"];

    /// <summary>One row per Turnstone result, in Turnstone's order; QEMU's figures are paired by
    /// workload, mode and queue depth, the ceiling by workload and block size.</summary>
    public static string Table(
        IReadOnlyList<BlockDriverResult> turnstone,
        IReadOnlyList<BlockDriverResult>? qemu = null,
        IReadOnlyList<VirtioBlockBenchResult>? hostCeiling = null)
    {
        var rows = new List<string[]> { Header };
        foreach (var result in turnstone)
        {
            var peer = qemu?.FirstOrDefault(q => q.Workload == result.Workload && q.Mode == result.Mode && q.QueueDepth == result.QueueDepth);
            // The host tool issues one request at a time, so only a depth-1 row measures the same thing.
            var ceiling = result.QueueDepth == 1
                ? hostCeiling?.FirstOrDefault(h => h.Workload == result.Workload && h.BlockBytes == result.BlockBytes)
                : null;
            rows.Add(
            [
                result.Workload, result.Mode, result.QueueDepth.ToString(CultureInfo.InvariantCulture),
                Rate(result.MegabytesPerSecond), Iops(result.Iops),
                peer is null ? Missing : Rate(peer.MegabytesPerSecond), peer is null ? Missing : Iops(peer.Iops),
                ceiling is null ? Missing : Rate(ceiling.MegabytesPerSecond),
                Ratio(result.MegabytesPerSecond, peer?.MegabytesPerSecond), Ratio(result.MegabytesPerSecond, ceiling?.MegabytesPerSecond),
            ]);
        }

        var table = new StringBuilder();
        int[] widths = Enumerable.Range(0, Header.Length).Select(column => rows.Max(row => row[column].Length)).ToArray();
        foreach (string[] row in rows)
        {
            // Names read best left-aligned, numbers right-aligned.
            var cells = row.Select((cell, column) => column < 2 ? cell.PadRight(widths[column]) : cell.PadLeft(widths[column]));
            table.AppendLine(string.Join("  ", cells).TrimEnd());
        }
        table.AppendLine("MB/s: 10^6 bytes per second; IOPS: requests completed per second; qd: requests in flight.");
        table.AppendLine("ceiling: turnstone-blkbench on the host against the same backing file, one request at a time,");
        table.AppendLine("so it is shown for qd 1 only. vs QEMU, vs ceiling: Turnstone's MB/s over theirs; '-': not measured.");
        return table.ToString();
    }

    /// <summary>Every source's raw results and the metadata as indented JSON with camelCase
    /// property names; reads back as a <see cref="BlockDriverReportDocument"/>.</summary>
    public static string Json(
        BlockDriverReportMetadata metadata,
        IReadOnlyList<BlockDriverResult> turnstone,
        IReadOnlyList<BlockDriverResult>? qemu = null,
        IReadOnlyList<VirtioBlockBenchResult>? hostCeiling = null) =>
        JsonSerializer.Serialize(new BlockDriverReportDocument(metadata, turnstone, qemu, hostCeiling), BenchJson.Default.BlockDriverReportDocument);

    /// <inheritdoc cref="BlockDriverPlot.Draw"/>
    public static string Svg(
        IReadOnlyList<BlockDriverResult> turnstone,
        IReadOnlyList<BlockDriverResult>? qemu = null,
        BlockDriverReportMetadata? metadata = null) =>
        BlockDriverPlot.Draw(turnstone, qemu, metadata);

    private static string Rate(double megabytesPerSecond) => megabytesPerSecond.ToString("F2", CultureInfo.InvariantCulture);

    private static string Iops(double iops) => iops.ToString("F1", CultureInfo.InvariantCulture);

    // Two decimals hide a monitor a hundred times slower than the other; small ratios keep two
    // significant digits instead.
    private static string Ratio(double numerator, double? denominator) =>
        denominator is double d && d > 0
            ? (numerator / d).ToString(numerator / d >= 0.1 ? "F2" : "G2", CultureInfo.InvariantCulture)
            : Missing;
}
