namespace Turnstone.Devices.VirtioPci;

/// <summary>
/// Where the virtio-pci modern structures live. BAR0 (64-bit prefetchable memory, 16 KiB for up to
/// 1024 queues) holds the virtio structures, one 4 KiB page each so the machine can trap or map
/// them independently; BAR2 (32-bit non-prefetchable memory, 4 KiB for up to 128 vectors) holds
/// the MSI-X table and PBA, kept out of the prefetchable BAR as the PCI spec asks.
/// <code>
/// BAR0 0x0000  common configuration (struct virtio_pci_common_cfg, 0x38 bytes)
///      0x1000  ISR status (1 byte, read to clear)
///      0x2000  device-specific configuration
///      0x3000  notify area: queue i at 0x3000 + 4 * i (notify_off_multiplier 4, queue_notify_off i)
/// BAR2 0x0000  MSI-X table, (queues + 1) vectors
///      0x0800  MSI-X PBA
/// </code>
/// </summary>
public static class VirtioPciLayout
{
    public const int StructureBar = 0, MsixBar = 2;

    public const uint CommonConfigOffset = 0x0000, IsrOffset = 0x1000, DeviceConfigOffset = 0x2000, NotifyOffset = 0x3000;

    /// <summary>The largest device configuration BAR0 has room for.</summary>
    public const int MaximumDeviceConfigSize = 0x1000;

    public const uint NotifyOffMultiplier = 4;

    public const ulong MinimumStructureBarSize = 0x4000, MinimumMsixBarSize = 0x1000;

    public const uint MsixTableOffset = 0x0000, MsixPbaOffset = 0x0800;

    /// <summary>cfg_type of the vendor-specific capabilities (virtio 1.2, 4.1.4).</summary>
    public const byte CommonConfigType = 1, NotifyConfigType = 2, IsrConfigType = 3, DeviceConfigType = 4, PciConfigType = 5;

    /// <summary>MSI-X "no vector": the driver wants no interrupt, or the device refused the mapping.</summary>
    public const ushort NoVector = 0xFFFF;

    /// <summary>PCI vendor of every virtio device; non-transitional device IDs are 0x1040 + the virtio device type.</summary>
    public const ushort VendorId = 0x1AF4, ModernDeviceIdBase = 0x1040;

    public const byte Revision = 1;

    /// <summary>ISR status bits.</summary>
    public const byte IsrQueueInterrupt = 1, IsrConfigInterrupt = 2;
}
