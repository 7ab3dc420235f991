namespace Turnstone.Devices.Pci;

/// <summary>An MSI write as the function would put it on the bus: a dword of data to an address.</summary>
public readonly record struct MsiMessage(ulong Address, uint Data)
{
    public override string ToString() => $"MSI 0x{Address:x} <- 0x{Data:x}";
}
