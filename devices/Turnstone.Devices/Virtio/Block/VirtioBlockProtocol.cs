namespace Turnstone.Devices.Virtio.Block;

/// <summary>Fixed sizes of the virtio-blk wire format.</summary>
public static class VirtioBlockProtocol
{
    /// <summary>virtio device ID of a block device.</summary>
    public const uint DeviceId = 2;

    /// <summary>Sectors in the protocol are always 512 bytes, whatever blk_size says.</summary>
    public const int SectorSize = 512;

    /// <summary>struct virtio_blk_req header: le32 type, le32 reserved, le64 sector.</summary>
    public const int HeaderSize = 16;

    /// <summary>struct virtio_blk_discard_write_zeroes: le64 sector, le32 num_sectors, le32 flags.</summary>
    public const int DiscardWriteZeroesSegmentSize = 16;

    /// <summary>The unmap bit of virtio_blk_discard_write_zeroes.flags; the other 31 bits are reserved.</summary>
    public const uint DiscardWriteZeroesFlagUnmap = 1;

    /// <summary>A GET_ID answer is a NUL-padded ASCII string of up to 20 bytes.</summary>
    public const int DeviceIdStringLength = 20;
}
