namespace Turnstone.Acpi.Description;

/// <summary>
/// What the guest may learn about the machine through ACPI: processors, interrupt controllers,
/// the PCI root complex and its windows, the legacy devices and the fixed power-management
/// registers. The machine fills it in from what it actually built; the table builders only
/// encode it, so every address and port here is the machine's decision, not ours.
/// </summary>
public sealed partial record MachineDescription
{
    /// <summary>The architectural default, where every x86 CPU's local APIC answers.</summary>
    public const uint DefaultLocalApicAddress = 0xFEE0_0000;

    /// <summary>
    /// Processors 0 to VcpuCount - 1 have APIC id and ACPI processor UID equal to their index.
    /// At most 255: the MADT's Processor Local APIC entry has one-byte ids and 0xFF is broadcast.
    /// </summary>
    public required int VcpuCount { get; init; }

    public uint LocalApicAddress { get; init; } = DefaultLocalApicAddress;

    public required IoApicDescription IoApic { get; init; }

    /// <summary>ISA IRQs that do not arrive on the identically numbered GSI edge-triggered and active-high.</summary>
    public IReadOnlyList<InterruptSourceOverride> InterruptSourceOverrides { get; init; } = [];

    public required PciRootDescription Pci { get; init; }

    /// <summary>
    /// The devices at fixed resources in <c>\_SB</c> beside the PCI root (a PC's COM1, for one),
    /// in the order the DSDT lists them.
    /// </summary>
    public IReadOnlyList<SystemBusDeviceDescription> SystemBusDevices { get; init; } = [];

    public required PowerManagementDescription PowerManagement { get; init; }

    /// <summary>An 8042 keyboard controller at ports 0x60/0x64: sets the FADT's 8042 boot flag, without which Linux does not probe it.</summary>
    public required bool HasI8042 { get; init; }

    /// <summary>A CMOS RTC at ports 0x70/0x71: when false the FADT says "CMOS RTC not present" and Linux registers no rtc_cmos device.</summary>
    public required bool HasCmosRtc { get; init; }
}
