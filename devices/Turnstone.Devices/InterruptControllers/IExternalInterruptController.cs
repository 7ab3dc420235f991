namespace Turnstone.Devices.InterruptControllers;

/// <summary>
/// What a local APIC sees of an 8259-style controller behind its LINT0 pin in ExtINT (virtual
/// wire) mode: whether INTR is up, and the INTA cycle that yields the vector.
/// </summary>
public interface IExternalInterruptController
{
    /// <summary>INTR: a request is pending that beats whatever is in service.</summary>
    bool InterruptPending { get; }

    /// <summary>The INTA cycle: the vector of the highest request, now in service (a spurious IRQ 7 or 15 when none is left).</summary>
    byte AcknowledgeInterrupt();
}
