namespace Turnstone.Devices.Pci;

/// <summary>
/// The host bridge at 00:00.0 (class 06/00/00, no BARs). Linux's 0xCF8 probe looks for a host
/// bridge on bus 0 before it trusts configuration mechanism #1. The default IDs are Red Hat's
/// generic "QEMU PCIe host bridge" (1b36:0008), which no guest driver binds to or quirks.
/// </summary>
public sealed class PciHostBridge : PciDevice
{
    public const ushort DefaultVendorId = 0x1B36, DefaultDeviceId = 0x0008;

    public static readonly PciAddress Address = new(0, 0, 0);

    public PciHostBridge(ushort vendorId = DefaultVendorId, ushort deviceId = DefaultDeviceId)
        : base(new PciConfigSpace(new PciIdentity(vendorId, deviceId, PciClassCode.HostBridge)))
    {
    }
}
