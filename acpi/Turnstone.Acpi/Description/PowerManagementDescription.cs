namespace Turnstone.Acpi.Description;

/// <summary>
/// The fixed ACPI hardware in I/O space: PM1a event block (status and enable, 2 bytes each),
/// PM1a control block (2 bytes), the reset register (1 byte) and the SCI's ISA IRQ.
/// <see cref="SoftOffSleepType"/> is the SLP_TYP value \_S5_ tells the guest to write to PM1a_CNT
/// to power off, so it must be what the machine's PM device acts on.
/// </summary>
public sealed record PowerManagementDescription(
    ushort EventBlockPort,
    ushort ControlBlockPort,
    ushort ResetPort,
    byte ResetValue,
    byte SciIrq = 9,
    byte SoftOffSleepType = 5)
{
    public const byte EventBlockLength = 4, ControlBlockLength = 2;
}
