namespace Turnstone.Bench.Boot;

/// <summary>
/// What one <c>bench boot</c> run does: the rows, the initramfs, how to start our monitor (its
/// executable, and the assembly when that is the dotnet host), QEMU (null, with
/// <paramref name="QemuMissing"/> saying why), repeats and the per-boot timeout.
/// </summary>
public sealed record BootBenchOptions(
    BootBenchPlan Plan,
    string Initramfs,
    IReadOnlyList<string> TurnstoneCommand,
    string? Qemu,
    string QemuMissing,
    int Repeats,
    TimeSpan Timeout);
