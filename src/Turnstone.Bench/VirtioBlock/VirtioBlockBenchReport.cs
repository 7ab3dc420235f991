using System.Globalization;
using System.Text;

namespace Turnstone.Bench.VirtioBlock;

/// <summary>
/// The side-by-side table of `turnstone bench virtio-blk`: each workload as the guest saw it
/// through our virtio-blk, next to the host's own figures for the same file (the ceiling).
/// </summary>
public static class VirtioBlockBenchReport
{
    private const string Missing = "-", BufferedMark = "*";
    private static readonly string[] Header = ["workload", "block", "guest MB/s", "guest IOPS", "host MB/s", "host IOPS", "guest/host"];

    /// <summary>One row per guest workload, in the guest's order, then any workload only the host
    /// ran; a host workload is paired with the guest's by name and block size.</summary>
    public static string Build(IReadOnlyList<VirtioBlockBenchResult> guest, IReadOnlyList<VirtioBlockBenchResult> host)
    {
        var rows = new List<string[]> { Header };
        foreach (var result in guest)
        {
            rows.Add(Row(result, host.FirstOrDefault(h => SameWorkload(h, result))));
        }
        foreach (var result in host.Where(h => !guest.Any(g => SameWorkload(g, h))))
        {
            rows.Add(Row(null, result));
        }

        var table = new StringBuilder();
        int[] widths = Enumerable.Range(0, Header.Length).Select(column => rows.Max(row => row[column].Length)).ToArray();
        foreach (string[] row in rows)
        {
            // Names read best left-aligned, numbers right-aligned.
            var cells = row.Select((cell, column) => column < 2 ? cell.PadRight(widths[column]) : cell.PadLeft(widths[column]));
            table.AppendLine(string.Join("  ", cells).TrimEnd());
        }
        table.AppendLine("MB/s: 10^6 bytes per second; guest/host: guest MB/s over host MB/s.");
        if (guest.Concat(host).Any(r => !r.Direct))
        {
            table.AppendLine($"{BufferedMark} buffered I/O: that file system refused O_DIRECT, so the figure is not comparable with a direct one.");
        }
        return table.ToString();
    }

    private static bool SameWorkload(VirtioBlockBenchResult a, VirtioBlockBenchResult b) =>
        a.Workload == b.Workload && a.BlockBytes == b.BlockBytes;

    private static string[] Row(VirtioBlockBenchResult? guest, VirtioBlockBenchResult? host)
    {
        var any = guest ?? host ?? throw new ArgumentException("a row needs a guest or a host result");
        string ratio = guest is null || host is null || host.MegabytesPerSecond == 0
            ? Missing
            : Ratio(guest.MegabytesPerSecond / host.MegabytesPerSecond);
        return [any.Workload, BlockSize(any.BlockBytes), Rate(guest), Iops(guest), Rate(host), Iops(host), ratio];
    }

    private static string Rate(VirtioBlockBenchResult? result) =>
        result is null ? Missing : result.MegabytesPerSecond.ToString("F2", CultureInfo.InvariantCulture) + (result.Direct ? "" : BufferedMark);

    private static string Iops(VirtioBlockBenchResult? result) =>
        result is null ? Missing : result.Iops.ToString("F1", CultureInfo.InvariantCulture);

    // Two decimals hide a guest a hundred times slower than its host; small ratios keep two
    // significant digits instead.
    private static string Ratio(double ratio) =>
        ratio.ToString(ratio >= 0.1 ? "F2" : "G2", CultureInfo.InvariantCulture);

    private static string BlockSize(int bytes) => bytes switch
    {
        _ when bytes % (1024 * 1024) == 0 => $"{bytes / (1024 * 1024)} MiB",
        _ when bytes % 1024 == 0 => $"{bytes / 1024} KiB",
        _ => $"{bytes} B",
    };
}
