namespace Turnstone.Bench.VirtioBlock;

/// <summary>
/// One workload as turnstone-blkbench (images/blkbench/blkbench.c) measured it, in the guest on
/// /dev/vdb or on the host on the file behind it.
/// </summary>
/// <param name="Workload">seq-write, seq-read or rand-read.</param>
/// <param name="BlockBytes">Bytes per request.</param>
/// <param name="Direct">False when the file system refused O_DIRECT and blkbench measured buffered
/// I/O instead (its --allow-buffered), which is not comparable with a direct figure.</param>
public sealed record VirtioBlockBenchResult(
    string Workload,
    int BlockBytes,
    long Operations,
    long Bytes,
    double Seconds,
    double MegabytesPerSecond,
    double Iops,
    bool Direct);
