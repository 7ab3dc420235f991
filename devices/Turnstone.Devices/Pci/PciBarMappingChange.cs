namespace Turnstone.Devices.Pci;

/// <summary>
/// A BAR moved or its decoding was switched. Unmap <see cref="Previous"/> if it was enabled, then
/// map <see cref="Current"/> if it is.
/// </summary>
public readonly record struct PciBarMappingChange(PciBarMapping Previous, PciBarMapping Current)
{
    public int Index => Current.Index;
}
