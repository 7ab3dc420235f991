using System.Buffers.Binary;
using System.Text;
using Turnstone.GuestMemory;

namespace Turnstone.Devices.Virtio.Block;

/// <summary>How one virtio-blk request ended.</summary>
/// <param name="NeedsReset">The chain could not carry a status (broken descriptors, no writable
/// byte): nothing was written to the guest, the chain must not be returned, and the device should set
/// DEVICE_NEEDS_RESET.</param>
/// <param name="Status">The status byte written to the guest (meaningless when <paramref name="NeedsReset"/>).</param>
/// <param name="UsedLength">The <c>len</c> for the used ring: bytes written from the start of the
/// writable part without a gap, so the status byte counts only when all data before it was written.</param>
/// <param name="ChainError">The descriptor-level fault, when that is why the chain is broken.</param>
/// <param name="Problem">Why the request did not succeed, for logs; null on success.</param>
public readonly record struct VirtioBlockRequestResult(
    bool NeedsReset, VirtioBlockStatus Status, uint UsedLength, VirtqueueError? ChainError, string? Problem);

/// <summary>
/// Executes virtio-blk requests (virtio 1.2, 5.2.6) against an <see cref="IBlockBackend"/>,
/// independent of transport and of threads. The framing is taken from the chain as the spec says,
/// not from descriptor boundaries: the first 16 readable bytes are the header, the last writable byte
/// is the status, and what lies between is data. Every guest value is checked before the backend sees
/// it; a bad request gets VIRTIO_BLK_S_IOERR or VIRTIO_BLK_S_UNSUPP, never an exception.
/// </summary>
public sealed partial class VirtioBlockRequestHandler
{
    private readonly IGuestMemory _memory;
    private readonly IBlockBackend _backend;
    private readonly VirtioBlockOptions _options;
    private readonly byte[] _deviceIdString;

    public VirtioBlockRequestHandler(IGuestMemory memory, IBlockBackend backend, VirtioBlockOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(backend);
        _memory = memory;
        _backend = backend;
        _options = options ?? new VirtioBlockOptions();
        _deviceIdString = new byte[VirtioBlockProtocol.DeviceIdStringLength];
        var id = Encoding.ASCII.GetBytes(_options.DeviceIdString);
        if (id.Length > _deviceIdString.Length)
        {
            throw new ArgumentException("a virtio-blk device ID is at most 20 ASCII bytes", nameof(options));
        }
        id.CopyTo(_deviceIdString, 0);
    }

    /// <summary>Whole 512-byte sectors of the backend; a partial last sector is not addressable.</summary>
    public ulong CapacitySectors => _backend.Capacity / VirtioBlockProtocol.SectorSize;

    public bool DiscardEnabled => _options.EnableDiscard && !_backend.IsReadOnly;

    public bool WriteZeroesEnabled => _options.EnableWriteZeroes && !_backend.IsReadOnly;

    public VirtioBlockRequestResult Handle(VirtqueueDescriptorChain chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        if (chain.Error is { } chainError)
        {
            return new(true, VirtioBlockStatus.IoError, 0, chainError,
                $"descriptor chain at head {chain.HeadIndex} is malformed: {chainError}");
        }
        if (chain.WritableLength == 0)
        {
            return new(true, VirtioBlockStatus.IoError, 0, null,
                $"descriptor chain at head {chain.HeadIndex} has no device-writable byte for the status");
        }

        ulong statusOffset = chain.WritableLength - 1;
        var (status, dataWritten, problem) = Execute(chain, statusOffset);

        ReadOnlySpan<byte> statusByte = [(byte)status];
        if (chain.CopyToWritable(statusOffset, statusByte) != 1)
        {
            return new(true, status, 0, null, $"descriptor chain at head {chain.HeadIndex}: status byte not writable");
        }
        ulong used = dataWritten == statusOffset ? dataWritten + 1 : dataWritten;
        return new(false, status, (uint)Math.Min(used, uint.MaxValue), null, problem);
    }

    private (VirtioBlockStatus Status, ulong DataWritten, string? Problem) Execute(VirtqueueDescriptorChain chain, ulong dataInLength)
    {
        if (chain.ReadableLength < VirtioBlockProtocol.HeaderSize)
        {
            return IoError($"request header is {chain.ReadableLength} bytes, not {VirtioBlockProtocol.HeaderSize}");
        }
        Span<byte> header = stackalloc byte[VirtioBlockProtocol.HeaderSize];
        if (chain.CopyFromReadable(0, header) != header.Length)
        {
            return IoError("request header could not be read");
        }
        uint type = BinaryPrimitives.ReadUInt32LittleEndian(header);
        ulong sector = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
        ulong dataOutLength = chain.ReadableLength - VirtioBlockProtocol.HeaderSize;

        try
        {
            return (VirtioBlockRequestType)type switch
            {
                VirtioBlockRequestType.In => Read(chain, sector, dataOutLength, dataInLength),
                VirtioBlockRequestType.Out => Write(chain, sector, dataOutLength, dataInLength),
                VirtioBlockRequestType.Flush => Flush(),
                VirtioBlockRequestType.GetId => GetId(chain, dataInLength),
                VirtioBlockRequestType.Discard => DiscardOrWriteZeroes(chain, isDiscard: true, dataOutLength, dataInLength),
                VirtioBlockRequestType.WriteZeroes => DiscardOrWriteZeroes(chain, isDiscard: false, dataOutLength, dataInLength),
                _ => (VirtioBlockStatus.Unsupported, 0, $"request type {type} is not supported"),
            };
        }
        catch (IOException e)
        {
            return IoError($"backend I/O failed: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            return IoError($"backend I/O refused: {e.Message}");
        }
        catch (NotSupportedException e)
        {
            return (VirtioBlockStatus.Unsupported, 0, $"backend cannot do request type {type}: {e.Message}");
        }
    }

    private (VirtioBlockStatus, ulong, string?) Read(VirtqueueDescriptorChain chain, ulong sector, ulong dataOutLength, ulong dataInLength)
    {
        if (dataOutLength != 0)
        {
            return IoError("read request carries device-readable data: the data buffer must be device-writable");
        }
        if (!TryDiskRange(sector, dataInLength, out ulong offset, out string? problem))
        {
            return IoError(problem);
        }
        ulong position = 0;
        foreach (var range in chain.EnumerateWritable(0, dataInLength))
        {
            if (!_memory.TryGetSpan(range.Address, (int)range.Length, out var destination))
            {
                return (VirtioBlockStatus.IoError, position, $"guest buffer 0x{range.Address:x} is no longer RAM");
            }
            _backend.ReadAt(offset + position, destination);
            position += range.Length;
        }
        return (VirtioBlockStatus.Ok, position, null);
    }

    private (VirtioBlockStatus, ulong, string?) Write(VirtqueueDescriptorChain chain, ulong sector, ulong dataOutLength, ulong dataInLength)
    {
        if (dataInLength != 0)
        {
            return IoError("write request has device-writable data: the data buffer must be device-readable");
        }
        if (_backend.IsReadOnly)
        {
            return IoError("write to a read-only disk");
        }
        if (!TryDiskRange(sector, dataOutLength, out ulong offset, out string? problem))
        {
            return IoError(problem);
        }
        ulong position = 0;
        foreach (var range in chain.EnumerateReadable(VirtioBlockProtocol.HeaderSize, dataOutLength))
        {
            if (!_memory.TryGetSpan(range.Address, (int)range.Length, out var source))
            {
                return IoError($"guest buffer 0x{range.Address:x} is no longer RAM");
            }
            _backend.WriteAt(offset + position, source);
            position += range.Length;
        }
        return (VirtioBlockStatus.Ok, 0, null);
    }

    private (VirtioBlockStatus, ulong, string?) Flush()
    {
        _backend.Flush();
        return (VirtioBlockStatus.Ok, 0, null);
    }

    private (VirtioBlockStatus, ulong, string?) GetId(VirtqueueDescriptorChain chain, ulong dataInLength)
    {
        // The answer is up to 20 bytes; a shorter buffer gets a truncated string, a longer one the
        // 20 bytes and a used length that stops there.
        int length = (int)Math.Min(dataInLength, (ulong)_deviceIdString.Length);
        int written = chain.CopyToWritable(0, _deviceIdString.AsSpan(0, length));
        return (VirtioBlockStatus.Ok, (ulong)written, null);
    }

    private (VirtioBlockStatus, ulong, string?) DiscardOrWriteZeroes(VirtqueueDescriptorChain chain, bool isDiscard,
        ulong dataOutLength, ulong dataInLength)
    {
        string name = isDiscard ? "discard" : "write-zeroes";
        if (_backend.IsReadOnly)
        {
            return IoError($"{name} on a read-only disk");
        }
        if (isDiscard ? !_options.EnableDiscard : !_options.EnableWriteZeroes)
        {
            return (VirtioBlockStatus.Unsupported, 0, $"{name} is not offered");
        }
        if (dataInLength != 0)
        {
            return IoError($"{name} request has device-writable data");
        }
        const int segmentSize = VirtioBlockProtocol.DiscardWriteZeroesSegmentSize;
        if (dataOutLength == 0 || dataOutLength % segmentSize != 0)
        {
            return IoError($"{name} payload of {dataOutLength} bytes is not a whole number of {segmentSize}-byte segments");
        }
        uint maxSegments = isDiscard ? _options.MaxDiscardSegments : _options.MaxWriteZeroesSegments;
        uint maxSectors = isDiscard ? _options.MaxDiscardSectors : _options.MaxWriteZeroesSectors;
        ulong count = dataOutLength / segmentSize;
        if (count > maxSegments)
        {
            return IoError($"{name} with {count} segments, more than the {maxSegments} advertised");
        }

        // Validate every segment before touching the disk, so a bad one fails the request cleanly.
        var ranges = new (ulong Offset, ulong Length)[(int)count];
        Span<byte> raw = stackalloc byte[segmentSize];
        for (int i = 0; i < ranges.Length; i++)
        {
            if (chain.CopyFromReadable(VirtioBlockProtocol.HeaderSize + (ulong)i * segmentSize, raw) != segmentSize)
            {
                return IoError($"{name} segment {i} could not be read");
            }
            ulong sector = BinaryPrimitives.ReadUInt64LittleEndian(raw);
            uint sectors = BinaryPrimitives.ReadUInt32LittleEndian(raw[8..]);
            uint flags = BinaryPrimitives.ReadUInt32LittleEndian(raw[12..]);
            if ((flags & ~VirtioBlockProtocol.DiscardWriteZeroesFlagUnmap) != 0)
            {
                return (VirtioBlockStatus.Unsupported, 0, $"{name} segment {i} has reserved flags 0x{flags:x}");
            }
            if (isDiscard && (flags & VirtioBlockProtocol.DiscardWriteZeroesFlagUnmap) != 0)
            {
                return (VirtioBlockStatus.Unsupported, 0, $"discard segment {i} sets unmap, which only write-zeroes allows");
            }
            if (sectors > maxSectors)
            {
                return IoError($"{name} segment {i} covers {sectors} sectors, more than the {maxSectors} advertised");
            }
            if (!TryDiskRange(sector, (ulong)sectors * VirtioBlockProtocol.SectorSize, out ulong offset, out string? problem))
            {
                return IoError($"{name} segment {i}: {problem}");
            }
            ranges[i] = (offset, (ulong)sectors * VirtioBlockProtocol.SectorSize);
        }
        foreach (var (offset, length) in ranges)
        {
            if (length == 0)
            {
                continue;
            }
            if (isDiscard)
            {
                _backend.Discard(offset, length);
            }
            else
            {
                _backend.WriteZeroes(offset, length);
            }
        }
        return (VirtioBlockStatus.Ok, 0, null);
    }

    /// <summary>Checks that <paramref name="length"/> bytes from <paramref name="sector"/> are whole
    /// sectors inside the disk, without overflow, and gives the byte offset.</summary>
    private bool TryDiskRange(ulong sector, ulong length, out ulong offset, out string problem)
    {
        offset = 0;
        if (length % VirtioBlockProtocol.SectorSize != 0)
        {
            problem = $"data length {length} is not a multiple of {VirtioBlockProtocol.SectorSize}";
            return false;
        }
        ulong capacity = CapacitySectors;
        ulong sectors = length / VirtioBlockProtocol.SectorSize;
        if (sector > capacity || sectors > capacity - sector)
        {
            problem = $"sectors {sector}+{sectors} lie beyond the end of a {capacity}-sector disk";
            return false;
        }
        offset = sector * VirtioBlockProtocol.SectorSize;
        problem = "";
        return true;
    }

    private static (VirtioBlockStatus, ulong, string?) IoError(string problem) => (VirtioBlockStatus.IoError, 0, problem);
}
