namespace Turnstone.Devices.Virtio.Block;

/// <summary>
/// The storage behind a virtio-blk device: byte-addressed, synchronous. Offsets and lengths arrive
/// already checked against <see cref="Capacity"/> by the request handler. Host I/O failures are
/// reported as <see cref="IOException"/> (the guest then sees VIRTIO_BLK_S_IOERR) and an operation
/// the backend cannot do at all as <see cref="NotSupportedException"/> (VIRTIO_BLK_S_UNSUPP).
/// Host files are Turnstone.HostIo's raw file backend; the machine hands it to the device.
/// </summary>
public interface IBlockBackend
{
    /// <summary>Size of the disk in bytes. The guest sees whole 512-byte sectors of it.</summary>
    ulong Capacity { get; }

    /// <summary>Writes, discards and write-zeroes are refused before they reach the backend.</summary>
    bool IsReadOnly { get; }

    void ReadAt(ulong offset, Span<byte> destination);

    void WriteAt(ulong offset, ReadOnlySpan<byte> source);

    /// <summary>Makes every completed write durable (fsync for a file).</summary>
    void Flush();

    /// <summary>The guest no longer needs the range; its contents become unspecified. A backend may
    /// ignore the hint.</summary>
    void Discard(ulong offset, ulong length);

    /// <summary>After this, the range reads as zeroes.</summary>
    void WriteZeroes(ulong offset, ulong length);
}
