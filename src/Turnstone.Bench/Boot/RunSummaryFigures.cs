namespace Turnstone.Bench.Boot;

/// <summary>
/// The figures <c>bench boot</c> takes from the summary line <c>turnstone run</c> prints at the end
/// of a run (<c>MachineRunSummary.ToString</c>): the engine, the run's wall time, the boot timer,
/// the software engine's retired guest instructions, and the monitor's memory beyond guest RAM.
/// </summary>
public sealed record RunSummaryFigures(
    string Engine,
    double RanSeconds,
    double? BootTimerSeconds,
    long? GuestInstructions,
    long MonitorBeyondGuestRamMebibytes,
    long ManagedHeapMebibytes)
{
    /// <summary>Guest instructions per second over the whole run (to the guest's reset after init),
    /// as the summary computes it; null on KVM, which counts none.</summary>
    public double? InstructionsPerSecond => GuestInstructions is { } count && RanSeconds > 0 ? count / RanSeconds : null;
}
