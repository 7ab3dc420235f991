using Turnstone.Devices.Virtio;
using Turnstone.Devices.Virtio.Block;
using Turnstone.GuestMemory;
using Turnstone.HostIo;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.UnitTests.HostIo;

/// <summary>
/// The io_uring engine behind a disk, against a real file under /var/tmp and guest RAM mapped the
/// way a VM maps it (no KVM needed): transfers land where the guest asked, requests it must not
/// take are declined so the device runs them synchronously, and completions wake the queue worker.
/// </summary>
public sealed class UringBlockIoTests : IDisposable
{
    private const int Block = RawFileBlockBackend.DirectAlignment;
    private readonly string _path = Path.Combine("/var/tmp", $"turnstone-uring-{Guid.NewGuid():N}.img");
    private readonly MappedGuestMemory _memory = new();
    private readonly byte[] _contents = new byte[64 * Block];

    public UringBlockIoTests()
    {
        new Random(5).NextBytes(_contents);
        File.WriteAllBytes(_path, _contents);
        _memory.AddRegion(0, 4 << 20, hugePages: true);
    }

    public void Dispose()
    {
        _memory.Dispose();
        File.Delete(_path);
    }

    private (UringBlockIo Io, RawFileBlockBackend Disk) Open(bool direct)
    {
        var disk = RawFileBlockBackend.Open(_path, isReadOnly: false, direct);
        var io = UringBlockIo.TryCreate(_memory, disk, out string? unavailable);
        Assert.True(io is not null, unavailable);
        return (io, disk);
    }

    private static VirtqueueSegment Buffer(ulong address, uint length) => new(address, length, IsWritable: true);

    private static (int Tag, long Result) WaitForOne(UringBlockIo io)
    {
        io.WaitForCompletion();
        Assert.True(io.TryTakeCompletion(out int tag, out long result));
        return (tag, result);
    }

    [Fact]
    public void A_read_scatters_the_file_into_the_guest_buffers_it_names()
    {
        var (io, disk) = Open(direct: false);
        using (disk)
        using (io)
        {
            Assert.True(io.TryStart(BlockIoDirection.Read, 512, [Buffer(0x1000, 1024), Buffer(0x9200, 512)], tag: 7));
            io.Submit();

            Assert.Equal((7, 1536L), WaitForOne(io));
            Assert.Equal(_contents.AsSpan(512, 1024).ToArray(), _memory.GetSpan(0x1000, 1024).ToArray());
            Assert.Equal(_contents.AsSpan(1536, 512).ToArray(), _memory.GetSpan(0x9200, 512).ToArray());
        }
    }

    [Fact]
    public void Writes_through_the_page_cache_are_left_to_the_synchronous_path()
    {
        var (io, disk) = Open(direct: false);
        using (disk)
        using (io)
        {
            Assert.False(io.TryStart(BlockIoDirection.Write, 0, [Buffer(0x1000, 512)], tag: 1));
            io.Submit();
            Assert.False(io.TryTakeCompletion(out _, out _));
        }
    }

    [Fact]
    public void Direct_io_takes_aligned_transfers_both_ways_and_declines_the_rest()
    {
        var (io, disk) = Open(direct: true);
        using (disk)
        using (io)
        {
            _memory.GetSpan(0x20000, 2 * Block).Fill(0x5A);
            Assert.True(io.TryStart(BlockIoDirection.Write, 4 * Block, [Buffer(0x20000, 2 * Block)], tag: 1));
            io.Submit();
            Assert.Equal((1, 2L * Block), WaitForOne(io));

            Assert.True(io.TryStart(BlockIoDirection.Read, 4 * Block, [Buffer(0x40000, Block), Buffer(0x50000, Block)], tag: 2));
            io.Submit();
            Assert.Equal((2, 2L * Block), WaitForOne(io));
            Assert.All(_memory.GetSpan(0x40000, Block).ToArray(), b => Assert.Equal(0x5A, b));
            Assert.All(_memory.GetSpan(0x50000, Block).ToArray(), b => Assert.Equal(0x5A, b));

            Assert.False(io.TryStart(BlockIoDirection.Read, 512, [Buffer(0x40000, Block)], tag: 3)); // disk offset
            Assert.False(io.TryStart(BlockIoDirection.Read, 0, [Buffer(0x40200, Block)], tag: 3)); // guest address
            Assert.False(io.TryStart(BlockIoDirection.Read, 0, [Buffer(0x40000, Block), Buffer(0x50000, 512)], tag: 3)); // a short piece
        }
        Assert.All(File.ReadAllBytes(_path).AsSpan(4 * Block, 2 * Block).ToArray(), b => Assert.Equal(0x5A, b));
    }

    [Fact]
    public void A_buffer_outside_guest_ram_is_declined()
    {
        var (io, disk) = Open(direct: false);
        using (disk)
        using (io)
        {
            Assert.False(io.TryStart(BlockIoDirection.Read, 0, [Buffer((4 << 20) - 256, 512)], tag: 1)); // runs off the end
            Assert.False(io.TryStart(BlockIoDirection.Read, 0, [Buffer(0x1_0000_0000, 512)], tag: 1));
        }
    }

    [Fact]
    public void Many_requests_in_flight_complete_once_each()
    {
        var (io, disk) = Open(direct: true);
        using (disk)
        using (io)
        {
            for (int tag = 0; tag < 32; tag++)
            {
                Assert.True(io.TryStart(BlockIoDirection.Read, (ulong)(tag * Block), [Buffer(0x100000 + (ulong)tag * Block, Block)], tag));
            }
            io.Submit();
            var seen = new HashSet<int>();
            while (seen.Count < 32)
            {
                var (tag, result) = WaitForOne(io);
                Assert.True(seen.Add(tag), $"tag {tag} completed twice");
                Assert.Equal(Block, result);
                Assert.Equal(_contents.AsSpan(tag * Block, Block).ToArray(), _memory.GetSpan(0x100000 + (ulong)tag * Block, Block).ToArray());
            }
        }
    }

    [Fact]
    public void A_completion_signals_the_queue_workers_eventfd()
    {
        var (io, disk) = Open(direct: true);
        using var wake = new EventFd();
        using (disk)
        using (io)
        {
            io.SignalOnCompletion(wake);
            Assert.True(io.TryStart(BlockIoDirection.Read, 0, [Buffer(0x1000 * 16, Block)], tag: 4));
            io.Submit();
            Assert.NotEqual(0ul, wake.Wait());
            Assert.Equal((4, (long)Block), WaitForOne(io));
        }
    }

    [Fact]
    public void Huge_page_guest_ram_starts_on_a_2_MiB_boundary()
    {
        Assert.True(_memory.TryGetHostAddress(0, 4096, out nuint host));
        Assert.Equal(0ul, (ulong)host % MappedGuestMemory.HugePageSize);
    }
}
