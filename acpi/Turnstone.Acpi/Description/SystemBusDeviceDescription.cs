using Turnstone.PciRoot;

namespace Turnstone.Acpi.Description;

/// <summary>
/// A device the OS cannot find by probing, at resources that never move (a 16550 UART, a
/// motherboard register block): <c>Device (Name)</c> in <c>\_SB</c> with a _HID, a _UID and a
/// _CRS listing its I/O ranges, then its 32-bit memory ranges, then its ISA IRQ. Which ports,
/// ranges and IRQ is the machine's decision; the DSDT only encodes them.
/// </summary>
/// <param name="Name">The ACPI name segment, one to four characters (A-Z or '_' first, then A-Z, 0-9 or '_').</param>
/// <param name="HardwareId">A PNP id such as "PNP0501", encoded as an EISA id.</param>
/// <param name="UniqueId">The _UID, which tells two devices with the same _HID apart.</param>
public sealed record SystemBusDeviceDescription(string Name, string HardwareId, uint UniqueId)
{
    /// <summary>Fixed I/O port ranges: 16-bit addresses, at most 255 ports each (the IO() descriptor's length is a byte).</summary>
    public IReadOnlyList<AddressWindow> IoPorts { get; init; } = [];

    /// <summary>Fixed memory ranges below 4 GiB (Memory32Fixed).</summary>
    public IReadOnlyList<AddressWindow> Memory { get; init; } = [];

    /// <summary>The ISA IRQ the device raises, edge-triggered and active-high (IRQNoFlags), or null for none.</summary>
    public byte? Irq { get; init; }
}
