namespace Turnstone.Devices.VirtioPci;

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
