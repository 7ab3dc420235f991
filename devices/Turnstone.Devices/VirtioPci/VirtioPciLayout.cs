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

/// <summary>Offsets of struct virtio_pci_common_cfg (virtio 1.2, 4.1.4.3), and the width each must be accessed with.</summary>
public static class VirtioPciCommonConfig
{
    public const int DeviceFeatureSelect = 0x00;    // le32
    public const int DeviceFeature = 0x04;          // le32, read-only
    public const int DriverFeatureSelect = 0x08;    // le32
    public const int DriverFeature = 0x0C;          // le32
    public const int ConfigMsixVector = 0x10;       // le16
    public const int NumQueues = 0x12;              // le16, read-only
    public const int DeviceStatus = 0x14;           // u8
    public const int ConfigGeneration = 0x15;       // u8, read-only
    public const int QueueSelect = 0x16;            // le16
    public const int QueueSize = 0x18;              // le16
    public const int QueueMsixVector = 0x1A;        // le16
    public const int QueueEnable = 0x1C;            // le16
    public const int QueueNotifyOff = 0x1E;         // le16, read-only
    public const int QueueDesc = 0x20;              // le64
    public const int QueueDriver = 0x28;            // le64
    public const int QueueDevice = 0x30;            // le64

    /// <summary>
    /// The structure ends before queue_notify_data and queue_reset: VIRTIO_F_NOTIFICATION_DATA and
    /// VIRTIO_F_RING_RESET are not offered, and a capability of this length tells Linux so.
    /// </summary>
    public const int Length = 0x38;
}
