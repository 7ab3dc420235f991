using System.Buffers.Binary;

namespace Turnstone.Devices.Virtio.Block;

/// <summary>
/// A virtio-blk request as its chain frames it (virtio 1.2, 5.2.6): the header (struct
/// virtio_blk_req: le32 type, le32 reserved, le64 sector) is the first 16 readable bytes, the
/// status is the last writable byte, and the data lies between: <see cref="DataOutLength"/>
/// readable bytes after the header, <see cref="DataInLength"/> writable bytes before the status.
/// The framing is taken from the chain as the spec says, not from descriptor boundaries.
/// </summary>
public readonly record struct VirtioBlockRequestHeader(VirtioBlockRequestType Type, ulong Sector, ulong DataOutLength, ulong DataInLength)
{
    /// <summary>
    /// Reads the header of a well-formed chain that has at least one writable byte for the status.
    /// False, with the reason, when the chain is too short for a header or the header cannot be read.
    /// </summary>
    public static bool TryRead(VirtqueueDescriptorChain chain, out VirtioBlockRequestHeader header, out string problem)
    {
        ArgumentNullException.ThrowIfNull(chain);
        header = default;
        if (chain.ReadableLength < VirtioBlockProtocol.HeaderSize)
        {
            problem = $"request header is {chain.ReadableLength} bytes, not {VirtioBlockProtocol.HeaderSize}";
            return false;
        }
        if (chain.WritableLength == 0)
        {
            problem = "request has no device-writable byte for the status";
            return false;
        }
        Span<byte> bytes = stackalloc byte[VirtioBlockProtocol.HeaderSize];
        if (chain.CopyFromReadable(0, bytes) != bytes.Length)
        {
            problem = "request header could not be read";
            return false;
        }
        header = new VirtioBlockRequestHeader(
            (VirtioBlockRequestType)BinaryPrimitives.ReadUInt32LittleEndian(bytes),
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]),
            chain.ReadableLength - VirtioBlockProtocol.HeaderSize,
            chain.WritableLength - 1);
        problem = "";
        return true;
    }
}
