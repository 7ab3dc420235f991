namespace Turnstone.Bench.Engine;

/// <summary>What one <c>bench engine</c> run measures. <paramref name="ComponentsDirectory"/>: checksum.elf and
/// crc32_host (null skips the CRC-32 and component rows); <paramref name="Qemu"/>: null when there is none.</summary>
public sealed record EngineBenchOptions(
    EngineBenchEngines Engines,
    string? ComponentsDirectory,
    string? Qemu,
    string QemuMissingReason,
    long IntegerIterations,
    long MemoryPasses,
    long CrcBytes,
    int Lifecycles,
    int WarmCalls,
    int Repeats);
