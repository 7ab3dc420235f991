namespace Turnstone.Bench.Boot;

/// <summary>
/// The figures the benchmarks take from the summary line <c>turnstone run</c> prints at the end
/// of a run (<c>MachineRunSummary.ToString</c>): the engine, the run's wall time, the boot timer,
/// the software engine's retired guest instructions, and the monitor's memory beyond guest RAM;
/// on a BIOS boot also the firmware's own time and calls (<c>; bios F ms (N calls; disk transfers
/// D ms, M MiB)</c>: the monitor's time in POST and in every BIOS call it handled, and the part of it
/// spent copying sectors between the images and guest memory) and when the kernel was entered
/// (<c>; kernel entered after S s</c>, software engine: the first switch to long mode). Those
/// are null in summaries that do not have them.
/// </summary>
public sealed record RunSummaryFigures(
    string Engine,
    double RanSeconds,
    double? BootTimerSeconds,
    long? GuestInstructions,
    long MonitorBeyondGuestRamMebibytes,
    long ManagedHeapMebibytes,
    double? BiosMilliseconds = null,
    long? BiosCalls = null,
    double? KernelEnteredSeconds = null,
    double? BiosDiskMilliseconds = null,
    double? BiosDiskMebibytes = null)
{
    /// <summary>Guest instructions per second over the whole run (to the guest's reset after init),
    /// as the summary computes it; null on KVM, which counts none.</summary>
    public double? InstructionsPerSecond => GuestInstructions is { } count && RanSeconds > 0 ? count / RanSeconds : null;
}
