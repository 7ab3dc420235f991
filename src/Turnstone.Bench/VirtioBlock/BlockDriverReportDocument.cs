namespace Turnstone.Bench.VirtioBlock;

/// <summary>The JSON document <see cref="BlockDriverReport.Json"/> writes: each source's raw
/// results, null for a source that was not run.</summary>
public sealed record BlockDriverReportDocument(
    BlockDriverReportMetadata Metadata,
    IReadOnlyList<BlockDriverResult> Turnstone,
    IReadOnlyList<BlockDriverResult>? Qemu,
    IReadOnlyList<VirtioBlockBenchResult>? HostCeiling);
