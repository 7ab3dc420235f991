using Turnstone.Acpi.Description;
using Turnstone.PciRoot;

namespace Turnstone.Machine.Platform;

/// <summary>
/// One device at fixed addresses, as the machine places it: its port and MMIO ranges, the ISA IRQ
/// it raises and its <see cref="AcpiRole"/>. <see cref="PlatformBuilder"/> derives the ACPI
/// description from these records and <see cref="PlatformBuses"/> puts the device instances on
/// exactly these ranges, wired to exactly this IRQ.
/// </summary>
internal sealed record PlatformDevice
{
    /// <summary>The device's name in errors, and its ACPI name when its role puts it in <c>\_SB</c>.</summary>
    public required string Name { get; init; }

    public IReadOnlyList<AddressWindow> Ports { get; init; } = [];

    public IReadOnlyList<AddressWindow> Mmio { get; init; } = [];

    /// <summary>The ISA IRQ the device raises, or null. No interrupt source override moves one, so it is also the GSI.</summary>
    public byte? Irq { get; init; }

    public required AcpiRole Acpi { get; init; }
}
