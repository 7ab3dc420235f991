namespace Turnstone.Devices.Pci;

/// <summary>Capability IDs of the standard list chained from 0x34.</summary>
public static class PciCapabilityId
{
    public const byte PowerManagement = 0x01;
    public const byte Msi = 0x05;
    public const byte VendorSpecific = 0x09;
    public const byte PciExpress = 0x10;
    public const byte MsiX = 0x11;
}
