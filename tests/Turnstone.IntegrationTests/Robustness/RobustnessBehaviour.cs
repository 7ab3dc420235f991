namespace Turnstone.IntegrationTests.Robustness;

/// <summary>What a <see cref="RobustnessGuest"/> does after it printed <see cref="RobustnessGuest.Ready"/>.</summary>
public enum RobustnessBehaviour
{
    /// <summary>Loads an IDT with limit 0 and executes UD2: #UD, #GP and #DF find no gate, so the CPU shuts down.</summary>
    TripleFault,

    /// <summary><c>cli; jmp $</c>: no exit, no interrupt, ever.</summary>
    SpinWithInterruptsOff,

    /// <summary>With interrupts off, UD2 whose #UD handler is a bare IRETD: the fault returns to the UD2, forever.</summary>
    FaultLoopWithInterruptsOff,

    /// <summary>The APIC timer periodic with divide 1 and count 1, then <c>cli; jmp $</c>: an interrupt always pending, never deliverable.</summary>
    TimerDueWithInterruptsOff,

    /// <summary>The APIC timer periodic with initial count 0 (disarmed), then <c>sti; hlt</c> in a loop.</summary>
    ApicPeriodicCountZero,

    /// <summary>The APIC timer periodic, divide 1, initial count 1 (40 ns at 25 MHz), then halts in a loop.</summary>
    ApicPeriodicCountOne,

    /// <summary>The APIC timer periodic, divide 128, initial count 0xFFFFFFFF (about six hours), then halts in a loop.</summary>
    ApicPeriodicHugeCount,

    /// <summary>The APIC timer one-shot, divide 128, initial count 0xFFFFFFFF, then halts in a loop.</summary>
    ApicOneShotHugeCount,

    /// <summary>TSC-deadline mode with IA32_TSC_DEADLINE at 2^64 - 1 (centuries away), then halts in a loop.</summary>
    TscDeadlineFarFuture,

    /// <summary>TSC-deadline mode with IA32_TSC_DEADLINE at 1 (long past: due at once), then halts in a loop.</summary>
    TscDeadlinePast,

    /// <summary>PIT channel 0 in mode 2 with reload 0 (65536: 18.2 Hz) through the 8259 to LINT0, then halts in a loop.</summary>
    PitRateGeneratorReloadZero,

    /// <summary>PIT channel 0 in mode 2 with reload 1 (1.19 MHz on paper), then halts in a loop.</summary>
    PitRateGeneratorReloadOne,

    /// <summary>PIT channel 0 in mode 3 with reload 1, then halts in a loop.</summary>
    PitSquareWaveReloadOne,

    /// <summary>The APIC timer periodic with divide 1 and count 1, and a self-IPI sent in an endless loop with interrupts on.</summary>
    InterruptFlood,

    /// <summary>TSC-deadline mode, and IA32_TSC_DEADLINE written with 1 (due at once) in an endless loop with interrupts on.</summary>
    TscDeadlineFlood,

    /// <summary>Prints <see cref="RobustnessGuest.Ready"/> on COM1 over and over, with interrupts off, as fast as it can.</summary>
    ConsoleFlood,
}
