namespace Turnstone.Machine.Engines;

/// <summary>
/// What one engine adds to <see cref="MachineRunSummary"/>: KVM's emulated instructions and
/// system-call repairs (nested hosts), the software engine's retired instructions and the
/// interrupts its controllers handed to the core, and the host time its guest clock held back from
/// stalls of the vCPU thread and how much of it is still to give back (<see cref="Turnstone.Devices.Timers.VcpuPacedClock"/>),
/// and when its CPU first entered long mode (a <see cref="System.Diagnostics.Stopwatch"/> timestamp; after a BIOS, the kernel's start).
/// </summary>
internal sealed record EngineRunFigures(
    IReadOnlyDictionary<Iced.Intel.Mnemonic, long> EmulatedInstructions,
    long SystemCallsRepaired,
    long LegacySystemCallsRepaired,
    long MonitorResidentBytes,
    long? InstructionsRetired = null,
    long InterruptsDelivered = 0,
    (TimeSpan HeldBack, TimeSpan Lag)? GuestClock = null,
    long? FirstLongModeEntryTimestamp = null);
