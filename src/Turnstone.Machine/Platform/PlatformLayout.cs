using Turnstone.Acpi.Description;
using Turnstone.PciRoot;

namespace Turnstone.Machine.Platform;

/// <summary>
/// Where the machine puts what a guest finds by address rather than by probing: the ACPI root
/// pointer and tables in the legacy BIOS area, the PCI Express configuration window and the
/// 32-bit BAR window in the MMIO hole below 4 GiB, and the GSIs of the PCI INTx lines.
/// </summary>
/// <remarks>
/// The hole, 0xC000_0000 up to 4 GiB:
/// <code>
/// 0xC000_0000-0xDFFF_FFFF  PCI BARs (32-bit window; 64-bit BARs are placed here too)
/// 0xE000_0000-0xE00F_FFFF  ECAM, bus 0 only
/// 0xFEB0_0000              boot timer byte
/// 0xFEC0_0000              I/O APIC
/// 0xFEE0_0000              local APICs
/// 0xFFFB_C000-0xFFFB_FFFF  KVM's real-mode TSS and identity map
/// </code>
/// There is no 64-bit window: the guest's physical address width is the host's, which we do
/// not know here, and a handful of virtio BARs fit below 4 GiB with room to spare.
/// </remarks>
public static class PlatformLayout
{
    /// <summary>16-byte aligned inside 0xE0000-0xFFFFF, where a legacy scan for "RSD PTR " looks.</summary>
    public const ulong RsdpAddress = 0xE0000;

    /// <summary>The other tables follow on the next page; E820 marks their pages as ACPI data.</summary>
    public const ulong AcpiTablesAddress = 0xE1000;

    /// <summary>The tables end below the BIOS ROM area (0xF0000), which stays merely reserved.</summary>
    public const ulong AcpiTablesLimit = 0xF0000;

    public const ulong PciMmio32Base = GuestRamLayout.MmioHoleStart;
    public const ulong PciMmio32Size = 0x2000_0000;

    public const ulong EcamBase = 0xE000_0000;
    public const byte LastPciBus = 0;

    public const uint IoApicAddress = 0xFEC0_0000;
    public const byte IoApicId = 0;

    /// <summary>
    /// PCI INTx lines use I/O APIC pins 16-23, above the ISA IRQs, as on a q35 PC: slot d's INTA is
    /// GSI 16 + (d - 1) mod 8, and the _PRT says exactly that.
    /// </summary>
    public const uint FirstPciGsi = 16;
    public const int PciGsiCount = 8;

    /// <summary>I/O BARs get the top quarter of the port space; no device here has one yet.</summary>
    public static AddressWindow PciIoBarWindow => new(0xC000, 0x4000);

    public static AddressWindow EcamWindow => new(EcamBase, (ulong)(LastPciBus + 1) * PciRootDescription.EcamBytesPerBus);

    public static uint GsiOfSlot(int device) =>
        device is >= 1 and < 32 ? FirstPciGsi + (uint)((device - 1) % PciGsiCount) : throw new ArgumentOutOfRangeException(nameof(device));
}
