namespace Turnstone.Devices.Virtio.Block;

/// <summary>Which way a started request moves data.</summary>
public enum BlockIoDirection
{
    /// <summary>Disk to guest buffers (VIRTIO_BLK_T_IN).</summary>
    Read,

    /// <summary>Guest buffers to disk (VIRTIO_BLK_T_OUT).</summary>
    Write,
}
