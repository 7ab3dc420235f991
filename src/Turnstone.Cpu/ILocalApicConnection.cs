namespace Turnstone.Cpu;

/// <summary>
/// What the CPU core needs of the local APIC the machine puts beside it, without the CPU assembly
/// knowing the device: the TSC read from the same guest clock the APIC's timer counts against (so
/// TSC-deadline mode agrees with RDTSC), the two MSRs that belong to the APIC, and CR8, which is
/// the APIC's task priority seen from the core. Once connected
/// (<see cref="SoftwareCpu.ConnectLocalApic"/>), CPUID advertises the APIC and TSC-deadline mode.
/// Called on the vCPU thread only.
/// </summary>
public interface ILocalApicConnection
{
    /// <summary>The time-stamp counter now, at <see cref="SoftwareCpu.TscFrequency"/>.</summary>
    ulong ReadTimeStampCounter();

    /// <summary>IA32_APIC_BASE (MSR 0x1B).</summary>
    ulong ApicBase { get; }

    /// <summary>A WRMSR to IA32_APIC_BASE; false when it must raise #GP.</summary>
    bool TryWriteApicBase(ulong value);

    /// <summary>IA32_TSC_DEADLINE (MSR 0x6E0). A write arms the APIC timer: the machine must look at its deadlines again.</summary>
    ulong TscDeadline { get; set; }

    /// <summary>CR8: the task-priority class, TPR bits 7:4 (0-15). A write is a TPR write: a lower
    /// priority may release a held interrupt.</summary>
    ulong TaskPriorityClass { get; set; }
}
