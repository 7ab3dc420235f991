namespace Turnstone.Engine;

/// <summary>
/// Who models the interrupt controllers (local APIC, I/O APIC, PIC) and the timers (PIT, APIC
/// timer). Callers that need them (the Linux machine) must check this before relying on them.
/// </summary>
public enum InterruptControllerModel
{
    /// <summary>The engine has them (KVM's in-kernel irqchip, created by the Linux machine).</summary>
    InEngine,
    /// <summary>The engine has none: the host models them and raises the vCPU's INTR line through
    /// <see cref="IEngineVcpu.RequestInterrupt"/>. The software engine: for Linux its machine backend
    /// connects devices/' local APIC, I/O APIC, 8259 pair and PIT (SoftwareInterruptControllers).</summary>
    Host,
}
