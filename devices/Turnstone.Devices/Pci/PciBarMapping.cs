namespace Turnstone.Devices.Pci;

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
