using System.Buffers.Binary;
using Turnstone.Devices.Virtio;
using Turnstone.Devices.Virtio.Block;
using Turnstone.GuestMemory;

namespace Turnstone.UnitTests.Virtio;

/// <summary>Counts every call that reaches the backend, so tests can prove what never happened.</summary>
public sealed class RecordingBlockBackend(IBlockBackend inner) : IBlockBackend
{
    public int Reads { get; private set; }
    public int Writes { get; private set; }
    public int Flushes { get; private set; }
    public List<(ulong Offset, ulong Length)> Discards { get; } = [];
    public List<(ulong Offset, ulong Length)> ZeroedRanges { get; } = [];

    /// <summary>When set, every data operation fails with this host I/O error.</summary>
    public IOException? Failure { get; set; }

    public int Mutations => Writes + Discards.Count + ZeroedRanges.Count;

    public ulong Capacity => inner.Capacity;
    public bool IsReadOnly => inner.IsReadOnly;

    public void ReadAt(ulong offset, Span<byte> destination)
    {
        Reads++;
        ThrowIfFailing();
        inner.ReadAt(offset, destination);
    }

    public void WriteAt(ulong offset, ReadOnlySpan<byte> source)
    {
        Writes++;
        ThrowIfFailing();
        inner.WriteAt(offset, source);
    }

    public void Flush()
    {
        Flushes++;
        ThrowIfFailing();
        inner.Flush();
    }

    public void Discard(ulong offset, ulong length)
    {
        Discards.Add((offset, length));
        ThrowIfFailing();
        inner.Discard(offset, length);
    }

    public void WriteZeroes(ulong offset, ulong length)
    {
        ZeroedRanges.Add((offset, length));
        ThrowIfFailing();
        inner.WriteZeroes(offset, length);
    }

    private void ThrowIfFailing()
    {
        if (Failure is not null)
        {
            throw Failure;
        }
    }
}

/// <summary>A driver-side virtio-blk request placed in fake guest memory.</summary>
public sealed record BlockRequest(ushort Head, ulong StatusAddress, ulong[] DataAddresses);

/// <summary>
/// A virtio-blk device over a memory disk with a fake driver: builds requests the way Linux's
/// virtio_blk lays them out (header descriptor, data descriptors, status descriptor).
/// </summary>
public sealed class BlockRig
{
    public const int DiskBytes = 64 * 512;

    public BlockRig(bool readOnly = false, bool eventIndex = false, bool indirect = false, VirtioBlockOptions? options = null,
        int diskBytes = DiskBytes)
    {
        var contents = new byte[diskBytes];
        for (int i = 0; i < contents.Length; i++)
        {
            contents[i] = (byte)(i * 7 + i / 512);
        }
        Disk = new MemoryBlockBackend(contents, readOnly);
        Backend = new RecordingBlockBackend(Disk);
        Driver = new FakeVirtioDriver(size: 64, eventIndex: eventIndex, indirect: indirect);
        Handler = new VirtioBlockRequestHandler(Driver.Memory, Backend, options);
    }

    public MemoryBlockBackend Disk { get; }
    public RecordingBlockBackend Backend { get; }
    public FakeVirtioDriver Driver { get; }
    public VirtioBlockRequestHandler Handler { get; }
    public IGuestMemory Memory => Driver.Memory;

    public byte[] DiskSnapshot() => Disk.Contents.ToArray();

    public static byte[] Header(VirtioBlockRequestType type, ulong sector) => Header((uint)type, sector);

    public static byte[] Header(uint type, ulong sector)
    {
        var header = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(header, type);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(8), sector);
        return header;
    }

    public static byte[] DiscardSegment(ulong sector, uint sectors, uint flags = 0)
    {
        var segment = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(segment, sector);
        BinaryPrimitives.WriteUInt32LittleEndian(segment.AsSpan(8), sectors);
        BinaryPrimitives.WriteUInt32LittleEndian(segment.AsSpan(12), flags);
        return segment;
    }

    /// <summary>Header (readable), then data buffers with the given direction, then a status byte.</summary>
    public BlockRequest Add(byte[] header, bool dataWritable, params byte[][] data) => AddRequest(Driver, header, dataWritable, data);

    /// <summary>Places a request as <see cref="Add"/> does, through any fake driver.</summary>
    public static BlockRequest AddRequest(FakeVirtioDriver driver, byte[] header, bool dataWritable, params byte[][] data)
    {
        var buffers = new List<DriverBuffer> { DriverBuffer.Readable(driver.AllocateWith(header), (uint)header.Length) };
        var dataAddresses = new ulong[data.Length];
        for (int i = 0; i < data.Length; i++)
        {
            dataAddresses[i] = driver.AllocateWith(data[i]);
            buffers.Add(new DriverBuffer(dataAddresses[i], (uint)data[i].Length, dataWritable));
        }
        ulong status = driver.Allocate(1);
        driver.Memory.WriteByte(status, 0xEE); // not a valid status: proves the device wrote it
        buffers.Add(DriverBuffer.Writable(status, 1));
        ushort head = driver.AddChain([.. buffers]);
        return new BlockRequest(head, status, dataAddresses);
    }

    public BlockRequest AddRead(ulong sector, params int[] lengths) =>
        Add(Header(VirtioBlockRequestType.In, sector), true, [.. lengths.Select(l => new byte[l])]);

    public BlockRequest AddWrite(ulong sector, params byte[][] data) =>
        Add(Header(VirtioBlockRequestType.Out, sector), false, data);

    public VirtqueueChainOutcome HandleNext()
    {
        var chain = Driver.PopSingle();
        return Handler.Handle(chain);
    }

    public byte StatusOf(BlockRequest request) => Memory.ReadByte(request.StatusAddress);

    public byte[] Data(BlockRequest request, int index, int length) => Memory.GetSpan(request.DataAddresses[index], length).ToArray();
}
