namespace Turnstone.Devices.Virtio;

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
