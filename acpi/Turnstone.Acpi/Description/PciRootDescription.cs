using Turnstone.PciRoot;

namespace Turnstone.Acpi.Description;

/// <summary>
/// PCI segment 0's root complex. <see cref="EcamBase"/> is the address of bus 0's configuration
/// space, as the MCFG defines it, even when <see cref="StartBus"/> is not 0; the ECAM window
/// actually decoded is buses StartBus..EndBus at 1 MiB each.
/// </summary>
public sealed record PciRootDescription
{
    public const int EcamBytesPerBus = 1 << 20;

    public required ulong EcamBase { get; init; }

    public byte StartBus { get; init; }

    public required byte EndBus { get; init; }

    /// <summary>
    /// The ports of configuration mechanism #1 (0xCF8-0xCFF on a PC). The root bridge consumes
    /// them itself, so its _CRS claims them and no I/O window may include them.
    /// </summary>
    public required AddressWindow ConfigurationPorts { get; init; }

    /// <summary>I/O port ranges the root bridge forwards to PCI (for a PC: 0-0xCF7 and 0xD00-0xFFFF).</summary>
    public required IReadOnlyList<AddressWindow> IoWindows { get; init; }

    /// <summary>MMIO for BARs below 4 GiB.</summary>
    public required AddressWindow Mmio32Window { get; init; }

    /// <summary>MMIO for 64-bit BARs above 4 GiB, or null when there is none.</summary>
    public AddressWindow? Mmio64Window { get; init; }

    public IReadOnlyList<PciInterruptRoute> InterruptRoutes { get; init; } = [];

    /// <summary>The ECAM bytes for StartBus..EndBus, which the motherboard reserves.</summary>
    public AddressWindow EcamWindow =>
        new(EcamBase + (ulong)StartBus * EcamBytesPerBus, (ulong)(EndBus - StartBus + 1) * EcamBytesPerBus);
}
