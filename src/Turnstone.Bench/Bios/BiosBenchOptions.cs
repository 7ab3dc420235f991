using Turnstone.Bench.Boot;

namespace Turnstone.Bench.Bios;

/// <summary>
/// What one <c>bench bios</c> run does: the rows; how to start our monitor (its executable, and
/// the assembly when that is the dotnet host); QEMU (null, with <paramref name="QemuMissing"/>
/// saying why); repeats and the per-boot timeout; where the disk copies go (null: the system's
/// temporary directory); and what runs a boot (<see cref="BootProcessRunner.Run(BootProcessLaunch)"/>;
/// tests give a fake).
/// </summary>
public sealed record BiosBenchOptions(
    BiosBenchPlan Plan,
    IReadOnlyList<string> TurnstoneCommand,
    string? Qemu,
    string QemuMissing,
    int Repeats,
    TimeSpan Timeout,
    string? ScratchDirectory,
    Func<BootProcessLaunch, BootProcessRun> Runner);
