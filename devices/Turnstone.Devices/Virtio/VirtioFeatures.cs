namespace Turnstone.Devices.Virtio;

/// <summary>
/// Device-independent virtio feature bits (virtio 1.2, "Reserved Feature Bits"), as masks over the
/// 64-bit feature word the transport exposes 32 bits at a time.
/// </summary>
public static class VirtioFeatures
{
    /// <summary>VIRTIO_F_INDIRECT_DESC (28): descriptors may point at indirect descriptor tables.</summary>
    public const ulong IndirectDescriptors = 1UL << 28;

    /// <summary>VIRTIO_F_EVENT_IDX (29): used_event / avail_event instead of the ring flags.</summary>
    public const ulong EventIndex = 1UL << 29;

    /// <summary>VIRTIO_F_VERSION_1 (32): a virtio 1.x (non-legacy) device; a driver that does not
    /// accept it is refused.</summary>
    public const ulong Version1 = 1UL << 32;

    /// <summary>VIRTIO_F_ACCESS_PLATFORM (33): device access goes through an IOMMU. Not offered.</summary>
    public const ulong AccessPlatform = 1UL << 33;

    /// <summary>VIRTIO_F_RING_PACKED (34): packed virtqueues. Not offered; only split rings exist here.</summary>
    public const ulong RingPacked = 1UL << 34;

    /// <summary>VIRTIO_F_IN_ORDER (35). Not offered.</summary>
    public const ulong InOrder = 1UL << 35;

    /// <summary>VIRTIO_F_NOTIFICATION_DATA (38). Not offered.</summary>
    public const ulong NotificationData = 1UL << 38;

    /// <summary>The ring features this virtqueue implementation understands.</summary>
    public const ulong SupportedRingFeatures = IndirectDescriptors | EventIndex | Version1;
}

/// <summary>virtio-blk feature bits (virtio 1.2, 5.2.3). GET_ID has no feature bit: every device answers it.</summary>
public static class VirtioBlockFeatures
{
    /// <summary>VIRTIO_BLK_F_SIZE_MAX (1): size_max holds the largest single segment.</summary>
    public const ulong SizeMax = 1UL << 1;

    /// <summary>VIRTIO_BLK_F_SEG_MAX (2): seg_max holds the most segments in a request.</summary>
    public const ulong SegMax = 1UL << 2;

    /// <summary>VIRTIO_BLK_F_GEOMETRY (4): geometry is valid.</summary>
    public const ulong Geometry = 1UL << 4;

    /// <summary>VIRTIO_BLK_F_RO (5): the device is read-only.</summary>
    public const ulong ReadOnly = 1UL << 5;

    /// <summary>VIRTIO_BLK_F_BLK_SIZE (6): blk_size holds the optimal block size.</summary>
    public const ulong BlockSize = 1UL << 6;

    /// <summary>VIRTIO_BLK_F_FLUSH (9): VIRTIO_BLK_T_FLUSH is supported.</summary>
    public const ulong Flush = 1UL << 9;

    /// <summary>VIRTIO_BLK_F_TOPOLOGY (10): topology is valid.</summary>
    public const ulong Topology = 1UL << 10;

    /// <summary>VIRTIO_BLK_F_CONFIG_WCE (11): writeback is writable. Not offered.</summary>
    public const ulong ConfigWce = 1UL << 11;

    /// <summary>VIRTIO_BLK_F_MQ (12): num_queues request queues. Not offered.</summary>
    public const ulong MultiQueue = 1UL << 12;

    /// <summary>VIRTIO_BLK_F_DISCARD (13): VIRTIO_BLK_T_DISCARD is supported.</summary>
    public const ulong Discard = 1UL << 13;

    /// <summary>VIRTIO_BLK_F_WRITE_ZEROES (14): VIRTIO_BLK_T_WRITE_ZEROES is supported.</summary>
    public const ulong WriteZeroes = 1UL << 14;

    /// <summary>VIRTIO_BLK_F_LIFETIME (15). Not offered.</summary>
    public const ulong Lifetime = 1UL << 15;

    /// <summary>VIRTIO_BLK_F_SECURE_ERASE (16). Not offered.</summary>
    public const ulong SecureErase = 1UL << 16;
}
