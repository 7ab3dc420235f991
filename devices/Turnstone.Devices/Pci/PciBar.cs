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

/// <summary>
/// Where a BAR currently sits and whether the function decodes it: the machine maps exactly the
/// enabled mappings on its MMIO or port bus.
/// </summary>
public readonly record struct PciBarMapping(
    int Index,
    PciBarKind Kind,
    ulong Address,
    ulong Size,
    bool Prefetchable,
    bool Enabled)
{
    public bool IsIo => Kind == PciBarKind.Io;

    public override string ToString() =>
        $"BAR{Index} {Kind}{(Prefetchable ? " prefetchable" : "")} 0x{Address:x}+0x{Size:x} {(Enabled ? "decoding" : "off")}";
}

/// <summary>
/// A BAR moved or its decoding was switched. Unmap <see cref="Previous"/> if it was enabled, then
/// map <see cref="Current"/> if it is.
/// </summary>
public readonly record struct PciBarMappingChange(PciBarMapping Previous, PciBarMapping Current)
{
    public int Index => Current.Index;
}
