namespace Turnstone.Engine;

/// <summary>
/// One virtual CPU. It is run by one thread (KVM binds a vCPU to the thread that runs it); only
/// <see cref="Kick"/> may be called from other threads.
/// </summary>
public interface IEngineVcpu
{
    /// <summary>
    /// The general registers as of the last exit. Changes reach the vCPU at the next <see cref="Run"/>
    /// once <see cref="MarkRegistersDirty"/> has been called.
    /// </summary>
    ref GeneralRegisters Registers { get; }

    void MarkRegistersDirty();

    /// <summary>Sets every general register, RIP and RFLAGS at once (starting a guest).</summary>
    void SetRegisters(in GeneralRegisters registers);

    /// <summary>Runs the guest until an exit. Never throws for what the guest does.</summary>
    EngineExit Run();

    /// <summary>Makes a running <see cref="Run"/> return <see cref="EngineExitKind.Interrupted"/> soon,
    /// or the next one at once when none is running. Any thread.</summary>
    void Kick();

    /// <summary>Sets segments, descriptor tables, CR0/2/3/4 and EFER; other system state keeps its reset value.</summary>
    void SetSystemRegisters(in SystemRegisters registers);

    /// <summary>The page-fault linear address (CR2).</summary>
    ulong Cr2 { get; }

    /// <summary>Puts the extended state and pending events (exceptions, interrupts, NMIs, HLT) back
    /// to the vCPU's reset values, so nothing is left from a previous guest.</summary>
    void ResetExtendedStateAndEvents();

    SavedExtendedState CreateExtendedState();

    void SaveExtendedState(SavedExtendedState state);

    void RestoreExtendedState(SavedExtendedState state);

    /// <summary>Raises the INTR line with <paramref name="vector"/>; delivered through the IDT when
    /// RFLAGS.IF allows. Only for engines whose interrupt controllers the host models
    /// (<see cref="InterruptControllerModel.Host"/>); others throw <see cref="NotSupportedException"/>.</summary>
    void RequestInterrupt(byte vector);

    /// <summary>Instructions this vCPU has retired since it was created, for engines that count them
    /// (the software engine); null where the hardware runs the guest (KVM keeps no such count).</summary>
    long? InstructionsRetired => null;
}
