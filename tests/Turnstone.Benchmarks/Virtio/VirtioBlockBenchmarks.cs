using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Turnstone.Devices.Virtio;
using Turnstone.Devices.Virtio.Block;
using Turnstone.GuestMemory;

namespace Turnstone.Benchmarks.Virtio;

/// <summary>
/// One virtio-blk request round trip through <see cref="VirtioBlockDevice.ProcessQueue"/> against a
/// memory disk, no KVM: the driver publishes a header + data + status chain laid out as Linux's
/// virtio_blk does, the device pops, validates, copies between guest memory and the disk, writes the
/// status and the used element. Figures are per request; the target is zero bytes allocated.
/// <see cref="InFlight"/> runs the same requests through the in-flight path (<see cref="IAsyncBlockIo"/>,
/// here an engine that finishes each transfer as it is submitted): its extra cost is the slot
/// bookkeeping, the start and the completion.
/// </summary>
[MemoryDiagnoser]
public class VirtioBlockBenchmarks
{
    private const int KiB = 1024, MiB = 1024 * KiB;
    // Room for a 1 MiB request in 256 direct descriptors plus header and status (seg_max = size - 2).
    private const ushort QueueSize = 512;

    private VirtioBlockDevice _device = null!;
    private BenchmarkVirtioDriver _driver = null!;
    private ulong _statusBase;
    private ushort _read4K, _write4K, _read1MOneSegment, _read1M256Segments, _read4KIndirect;

    /// <summary>Requests kept in flight on an asynchronous engine instead of run one by one.</summary>
    [Params(false, true)]
    public bool InFlight { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var memory = CreateGuestMemory(64 << 20);
        var disk = new byte[16 * MiB];
        new Random(1).NextBytes(disk);
        var backend = new MemoryBlockBackend(disk);
        _device = new VirtioBlockDevice(memory, backend, new VirtioBlockOptions { QueueSize = QueueSize },
            InFlight ? new ImmediateBlockIo(memory, backend) : null);
        // What Linux negotiates: VERSION_1, EVENT_IDX and INDIRECT_DESC (and the blk features).
        if (!_device.AcceptFeatures(_device.OfferedFeatures))
        {
            throw new InvalidOperationException("the device refused its own features");
        }
        _driver = new BenchmarkVirtioDriver(memory, _device.RequestQueue, QueueSize);
        _statusBase = _driver.Allocate(64);

        _read4K = Request(VirtioBlockRequestType.In, sector: 8, segments: 1, segmentBytes: 4 * KiB, statusSlot: 0);
        _write4K = Request(VirtioBlockRequestType.Out, sector: 16, segments: 1, segmentBytes: 4 * KiB, statusSlot: 1);
        _read1MOneSegment = Request(VirtioBlockRequestType.In, sector: 2048, segments: 1, segmentBytes: MiB, statusSlot: 2);
        _read1M256Segments = Request(VirtioBlockRequestType.In, sector: 4096, segments: 256, segmentBytes: 4 * KiB, statusSlot: 3);
        _read4KIndirect = Request(VirtioBlockRequestType.In, sector: 24, segments: 1, segmentBytes: 4 * KiB, statusSlot: 4, indirect: true);
    }

    /// <summary>Guest RAM from address 0: managed arrays here; <see cref="VirtioBlockMappedMemoryBenchmarks"/>
    /// maps it as a VM does.</summary>
    protected virtual IGuestMemory CreateGuestMemory(ulong size) => new ArrayGuestMemory(size);

    [Benchmark(Description = "virtio-blk 4 KiB read")]
    public uint Read4K() => RoundTrip(_read4K, 0);

    [Benchmark(Description = "virtio-blk 4 KiB write")]
    public uint Write4K() => RoundTrip(_write4K, 1);

    [Benchmark(Description = "virtio-blk 4 KiB read, indirect")]
    public uint Read4KIndirect() => RoundTrip(_read4KIndirect, 4);

    [Benchmark(Description = "virtio-blk 1 MiB read, 1 segment")]
    public uint Read1MOneSegment() => RoundTrip(_read1MOneSegment, 2);

    [Benchmark(Description = "virtio-blk 1 MiB read, 256 segments")]
    public uint Read1M256Segments() => RoundTrip(_read1M256Segments, 3);

    /// <summary>Publishes the prepared request, runs the queue as the notification handler would, and
    /// checks that the device completed it with status OK.</summary>
    private uint RoundTrip(ushort head, int statusSlot)
    {
        var status = _driver.Span(_statusBase + (ulong)statusSlot, 1);
        status[0] = 0xFF;
        _driver.Publish(head);
        var result = _device.ProcessQueue();
        if (result.Completed != 1 || result.NeedsReset || status[0] != (byte)VirtioBlockStatus.Ok || _driver.ReapUsed() != 1)
        {
            throw new InvalidOperationException($"request at head {head} failed: {result}, status {status[0]}");
        }
        return _driver.LastUsedLength();
    }

    /// <summary>Header (readable), data (readable for a write, writable for a read), status (writable).</summary>
    private ushort Request(VirtioBlockRequestType type, ulong sector, int segments, int segmentBytes, int statusSlot, bool indirect = false)
    {
        ulong header = _driver.Allocate(VirtioBlockProtocol.HeaderSize, alignment: 16);
        var headerBytes = _driver.Span(header, VirtioBlockProtocol.HeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(headerBytes, (uint)type);
        BinaryPrimitives.WriteUInt64LittleEndian(headerBytes[8..], sector);

        var buffers = new (ulong Address, uint Length, bool IsWritable)[segments + 2];
        buffers[0] = (header, VirtioBlockProtocol.HeaderSize, false);
        for (int i = 0; i < segments; i++)
        {
            buffers[1 + i] = (_driver.Allocate(segmentBytes), (uint)segmentBytes, type == VirtioBlockRequestType.In);
        }
        buffers[^1] = (_statusBase + (ulong)statusSlot, 1, true);
        return indirect ? _driver.WriteIndirectChain(buffers) : _driver.WriteChain(buffers);
    }
}

/// <summary>
/// An <see cref="IAsyncBlockIo"/> over a memory disk that moves the bytes when a request starts and
/// reports it complete at the next <see cref="TryTakeCompletion"/>: the in-flight path's own cost,
/// without a host kernel. Allocates nothing per request.
/// </summary>
internal sealed class ImmediateBlockIo(IGuestMemory memory, MemoryBlockBackend disk) : IAsyncBlockIo
{
    private readonly (int Tag, long Bytes)[] _done = new (int, long)[64];
    private int _count;

    public int Depth => _done.Length;

    public bool TryStart(BlockIoDirection direction, ulong diskOffset, ReadOnlySpan<VirtqueueSegment> buffers, int tag)
    {
        if (_count == _done.Length)
        {
            return false;
        }
        long moved = 0;
        foreach (var buffer in buffers)
        {
            var guest = memory.GetSpan(buffer.Address, (int)buffer.Length);
            if (direction == BlockIoDirection.Read)
            {
                disk.ReadAt(diskOffset + (ulong)moved, guest);
            }
            else
            {
                disk.WriteAt(diskOffset + (ulong)moved, guest);
            }
            moved += buffer.Length;
        }
        _done[_count++] = (tag, moved);
        return true;
    }

    public void Submit()
    {
    }

    public bool TryTakeCompletion(out int tag, out long result)
    {
        if (_count == 0)
        {
            (tag, result) = (-1, 0);
            return false;
        }
        (tag, result) = _done[--_count];
        return true;
    }

    public void WaitForCompletion()
    {
        if (_count == 0)
        {
            throw new InvalidOperationException("nothing is in flight: the wait would never end");
        }
    }
}
