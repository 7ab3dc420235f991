using Turnstone.Devices.Virtio;
using Turnstone.Devices.Virtio.Block;
using Turnstone.GuestMemory;

namespace Turnstone.UnitTests.Virtio;

/// <summary>
/// virtio-blk with requests in flight on an asynchronous engine (<see cref="FakeAsyncBlockIo"/>):
/// completion in any order, the used ring in completion order, requests that must run alone, a full
/// set of slots, failed and short transfers, and a reset with requests in flight.
/// </summary>
public sealed class AsyncBlockQueueTests
{
    private const ushort QueueSize = 16;

    private sealed class Rig
    {
        public Rig(int depth = 64, bool eventIndex = false, bool readOnly = false)
        {
            Driver = new FakeVirtioDriver(QueueSize, eventIndex);
            var contents = new byte[64 * 512];
            for (int i = 0; i < contents.Length; i++)
            {
                contents[i] = (byte)(i * 7 + i / 512);
            }
            Disk = new MemoryBlockBackend(contents, readOnly);
            Backend = new FlushObserver(new RecordingBlockBackend(Disk));
            Io = new FakeAsyncBlockIo(Driver.Memory, Disk, depth);
            Device = new VirtioBlockDevice(Driver.Memory, Backend, new VirtioBlockOptions { QueueSize = QueueSize }, Io);
            ulong features = VirtioFeatures.Version1 | (eventIndex ? VirtioFeatures.EventIndex : 0);
            Assert.True(Device.AcceptFeatures(features));
            var queue = Device.RequestQueue;
            queue.DescriptorTableAddress = FakeVirtioDriver.DescriptorTableAddress;
            queue.AvailableRingAddress = FakeVirtioDriver.AvailableRingAddress;
            queue.UsedRingAddress = FakeVirtioDriver.UsedRingAddress;
            Assert.True(queue.TryEnable(out _));
        }

        public FakeVirtioDriver Driver { get; }
        public MemoryBlockBackend Disk { get; }
        public FlushObserver Backend { get; }
        public FakeAsyncBlockIo Io { get; }
        public VirtioBlockDevice Device { get; }
        public IGuestMemory Memory => Driver.Memory;

        public BlockRequest Add(byte[] header, bool dataWritable, params byte[][] data) =>
            BlockRig.AddRequest(Driver, header, dataWritable, data);

        public BlockRequest AddRead(ulong sector, params int[] lengths) =>
            Add(BlockRig.Header(VirtioBlockRequestType.In, sector), true, [.. lengths.Select(l => new byte[l])]);

        public BlockRequest AddWrite(ulong sector, params byte[][] data) =>
            Add(BlockRig.Header(VirtioBlockRequestType.Out, sector), false, data);

        public BlockRequest AddFlush() => Add(BlockRig.Header(VirtioBlockRequestType.Flush, 0), false);

        public byte Status(BlockRequest request) => Memory.ReadByte(request.StatusAddress);

        public byte[] Data(BlockRequest request, int index, int length) => Memory.GetSpan(request.DataAddresses[index], length).ToArray();

        public byte[] DiskBytes(ulong sector, int length) => Disk.Contents.Slice((int)sector * 512, length).ToArray();
    }

    /// <summary>Records what was still in flight on the engine whenever the device flushed.</summary>
    private sealed class FlushObserver(RecordingBlockBackend inner) : IBlockBackend
    {
        public FakeAsyncBlockIo? Io { get; set; }
        public List<int> InFlightAtFlush { get; } = [];
        public RecordingBlockBackend Inner => inner;
        public ulong Capacity => inner.Capacity;
        public bool IsReadOnly => inner.IsReadOnly;
        public void ReadAt(ulong offset, Span<byte> destination) => inner.ReadAt(offset, destination);
        public void WriteAt(ulong offset, ReadOnlySpan<byte> source) => inner.WriteAt(offset, source);
        public void Discard(ulong offset, ulong length) => inner.Discard(offset, length);
        public void WriteZeroes(ulong offset, ulong length) => inner.WriteZeroes(offset, length);

        public void Flush()
        {
            InFlightAtFlush.Add(Io?.Submitted.Count ?? -1);
            inner.Flush();
        }
    }

    private static byte[] Pattern(int length, int seed) => Enumerable.Range(0, length).Select(i => (byte)(i * 13 + seed)).ToArray();

    [Fact]
    public void Reads_and_writes_stay_in_flight_until_the_host_finishes_them()
    {
        var rig = new Rig();
        var read = rig.AddRead(3, 512);
        var write = rig.AddWrite(5, Pattern(1024, 1));

        var run = rig.Device.ProcessQueue();

        Assert.Equal(0, run.Completed);
        Assert.False(run.InterruptNeeded);
        Assert.Equal(2, rig.Device.RequestsInFlight);
        Assert.Equal(["start read 0x600", "start write 0xa00"], rig.Io.Log);
        Assert.Equal(0, rig.Driver.UsedIndex);
        Assert.Equal(0xEE, rig.Status(read));
        Assert.Equal(0, rig.Backend.Inner.Reads + rig.Backend.Inner.Writes); // nothing ran synchronously
        Assert.Equal((ushort)0, rig.Memory.ReadUInt16(FakeVirtioDriver.UsedRingAddress)); // notifications back on
    }

    [Fact]
    public void Finished_requests_return_in_completion_order_with_their_used_lengths()
    {
        var rig = new Rig();
        var read = rig.AddRead(3, 512, 1024);
        byte[] data = Pattern(512, 9);
        var write = rig.AddWrite(8, data);
        rig.Device.ProcessQueue();

        rig.Io.Finish(rig.Io.Submitted[1]); // the write first
        var first = rig.Device.ProcessQueue();
        rig.Io.Finish(rig.Io.Submitted[0]);
        var second = rig.Device.ProcessQueue();

        Assert.Equal((1, true), (first.Completed, first.InterruptNeeded));
        Assert.Equal((1, true), (second.Completed, second.InterruptNeeded));
        Assert.Equal((write.Head, 1u), rig.Driver.UsedElement(0));
        Assert.Equal((read.Head, 1537u), rig.Driver.UsedElement(1));
        Assert.Equal(0, rig.Status(read));
        Assert.Equal(0, rig.Status(write));
        Assert.Equal(rig.DiskBytes(3, 512), rig.Data(read, 0, 512));
        Assert.Equal(rig.DiskBytes(4, 1024), rig.Data(read, 1, 1024));
        Assert.Equal(data, rig.DiskBytes(8, 512));
        Assert.Equal(0, rig.Device.RequestsInFlight);
    }

    [Fact]
    public void A_flush_runs_only_after_every_write_before_it_has_finished()
    {
        var rig = new Rig();
        rig.Backend.Io = rig.Io;
        var first = rig.AddWrite(0, Pattern(512, 1));
        var second = rig.AddWrite(1, Pattern(512, 2));
        var flush = rig.AddFlush();

        var run = rig.Device.ProcessQueue();

        Assert.Equal([0], rig.Backend.InFlightAtFlush);
        Assert.Equal(3, run.Completed);
        Assert.Equal([first.Head, second.Head, flush.Head], Enumerable.Range(0, 3).Select(i => (ushort)rig.Driver.UsedElement(i).Id));
        Assert.Equal(0, rig.Status(flush));
        Assert.Equal(Pattern(512, 2), rig.DiskBytes(1, 512));
        Assert.True(rig.Io.Waits >= 1);
    }

    [Fact]
    public void With_every_slot_taken_the_rest_wait_in_the_ring_and_notifications_stay_off()
    {
        var rig = new Rig(depth: 2);
        var requests = Enumerable.Range(0, 4).Select(i => rig.AddRead((ulong)i, 512)).ToArray();

        rig.Device.ProcessQueue();
        Assert.Equal(2, rig.Io.Submitted.Count);
        Assert.Equal(Virtqueue.UsedFlagNoNotify, rig.Memory.ReadUInt16(FakeVirtioDriver.UsedRingAddress));

        rig.Io.FinishAll();
        var run = rig.Device.ProcessQueue(); // the completions wake the queue's owner
        Assert.Equal(2, run.Completed);
        Assert.Equal(2, rig.Io.Submitted.Count);

        rig.Io.FinishAll();
        var last = rig.Device.ProcessQueue();
        Assert.Equal(2, last.Completed);
        Assert.Equal(4, rig.Driver.UsedIndex);
        Assert.All(requests, r => Assert.Equal(0, rig.Status(r)));
        Assert.Equal((ushort)0, rig.Memory.ReadUInt16(FakeVirtioDriver.UsedRingAddress));
    }

    [Fact]
    public void A_failed_transfer_is_done_again_synchronously_and_the_host_error_reaches_the_status()
    {
        var rig = new Rig();
        var recovers = rig.AddRead(2, 512);
        var fails = rig.AddRead(4, 512);
        rig.Device.ProcessQueue();

        rig.Io.Finish(rig.Io.Submitted[0], result: -5, transfer: false); // EIO, then the disk recovers
        rig.Device.ProcessQueue();
        rig.Backend.Inner.Failure = new IOException("medium error");
        rig.Io.Finish(rig.Io.Submitted[0], result: -5, transfer: false);
        rig.Device.ProcessQueue();

        Assert.Equal(0, rig.Status(recovers));
        Assert.Equal(rig.DiskBytes(2, 512), rig.Data(recovers, 0, 512));
        Assert.Equal((byte)VirtioBlockStatus.IoError, rig.Status(fails));
        Assert.Equal((fails.Head, 0u), rig.Driver.UsedElement(1));
        Assert.Equal(2, rig.Backend.Inner.Reads);
    }

    [Fact]
    public void A_short_transfer_is_finished_synchronously()
    {
        var rig = new Rig();
        var read = rig.AddRead(6, 1024);
        rig.Device.ProcessQueue();

        rig.Io.Finish(rig.Io.Submitted[0], result: 512); // the host moved only half
        var run = rig.Device.ProcessQueue();

        Assert.Equal(1, run.Completed);
        Assert.Equal(0, rig.Status(read));
        Assert.Equal(rig.DiskBytes(6, 1024), rig.Data(read, 0, 1024));
        Assert.Equal((read.Head, 1025u), rig.Driver.UsedElement(0));
    }

    [Fact]
    public void Requests_the_engine_declines_run_synchronously_after_the_ones_in_flight()
    {
        var rig = new Rig();
        rig.Io.Declines = (_, offset) => offset == 7 * 512;
        var started = rig.AddRead(1, 512);
        var declined = rig.AddRead(7, 512);

        var run = rig.Device.ProcessQueue();

        Assert.Equal(2, run.Completed);
        Assert.Equal([started.Head, declined.Head], new[] { (ushort)rig.Driver.UsedElement(0).Id, (ushort)rig.Driver.UsedElement(1).Id });
        Assert.Equal(rig.DiskBytes(7, 512), rig.Data(declined, 0, 512));
        Assert.Equal(1, rig.Backend.Inner.Reads);
    }

    [Fact]
    public void Unusual_requests_never_reach_the_engine_and_keep_their_statuses()
    {
        var rig = new Rig(readOnly: true);
        var unsupported = rig.Add(BlockRig.Header(99, 0), false);
        var write = rig.AddWrite(0, Pattern(512, 3));
        var beyond = rig.AddRead(64, 512);

        var run = rig.Device.ProcessQueue();

        Assert.Equal(3, run.Completed);
        Assert.Empty(rig.Io.Log);
        Assert.Equal((byte)VirtioBlockStatus.Unsupported, rig.Status(unsupported));
        Assert.Equal((byte)VirtioBlockStatus.IoError, rig.Status(write));
        Assert.Equal((byte)VirtioBlockStatus.IoError, rig.Status(beyond));
        Assert.Equal(0, rig.Backend.Inner.Mutations);
    }

    [Fact]
    public void Reset_waits_for_the_requests_in_flight_and_returns_none_of_them()
    {
        var rig = new Rig();
        rig.AddRead(0, 512);
        rig.AddWrite(1, Pattern(512, 4));
        rig.Device.ProcessQueue();

        rig.Device.Reset();

        Assert.Equal(0, rig.Device.RequestsInFlight);
        Assert.Empty(rig.Io.Submitted);
        Assert.Equal(0, rig.Driver.UsedIndex);
        Assert.False(rig.Device.RequestQueue.IsReady);
    }

    [Fact]
    public void With_event_index_a_completion_interrupts_only_when_the_driver_asked()
    {
        var rig = new Rig(eventIndex: true);
        rig.Driver.SetUsedEvent(1); // interrupt when entry 1 is used, i.e. after the second completion
        rig.AddRead(0, 512);
        rig.AddRead(1, 512);
        rig.Device.ProcessQueue();

        rig.Io.Finish(rig.Io.Submitted[0]);
        var first = rig.Device.ProcessQueue();
        rig.Io.Finish(rig.Io.Submitted[0]);
        var second = rig.Device.ProcessQueue();

        Assert.False(first.InterruptNeeded);
        Assert.True(second.InterruptNeeded);
    }

    [Fact]
    public void A_broken_chain_waits_for_the_requests_before_it_then_stops_the_queue()
    {
        var rig = new Rig();
        var good = rig.AddRead(0, 512);
        rig.Driver.Publish(15); // never written: no status byte
        rig.AddRead(1, 512);

        var run = rig.Device.ProcessQueue();

        Assert.True(run.NeedsReset);
        Assert.True(rig.Device.NeedsReset);
        Assert.Equal(1, run.Completed);
        Assert.Equal((good.Head, 513u), rig.Driver.UsedElement(0));
        Assert.Equal(0, rig.Device.RequestsInFlight);
        Assert.Equal(0, rig.Device.ProcessQueue().Completed); // nothing more until reset
        Assert.Single(rig.Io.Log, l => l.StartsWith("start", StringComparison.Ordinal));
    }
}
