namespace Turnstone.Bench.VirtioBlock;

/// <summary>What a complete turnstone-blkdriver run says about itself besides its results.</summary>
/// <param name="IoTraps">Port I/O the guest's CPL 3 code trapped on (from the done line): expected 0.</param>
/// <param name="TscHz">The TSC frequency the guest timed with, when its platform line was seen.</param>
/// <param name="TscSource">Where that frequency came from (cpuid-15, cpuid-40000010, pit, ...).</param>
public sealed record BlockDriverRunInfo(long IoTraps, long? TscHz, string? TscSource);
