namespace Turnstone.Machine.Engines;

/// <summary>
/// What one engine adds to <see cref="MachineRunSummary"/>: KVM's emulated instructions and
/// system-call repairs (nested hosts), the software engine's retired instructions and the
/// interrupts its controllers handed to the core.
/// </summary>
internal sealed record EngineRunFigures(
    IReadOnlyDictionary<Iced.Intel.Mnemonic, long> EmulatedInstructions,
    long SystemCallsRepaired,
    long LegacySystemCallsRepaired,
    long MonitorResidentBytes,
    long? InstructionsRetired = null,
    long InterruptsDelivered = 0);
