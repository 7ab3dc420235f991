namespace Turnstone.Acpi.Description;

/// <summary>MPS INTI polarity (MADT flags bits 0-1).</summary>
public enum MpsIntiPolarity : ushort
{
    ConformsToBus = 0,
    ActiveHigh = 1,
    ActiveLow = 3,
}

/// <summary>MPS INTI trigger mode (MADT flags bits 2-3).</summary>
public enum MpsIntiTrigger : ushort
{
    ConformsToBus = 0,
    Edge = 1,
    Level = 3,
}

/// <summary>
/// An ISA IRQ delivered on another GSI or with other signalling than ISA's (edge, active-high):
/// the PIT's IRQ 0 on GSI 2, or the SCI on IRQ 9 as level-triggered.
/// </summary>
public sealed record InterruptSourceOverride(
    byte IsaIrq,
    uint Gsi,
    MpsIntiPolarity Polarity = MpsIntiPolarity.ConformsToBus,
    MpsIntiTrigger Trigger = MpsIntiTrigger.ConformsToBus)
{
    public ushort Flags => (ushort)((ushort)Polarity | ((ushort)Trigger << 2));
}
