using System.Buffers.Binary;

namespace Turnstone.Devices.Virtio.Block;

/// <summary>
/// struct virtio_blk_config (virtio 1.2, 5.2.4) up to the secure-erase fields, little-endian. Fields
/// the driver reads are only meaningful when the matching feature is offered; the others are kept
/// zero. Zoned characteristics are not included (VIRTIO_BLK_F_ZONED is never offered).
/// </summary>
public sealed record VirtioBlockConfig
{
    /// <summary>Bytes of device-specific configuration this layout occupies.</summary>
    public const int Size = 72;

    /// <summary>Disk size in 512-byte sectors.</summary>
    public ulong Capacity { get; init; }

    /// <summary>Largest single segment in bytes (VIRTIO_BLK_F_SIZE_MAX).</summary>
    public uint SizeMax { get; init; }

    /// <summary>Most data segments in one request (VIRTIO_BLK_F_SEG_MAX).</summary>
    public uint SegMax { get; init; }

    public ushort GeometryCylinders { get; init; }
    public byte GeometryHeads { get; init; }
    public byte GeometrySectors { get; init; }

    /// <summary>Optimal block size in bytes (VIRTIO_BLK_F_BLK_SIZE); the protocol still counts 512-byte sectors.</summary>
    public uint BlockSize { get; init; }

    public byte PhysicalBlockExponent { get; init; }
    public byte AlignmentOffset { get; init; }
    public ushort MinIoSize { get; init; }
    public uint OptIoSize { get; init; }
    public byte Writeback { get; init; }
    public ushort NumQueues { get; init; }
    public uint MaxDiscardSectors { get; init; }
    public uint MaxDiscardSegments { get; init; }
    public uint DiscardSectorAlignment { get; init; }
    public uint MaxWriteZeroesSectors { get; init; }
    public uint MaxWriteZeroesSegments { get; init; }
    public bool WriteZeroesMayUnmap { get; init; }
    public uint MaxSecureEraseSectors { get; init; }
    public uint MaxSecureEraseSegments { get; init; }
    public uint SecureEraseSectorAlignment { get; init; }

    /// <summary>Serializes the layout into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        var bytes = destination[..Size];
        bytes.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, Capacity);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[8..], SizeMax);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[12..], SegMax);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[16..], GeometryCylinders);
        bytes[18] = GeometryHeads;
        bytes[19] = GeometrySectors;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[20..], BlockSize);
        bytes[24] = PhysicalBlockExponent;
        bytes[25] = AlignmentOffset;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[26..], MinIoSize);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[28..], OptIoSize);
        bytes[32] = Writeback;
        // 33: unused0, which the device must keep zero.
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[34..], NumQueues);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[36..], MaxDiscardSectors);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[40..], MaxDiscardSegments);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[44..], DiscardSectorAlignment);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[48..], MaxWriteZeroesSectors);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[52..], MaxWriteZeroesSegments);
        bytes[56] = WriteZeroesMayUnmap ? (byte)1 : (byte)0;
        // 57..59: unused1, zero.
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[60..], MaxSecureEraseSectors);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[64..], MaxSecureEraseSegments);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[68..], SecureEraseSectorAlignment);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>
    /// A driver read of the device-specific configuration at <paramref name="offset"/>: any width, any
    /// offset; bytes past the end of the layout read as zero.
    /// </summary>
    public void Read(ulong offset, Span<byte> data)
    {
        Span<byte> bytes = stackalloc byte[Size];
        WriteTo(bytes);
        data.Clear();
        if (offset >= Size)
        {
            return;
        }
        var available = bytes[(int)offset..];
        available[..Math.Min(available.Length, data.Length)].CopyTo(data);
    }
}
