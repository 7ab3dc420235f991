using Turnstone.Acpi.Description;

namespace Turnstone.Acpi.Tables;

/// <summary>
/// The Fixed ACPI Description Table, ACPI 6.3 layout (revision 6, minor version 3, 276 bytes).
/// The machine is not hardware-reduced: it has a PM1a event block and a PM1a control block in
/// I/O space and an SCI, which is what lets Linux power off through \_S5_ (hardware-reduced
/// machines need a sleep control register instead). Choices, each because of what the guest does:
/// <list type="bullet">
/// <item>No SMI command port: the platform is always in ACPI mode and SCI_EN reads as set.</item>
/// <item>No PM timer (PM_TMR_LEN 0, X_PM_TMR_BLK zero): optional since ACPI 5.0a; Linux then
/// registers no acpi_pm clocksource and uses the TSC/kvmclock.</item>
/// <item>No GPE blocks: nothing raises general-purpose events.</item>
/// <item>RESET_REG in I/O space with RESET_REG_SUP, so Linux's reboot=acpi works.</item>
/// <item>PWR_BUTTON and SLP_BUTTON set: no fixed-feature buttons; the DSDT's PNP0C0C is the power button.</item>
/// <item>FIX_RTC set: the PM1 event block has no RTC_STS/RTC_EN.</item>
/// <item>IA-PC boot flags: legacy devices present, 8042 as described, VGA not present (Turnstone
/// has no display, so Linux skips the VGA console), CMOS RTC as described. "MSI not supported"
/// stays clear, since that flag makes Linux disable MSI for every device.</item>
/// <item>The DSDT only through the 64-bit X_DSDT (DSDT stays 0, so there is nothing to
/// disagree). The FACS through FIRMWARE_CTRL when it is below 4 GiB, else X_FIRMWARE_CTRL: the
/// spec allows only one of the two to be non-zero.</item>
/// </list>
/// </summary>
public static class Fadt
{
    public const int Length = 276;
    public const byte Revision = 6, MinorVersion = 3;

    [Flags]
    internal enum FeatureFlags : uint
    {
        Wbinvd = 1 << 0,
        ProcessorC1 = 1 << 2,
        PowerButtonIsControlMethod = 1 << 4,
        SleepButtonIsControlMethod = 1 << 5,
        RtcWakeNotFixed = 1 << 6,
        ResetRegisterSupported = 1 << 10,
        HardwareReduced = 1 << 20,
    }

    [Flags]
    internal enum IaPcBootFlags : ushort
    {
        LegacyDevices = 1 << 0,
        I8042 = 1 << 1,
        VgaNotPresent = 1 << 2,
        MsiNotSupported = 1 << 3,
        PcieAspmControls = 1 << 4,
        CmosRtcNotPresent = 1 << 5,
    }

    internal const FeatureFlags Features = FeatureFlags.Wbinvd | FeatureFlags.ProcessorC1
        | FeatureFlags.PowerButtonIsControlMethod | FeatureFlags.SleepButtonIsControlMethod
        | FeatureFlags.RtcWakeNotFixed | FeatureFlags.ResetRegisterSupported;

    internal static IaPcBootFlags BootFlags(MachineDescription machine) =>
        IaPcBootFlags.LegacyDevices // COM1 and the other ISA-style devices at fixed ports
        | (machine.HasI8042 ? IaPcBootFlags.I8042 : 0)
        | IaPcBootFlags.VgaNotPresent
        | (machine.HasCmosRtc ? 0 : IaPcBootFlags.CmosRtcNotPresent);

    public static byte[] Build(MachineDescription machine, ulong dsdtAddress, ulong facsAddress)
    {
        ArgumentNullException.ThrowIfNull(machine);
        var pm = machine.PowerManagement;
        bool facsBelow4G = facsAddress <= uint.MaxValue;
        var eventBlock = GenericAddress.IoPort(pm.EventBlockPort, PowerManagementDescription.EventBlockLength, AccessSize.Word);
        var controlBlock = GenericAddress.IoPort(pm.ControlBlockPort, PowerManagementDescription.ControlBlockLength, AccessSize.Word);
        var resetRegister = GenericAddress.IoPort(pm.ResetPort, 1, AccessSize.Byte);

        var body = new TableWriter()
            .U32(facsBelow4G ? (uint)facsAddress : 0) // 36 FIRMWARE_CTRL
            .U32(0) // 40 DSDT: X_DSDT is used
            .U8(0) // 44 reserved
            .U8(0) // 45 preferred PM profile: unspecified
            .U16(pm.SciIrq) // 46 SCI_INT
            .U32(0) // 48 SMI_CMD: none, always in ACPI mode
            .U8(0).U8(0) // 52 ACPI_ENABLE, ACPI_DISABLE
            .U8(0).U8(0) // 54 S4BIOS_REQ, PSTATE_CNT
            .U32(pm.EventBlockPort) // 56 PM1a_EVT_BLK
            .U32(0) // 60 PM1b_EVT_BLK
            .U32(pm.ControlBlockPort) // 64 PM1a_CNT_BLK
            .U32(0) // 68 PM1b_CNT_BLK
            .U32(0) // 72 PM2_CNT_BLK
            .U32(0) // 76 PM_TMR_BLK: no PM timer
            .U32(0).U32(0) // 80 GPE0_BLK, GPE1_BLK
            .U8(PowerManagementDescription.EventBlockLength) // 88 PM1_EVT_LEN
            .U8(PowerManagementDescription.ControlBlockLength) // 89 PM1_CNT_LEN
            .U8(0) // 90 PM2_CNT_LEN
            .U8(0) // 91 PM_TMR_LEN
            .U8(0).U8(0).U8(0) // 92 GPE0_BLK_LEN, GPE1_BLK_LEN, GPE1_BASE
            .U8(0) // 95 CST_CNT
            .U16(101) // 96 P_LVL2_LAT: > 100 means C2 is not supported
            .U16(1001) // 98 P_LVL3_LAT: > 1000 means C3 is not supported
            .U16(0).U16(0) // 100 FLUSH_SIZE, FLUSH_STRIDE
            .U8(0).U8(0) // 104 DUTY_OFFSET, DUTY_WIDTH
            .U8(0).U8(0).U8(0) // 106 DAY_ALRM, MON_ALRM, CENTURY: no RTC alarm or century register claimed
            .U16((ushort)BootFlags(machine)) // 109 IAPC_BOOT_ARCH
            .U8(0) // 111 reserved
            .U32((uint)Features); // 112 flags
        resetRegister.WriteTo(body); // 116 RESET_REG
        body.U8(pm.ResetValue) // 128 RESET_VALUE
            .U16(0) // 129 ARM_BOOT_ARCH
            .U8(MinorVersion) // 131
            .U64(facsBelow4G ? 0 : facsAddress) // 132 X_FIRMWARE_CTRL
            .U64(dsdtAddress); // 140 X_DSDT
        eventBlock.WriteTo(body); // 148 X_PM1a_EVT_BLK
        GenericAddress.None.WriteTo(body); // 160 X_PM1b_EVT_BLK
        controlBlock.WriteTo(body); // 172 X_PM1a_CNT_BLK
        GenericAddress.None.WriteTo(body); // 184 X_PM1b_CNT_BLK
        GenericAddress.None.WriteTo(body); // 196 X_PM2_CNT_BLK
        GenericAddress.None.WriteTo(body); // 208 X_PM_TMR_BLK
        GenericAddress.None.WriteTo(body); // 220 X_GPE0_BLK
        GenericAddress.None.WriteTo(body); // 232 X_GPE1_BLK
        GenericAddress.None.WriteTo(body); // 244 SLEEP_CONTROL_REG: hardware-reduced only
        GenericAddress.None.WriteTo(body); // 256 SLEEP_STATUS_REG
        body.Ascii(SystemDescriptionTable.OemId, 8); // 268 hypervisor vendor identity

        var table = SystemDescriptionTable.Create("FACP", Revision, "FACP", body.ToArray());
        if (table.Length != Length)
        {
            throw new InvalidOperationException($"FADT came out {table.Length} bytes, not {Length}");
        }
        return table;
    }
}
