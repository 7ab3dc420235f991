namespace Turnstone.Devices.Pci;

/// <summary>What a Base Address Register decodes.</summary>
public enum PciBarKind
{
    /// <summary>Memory below 4 GiB: one register.</summary>
    Memory32,

    /// <summary>Memory anywhere: this register and the next hold the address.</summary>
    Memory64,

    /// <summary>Port I/O (at most 256 bytes, below 64 KiB on x86).</summary>
    Io,
}
