namespace Turnstone.Devices.Virtio;

/// <summary>
/// What a driver did wrong with a virtqueue. Every guest-controlled value of a split virtqueue is
/// checked where it is read; a violation becomes one of these values instead of an exception, so
/// the device can answer with an error status or put itself in DEVICE_NEEDS_RESET.
/// </summary>
public enum VirtqueueError
{
    /// <summary>The queue size is zero, not a power of two, or above the device's maximum.</summary>
    InvalidQueueSize,

    /// <summary>A ring area is not aligned as the spec requires (descriptors 16, available 2, used 4).</summary>
    MisalignedRing,

    /// <summary>A ring area (descriptor table, available ring, used ring) is not inside guest RAM.</summary>
    RingOutOfRange,

    /// <summary>The available index ran ahead of the device by more than the queue size: the driver
    /// exposed more buffers than the ring can hold, or moved the index backwards.</summary>
    AvailableIndexOutOfRange,

    /// <summary>A descriptor index (a chain head or a <c>next</c> field) is not below the queue size, or
    /// not below the entry count of the indirect table it indexes.</summary>
    DescriptorOutOfRange,

    /// <summary>A buffer's address and length do not lie inside one region of guest RAM (including
    /// ranges whose end wraps around 2^64).</summary>
    AddressOutOfRange,

    /// <summary>The chain has more descriptors than the table it walks can hold; a loop ends here.</summary>
    ChainTooLong,

    /// <summary>The chain's buffers add up to more than 2^32 bytes, which the spec forbids.</summary>
    ChainTooLarge,

    /// <summary>An indirect descriptor the device cannot follow: VIRTIO_F_INDIRECT_DESC not negotiated,
    /// a nested indirect descriptor, INDIRECT combined with NEXT, a table length that is zero, not a
    /// multiple of 16 or above 65536 entries, or a table outside guest RAM.</summary>
    BadIndirect,

    /// <summary>A device-readable descriptor follows a device-writable one; the spec requires every
    /// readable buffer before every writable buffer.</summary>
    WritableBeforeReadable,
}
