using Turnstone.Machine;

namespace Turnstone.Bench.VirtioBlock;

/// <summary>The guest's figures through our virtio-blk and the host's on the same file, from one run.</summary>
public sealed record VirtioBlockBenchOutcome(
    IReadOnlyList<VirtioBlockBenchResult> Guest,
    IReadOnlyList<VirtioBlockBenchResult> Host,
    MachineRunSummary? Machine);
