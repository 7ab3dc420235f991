namespace Turnstone.PciRoot;

/// <summary>
/// A range of guest-physical or port addresses: a window the PCI root forwards (the BAR allocator
/// places BARs in it, the host bridge's _CRS declares it) or the ECAM it decodes. <see cref="End"/>
/// is exclusive, as the allocator counts; <see cref="Last"/> inclusive, as ACPI writes ranges.
/// </summary>
public readonly record struct AddressWindow(ulong Base, ulong Size)
{
    public static AddressWindow None => default;

    public bool IsEmpty => Size == 0;

    public ulong End => Base + Size;

    public ulong Last => Base + Size - 1;

    public bool Contains(ulong address, ulong size) =>
        !IsEmpty && address >= Base && size <= Size && address - Base <= Size - size;

    public override string ToString() => IsEmpty ? "none" : $"0x{Base:x}-0x{Last:x}";
}
