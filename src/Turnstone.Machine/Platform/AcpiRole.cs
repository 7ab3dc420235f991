namespace Turnstone.Machine.Platform;

/// <summary>
/// How the ACPI tables tell the guest about one <see cref="PlatformDevice"/>. Whatever the role
/// says about ports and IRQs comes from the device's own record (its ranges, its IRQ), so the
/// tables and the buses are filled from one statement and cannot disagree.
/// </summary>
internal abstract record AcpiRole
{
    private AcpiRole()
    {
    }

    /// <summary>A device in the DSDT's <c>\_SB</c>, named as the record is, whose _CRS lists the record's ports, MMIO ranges and IRQ.</summary>
    public sealed record SystemBusDevice(string HardwareId, uint UniqueId) : AcpiRole;

    /// <summary>The FADT's IA-PC boot flag "8042 present": Linux probes ports 0x60/0x64 only when it is set.</summary>
    public sealed record KeyboardController : AcpiRole;

    /// <summary>The FADT's "CMOS RTC not present" flag left clear: Linux then registers its rtc_cmos device.</summary>
    public sealed record CmosRtc : AcpiRole;

    /// <summary>
    /// The FADT's fixed hardware: the PM1a event block, PM1a control block and reset register at
    /// these offsets into the record's one port range, the SCI, and the sleep type <c>\_S5_</c>
    /// names for power-off (which must be what the device acts on).
    /// </summary>
    public sealed record PowerManagement(
        ushort EventBlockOffset, ushort ControlBlockOffset, ushort ResetRegisterOffset, byte ResetValue, byte SciIrq, byte SoftOffSleepType) : AcpiRole;

    /// <summary>Absent from ACPI on purpose: <paramref name="Reason"/> says why the guest need not find it there.</summary>
    public sealed record NotDescribed(string Reason) : AcpiRole;
}
