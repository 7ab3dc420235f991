using Turnstone.Devices.Virtio;
using Turnstone.Devices.Virtio.Block;
using Turnstone.GuestMemory;
using Turnstone.Hypervisor.Kvm;
using Turnstone.UnitTests.Virtio;

namespace Turnstone.UnitTests.Hypervisor;

/// <summary>
/// Guest RAM as the VM maps it (anonymous mmap, no KVM needed) on the device models' hot path:
/// looking up a region or a span once per descriptor must not allocate, or every virtio request
/// leaves garbage behind. The allocation counter is per thread and exact, so "nothing" is 0 bytes.
/// </summary>
public sealed class MappedGuestMemoryTests : IDisposable
{
    private const int Calls = 10_000;
    private readonly MappedGuestMemory _memory = new();

    public MappedGuestMemoryTests()
    {
        _memory.AddRegion(0, 4 << 20);
        _memory.AddRegion(0x1_0000_0000, 2 << 20);
    }

    public void Dispose() => _memory.Dispose();

    /// <summary>
    /// Bytes <paramref name="action"/> allocated on this thread, after one warm-up call (JIT,
    /// first-use caches): the least of up to five measurements. Now and then, with the rest of the
    /// suite running in parallel, one measurement picks up a few KiB the code under test does not
    /// allocate (seen in 3 of 25 suite runs, the next measurement 0 again); an allocation in the
    /// code under test shows in every measurement.
    /// </summary>
    private static long AllocatedBy(Action action)
    {
        action();
        long least = long.MaxValue;
        for (int i = 0; i < 5 && least > 0; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            action();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return least;
    }

    [Fact]
    public void Regions_are_sorted_and_the_same_list_until_a_region_is_added()
    {
        var regions = _memory.Regions;

        Assert.Equal([new GuestMemoryRegion(0, 4 << 20), new GuestMemoryRegion(0x1_0000_0000, 2 << 20)], regions);
        Assert.Same(regions, _memory.Regions);

        _memory.AddRegion(0x80_0000, 1 << 20);

        Assert.Equal([0ul, 0x80_0000ul, 0x1_0000_0000ul], _memory.Regions.Select(r => r.GuestAddress));
        Assert.Equal(3, _memory.Regions.Count);
        Assert.Equal(2, regions.Count); // a caller's earlier list is not changed under it
    }

    [Fact]
    public void IsRam_allocates_nothing()
    {
        int hits = 0, runs = 0;

        long allocated = AllocatedBy(() =>
        {
            runs++;
            for (int i = 0; i < Calls; i++)
            {
                // Found in the first region, in the second, and in none: every path of the lookup.
                hits += (_memory.IsRam(0x1000, 512) ? 1 : 0) + (_memory.IsRam(0x1_0000_1000, 4096) ? 1 : 0)
                    + (_memory.IsRam(0x50_0000, 1) ? 1 : 0);
            }
        });

        Assert.Equal(0, allocated);
        Assert.Equal(2 * Calls * runs, hits); // two of the three lookups hit, every time
    }

    [Fact]
    public void TryGetSpan_and_TryGetHostAddress_allocate_nothing()
    {
        int hits = 0, runs = 0;

        long allocated = AllocatedBy(() =>
        {
            runs++;
            for (int i = 0; i < Calls; i++)
            {
                hits += (_memory.TryGetSpan(0x1_0000_2000, 16, out _) ? 1 : 0) + (_memory.TryGetHostAddress(0x2000, 4096, out _) ? 1 : 0);
            }
        });

        Assert.Equal(0, allocated);
        Assert.Equal(2 * Calls * runs, hits);
    }

    /// <summary>
    /// The benchmark's round trip (tests/Turnstone.Benchmarks, VirtioBlockMappedMemoryBenchmarks) as
    /// a test: one 4 KiB read, header + data + status, published again and again and run by the device
    /// over mapped RAM, as the queue worker runs it in a VM.
    /// </summary>
    [Fact]
    public void A_virtio_blk_round_trip_over_mapped_memory_allocates_nothing()
    {
        const ulong Descriptors = 0x10000, Available = 0x30000, Used = 0x40000;
        const ulong Header = 0x80000, Data = 0x81000, Status = 0x82000;
        const ushort QueueSize = 16;
        var device = new VirtioBlockDevice(_memory, new MemoryBlockBackend(1 << 20), new VirtioBlockOptions { QueueSize = QueueSize });
        Assert.True(device.AcceptFeatures(device.OfferedFeatures));
        var queue = device.RequestQueue;
        queue.DescriptorTableAddress = Descriptors;
        queue.AvailableRingAddress = Available;
        queue.UsedRingAddress = Used;
        Assert.True(queue.TryEnable(out _));
        _memory.Write(Header, BlockRig.Header(VirtioBlockRequestType.In, 8));
        FakeVirtioDriver.WriteDescriptor(_memory, Descriptors, 0, Header, 16, VirtqueueDescriptorChain.FlagNext, 1);
        FakeVirtioDriver.WriteDescriptor(_memory, Descriptors, 1, Data, 4096, VirtqueueDescriptorChain.FlagNext | VirtqueueDescriptorChain.FlagWrite, 2);
        FakeVirtioDriver.WriteDescriptor(_memory, Descriptors, 2, Status, 1, VirtqueueDescriptorChain.FlagWrite, 0);
        ushort availableIndex = 0;
        int completed = 0, runs = 0;

        long allocated = AllocatedBy(() =>
        {
            runs++;
            for (int i = 0; i < 1000; i++)
            {
                _memory.WriteByte(Status, 0xEE);
                _memory.WriteUInt16(Available + 4 + 2UL * (ushort)(availableIndex % QueueSize), 0);
                _memory.WriteUInt16(Available + 2, ++availableIndex);
                device.ProcessQueue();
                completed += _memory.ReadByte(Status) == (byte)VirtioBlockStatus.Ok ? 1 : 0;
            }
        });

        Assert.Equal(0, allocated);
        Assert.Equal(1000 * runs, completed);
        Assert.Equal(availableIndex, _memory.ReadUInt16(Used + 2));
    }
}
