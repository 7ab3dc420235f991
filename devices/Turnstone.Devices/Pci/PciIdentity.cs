namespace Turnstone.Devices.Pci;

/// <summary>The read-only identification registers of a type 0 header.</summary>
public sealed record PciIdentity(
    ushort VendorId,
    ushort DeviceId,
    PciClassCode ClassCode,
    byte Revision = 0,
    ushort SubsystemVendorId = 0,
    ushort SubsystemId = 0);
