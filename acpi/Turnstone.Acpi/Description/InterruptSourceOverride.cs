namespace Turnstone.Acpi.Description;

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
