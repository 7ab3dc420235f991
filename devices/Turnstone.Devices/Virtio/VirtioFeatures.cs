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
