namespace Turnstone.Devices.Virtio.Block;

/// <summary>Host-side choices for a virtio-blk device (not guest-controlled).</summary>
public sealed record VirtioBlockOptions
{
    /// <summary>Size of the request queue the device offers (a power of two up to 32768).</summary>
    public ushort QueueSize { get; init; } = 256;

    /// <summary>The GET_ID answer: at most 20 ASCII bytes (Linux shows it as /sys/block/vdX/serial).</summary>
    public string DeviceIdString { get; init; } = "turnstone";

    /// <summary>The block size advertised with VIRTIO_BLK_F_BLK_SIZE.</summary>
    public uint BlockSize { get; init; } = 512;

    public bool EnableDiscard { get; init; } = true;
    public uint MaxDiscardSectors { get; init; } = 1u << 22;
    public uint MaxDiscardSegments { get; init; } = 16;

    public bool EnableWriteZeroes { get; init; } = true;
    public uint MaxWriteZeroesSectors { get; init; } = 1u << 22;
    public uint MaxWriteZeroesSegments { get; init; } = 16;
}
