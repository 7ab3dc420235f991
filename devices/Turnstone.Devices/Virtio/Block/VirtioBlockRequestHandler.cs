using System.Buffers.Binary;
using System.Text;
using Turnstone.GuestMemory;

namespace Turnstone.Devices.Virtio.Block;

/// <summary>
/// Executes virtio-blk requests (virtio 1.2, 5.2.6) against an <see cref="IBlockBackend"/>,
/// independent of transport and of threads. <see cref="VirtioBlockRequestHeader"/> frames a request
/// from its chain, synchronous or started in flight alike, and every request that gets a status ends
/// in one place that writes it. Every guest value is checked before the backend sees it; a bad
/// request gets VIRTIO_BLK_S_IOERR or VIRTIO_BLK_S_UNSUPP, never an exception.
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

    /// <summary>
    /// Executes the request on <paramref name="chain"/> and writes its status. A chain that cannot
    /// carry a status (malformed, nothing writable) is broken; everything else gets a status.
    /// </summary>
    public VirtqueueChainOutcome Handle(VirtqueueDescriptorChain chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        if (chain.Error is { } chainError)
        {
            return VirtqueueChainOutcome.Broken($"descriptor chain at head {chain.HeadIndex} is malformed: {chainError}", chainError);
        }
        if (chain.WritableLength == 0)
        {
            return VirtqueueChainOutcome.Broken($"descriptor chain at head {chain.HeadIndex} has no device-writable byte for the status");
        }
        if (!VirtioBlockRequestHeader.TryRead(chain, out var request, out string problem))
        {
            return IoError(chain, problem);
        }

        try
        {
            return request.Type switch
            {
                VirtioBlockRequestType.In => Read(chain, request),
                VirtioBlockRequestType.Out => Write(chain, request),
                VirtioBlockRequestType.Flush => Flush(chain),
                VirtioBlockRequestType.GetId => GetId(chain, request.DataInLength),
                VirtioBlockRequestType.Discard => DiscardOrWriteZeroes(chain, request, isDiscard: true),
                VirtioBlockRequestType.WriteZeroes => DiscardOrWriteZeroes(chain, request, isDiscard: false),
                _ => Unsupported(chain, $"request type {(uint)request.Type} is not supported"),
            };
        }
        catch (IOException e)
        {
            return IoError(chain, $"backend I/O failed: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            return IoError(chain, $"backend I/O refused: {e.Message}");
        }
        catch (NotSupportedException e)
        {
            return Unsupported(chain, $"backend cannot do request type {(uint)request.Type}: {e.Message}");
        }
    }

    private VirtqueueChainOutcome Read(VirtqueueDescriptorChain chain, VirtioBlockRequestHeader request)
    {
        if (request.DataOutLength != 0)
        {
            return IoError(chain, "read request carries device-readable data: the data buffer must be device-writable");
        }
        if (!TryDiskRange(request.Sector, request.DataInLength, out ulong offset, out string? problem))
        {
            return IoError(chain, problem);
        }
        ulong position = 0;
        foreach (var range in chain.EnumerateWritable(0, request.DataInLength))
        {
            if (!_memory.TryGetSpan(range.Address, (int)range.Length, out var destination))
            {
                return Finish(chain, VirtioBlockStatus.IoError, position, $"guest buffer 0x{range.Address:x} is no longer RAM");
            }
            _backend.ReadAt(offset + position, destination);
            position += range.Length;
        }
        return Finish(chain, VirtioBlockStatus.Ok, position, null);
    }

    private VirtqueueChainOutcome Write(VirtqueueDescriptorChain chain, VirtioBlockRequestHeader request)
    {
        if (request.DataInLength != 0)
        {
            return IoError(chain, "write request has device-writable data: the data buffer must be device-readable");
        }
        if (_backend.IsReadOnly)
        {
            return IoError(chain, "write to a read-only disk");
        }
        if (!TryDiskRange(request.Sector, request.DataOutLength, out ulong offset, out string? problem))
        {
            return IoError(chain, problem);
        }
        ulong position = 0;
        foreach (var range in chain.EnumerateReadable(VirtioBlockProtocol.HeaderSize, request.DataOutLength))
        {
            if (!_memory.TryGetSpan(range.Address, (int)range.Length, out var source))
            {
                return IoError(chain, $"guest buffer 0x{range.Address:x} is no longer RAM");
            }
            _backend.WriteAt(offset + position, source);
            position += range.Length;
        }
        return Finish(chain, VirtioBlockStatus.Ok, 0, null);
    }

    private VirtqueueChainOutcome Flush(VirtqueueDescriptorChain chain)
    {
        _backend.Flush();
        return Finish(chain, VirtioBlockStatus.Ok, 0, null);
    }

    private VirtqueueChainOutcome GetId(VirtqueueDescriptorChain chain, ulong dataInLength)
    {
        // The answer is up to 20 bytes; a shorter buffer gets a truncated string, a longer one the
        // 20 bytes and a used length that stops there.
        int length = (int)Math.Min(dataInLength, (ulong)_deviceIdString.Length);
        int written = chain.CopyToWritable(0, _deviceIdString.AsSpan(0, length));
        return Finish(chain, VirtioBlockStatus.Ok, (ulong)written, null);
    }

    private VirtqueueChainOutcome DiscardOrWriteZeroes(VirtqueueDescriptorChain chain, VirtioBlockRequestHeader request, bool isDiscard)
    {
        ulong dataOutLength = request.DataOutLength;
        string name = isDiscard ? "discard" : "write-zeroes";
        if (_backend.IsReadOnly)
        {
            return IoError(chain, $"{name} on a read-only disk");
        }
        if (isDiscard ? !_options.EnableDiscard : !_options.EnableWriteZeroes)
        {
            return Unsupported(chain, $"{name} is not offered");
        }
        if (request.DataInLength != 0)
        {
            return IoError(chain, $"{name} request has device-writable data");
        }
        const int segmentSize = VirtioBlockProtocol.DiscardWriteZeroesSegmentSize;
        if (dataOutLength == 0 || dataOutLength % segmentSize != 0)
        {
            return IoError(chain, $"{name} payload of {dataOutLength} bytes is not a whole number of {segmentSize}-byte segments");
        }
        uint maxSegments = isDiscard ? _options.MaxDiscardSegments : _options.MaxWriteZeroesSegments;
        uint maxSectors = isDiscard ? _options.MaxDiscardSectors : _options.MaxWriteZeroesSectors;
        ulong count = dataOutLength / segmentSize;
        if (count > maxSegments)
        {
            return IoError(chain, $"{name} with {count} segments, more than the {maxSegments} advertised");
        }

        // Validate every segment before touching the disk, so a bad one fails the request cleanly.
        var ranges = new (ulong Offset, ulong Length)[(int)count];
        Span<byte> raw = stackalloc byte[segmentSize];
        for (int i = 0; i < ranges.Length; i++)
        {
            if (chain.CopyFromReadable(VirtioBlockProtocol.HeaderSize + (ulong)i * segmentSize, raw) != segmentSize)
            {
                return IoError(chain, $"{name} segment {i} could not be read");
            }
            ulong sector = BinaryPrimitives.ReadUInt64LittleEndian(raw);
            uint sectors = BinaryPrimitives.ReadUInt32LittleEndian(raw[8..]);
            uint flags = BinaryPrimitives.ReadUInt32LittleEndian(raw[12..]);
            if ((flags & ~VirtioBlockProtocol.DiscardWriteZeroesFlagUnmap) != 0)
            {
                return Unsupported(chain, $"{name} segment {i} has reserved flags 0x{flags:x}");
            }
            if (isDiscard && (flags & VirtioBlockProtocol.DiscardWriteZeroesFlagUnmap) != 0)
            {
                return Unsupported(chain, $"discard segment {i} sets unmap, which only write-zeroes allows");
            }
            if (sectors > maxSectors)
            {
                return IoError(chain, $"{name} segment {i} covers {sectors} sectors, more than the {maxSectors} advertised");
            }
            if (!TryDiskRange(sector, (ulong)sectors * VirtioBlockProtocol.SectorSize, out ulong offset, out string? problem))
            {
                return IoError(chain, $"{name} segment {i}: {problem}");
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
        return Finish(chain, VirtioBlockStatus.Ok, 0, null);
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

    /// <summary>
    /// Writes <paramref name="status"/> as the chain's last writable byte and gives the used length:
    /// bytes written from the start of the writable part without a gap, so the status byte counts only
    /// when all <paramref name="dataWritten"/> data before it was written. The one place a request ends.
    /// </summary>
    private static VirtqueueChainOutcome Finish(VirtqueueDescriptorChain chain, VirtioBlockStatus status, ulong dataWritten, string? problem)
    {
        ulong statusOffset = chain.WritableLength - 1;
        ReadOnlySpan<byte> statusByte = [(byte)status];
        if (chain.CopyToWritable(statusOffset, statusByte) != 1)
        {
            return VirtqueueChainOutcome.Broken($"descriptor chain at head {chain.HeadIndex}: status byte not writable");
        }
        ulong used = dataWritten == statusOffset ? dataWritten + 1 : dataWritten;
        return VirtqueueChainOutcome.Used((uint)Math.Min(used, uint.MaxValue), problem);
    }

    private static VirtqueueChainOutcome IoError(VirtqueueDescriptorChain chain, string problem) =>
        Finish(chain, VirtioBlockStatus.IoError, 0, problem);

    private static VirtqueueChainOutcome Unsupported(VirtqueueDescriptorChain chain, string problem) =>
        Finish(chain, VirtioBlockStatus.Unsupported, 0, problem);
}
