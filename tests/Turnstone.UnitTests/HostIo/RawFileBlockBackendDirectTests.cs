using System.Runtime.InteropServices;
using Turnstone.Devices.Virtio.Block;
using Turnstone.HostIo;
using Turnstone.UnitTests.Virtio;

namespace Turnstone.UnitTests.HostIo;

/// <summary>
/// Direct I/O against a real file under /var/tmp (ext4 on the build machines, which supports
/// O_DIRECT). Nothing is skipped: a file system that refuses O_DIRECT fails these tests with the
/// backend's message.
/// </summary>
public sealed class RawFileBlockBackendDirectTests : IDisposable
{
    private const int Block = RawFileBlockBackend.DirectAlignment;
    private readonly string _path = Path.Combine("/var/tmp", $"turnstone-direct-{Guid.NewGuid():N}.img");
    private byte[] _model = [];

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void Opening_direct_sets_O_DIRECT_on_the_descriptor_and_a_plain_open_does_not()
    {
        CreateImage(4 * Block);
        using (RawFileBlockBackend.Open(_path, isReadOnly: false))
        {
            Assert.Equal(0, OpenFlags() & ODirect);
        }
        using var backend = RawFileBlockBackend.Open(_path, isReadOnly: false, direct: true);
        Assert.True(backend.IsDirect);
        Assert.Equal(ODirect, OpenFlags() & ODirect);
        Assert.Equal(2, OpenFlags() & 3); // O_RDWR
    }

    [Fact]
    public void A_file_system_without_direct_io_is_refused_with_a_message_naming_the_file_and_the_fix()
    {
        var error = Assert.Throws<NotSupportedException>(() => RawFileBlockBackend.Open("/proc/version", isReadOnly: true, direct: true));
        Assert.Contains("'/proc/version'", error.Message);
        Assert.Contains("drop ',direct'", error.Message);
    }

    [Fact]
    public void Aligned_reads_and_writes_go_straight_between_memory_and_disk()
    {
        CreateImage(16 * Block);
        var data = Aligned(3 * Block);
        Random.Shared.NextBytes(data);
        using (var backend = RawFileBlockBackend.Open(_path, isReadOnly: false, direct: true))
        {
            backend.WriteAt(4 * Block, data);
            var back = Aligned(5 * Block);
            backend.ReadAt(3 * Block, back);

            Assert.Equal(0, backend.BouncedBytes);
            Assert.Equal(_model.AsSpan(3 * Block, Block).ToArray(), back.AsSpan(0, Block).ToArray());
            Assert.Equal(data.ToArray(), back.AsSpan(Block, 3 * Block).ToArray());
        }
        data.AsSpan().CopyTo(_model.AsSpan(4 * Block));
        Assert.Equal(_model, File.ReadAllBytes(_path));
    }

    [Theory]
    [InlineData(512, 512, 0)]
    [InlineData(512, 1024, 0)]
    [InlineData(3584, 1024, 0)] // straddles a block boundary
    [InlineData(0, 4096, 512)] // aligned on disk, unaligned in memory
    [InlineData(0, 4096, 1)]
    [InlineData(4096, 4608, 0)] // aligned start, unaligned length: whole block direct, rest bounced
    [InlineData(1536, 3 * 4096, 7)]
    [InlineData(8192 + 512, 12288 - 512, 4096 - 512)]
    public void Unaligned_reads_return_exactly_the_bytes_asked_for(int offset, int length, int misalignment)
    {
        CreateImage(16 * Block);
        using var backend = RawFileBlockBackend.Open(_path, isReadOnly: true, direct: true);

        var destination = Aligned(length, misalignment);
        backend.ReadAt((ulong)offset, destination);

        Assert.Equal(_model.AsSpan(offset, length).ToArray(), destination.ToArray());
        Assert.True(backend.BouncedBytes > 0);
    }

    [Theory]
    [InlineData(512, 512, 0)]
    [InlineData(1024, 2048, 0)] // inside one block: both edges in the same block
    [InlineData(3584, 1024, 0)] // two partial blocks
    [InlineData(512, 3 * 4096, 0)] // partial, whole, whole, partial
    [InlineData(4096, 512, 0)] // aligned start, partial end
    [InlineData(4096 - 512, 512, 0)] // partial start, aligned end
    [InlineData(0, 8192, 3)] // aligned on disk, unaligned in memory: no read needed
    [InlineData(4096, 4096 + 1024, 0)]
    public void Unaligned_writes_read_modify_write_and_keep_neighbouring_bytes(int offset, int length, int misalignment)
    {
        CreateImage(16 * Block);
        using (var backend = RawFileBlockBackend.Open(_path, isReadOnly: false, direct: true))
        {
            var source = Aligned(length, misalignment);
            Random.Shared.NextBytes(source);
            backend.WriteAt((ulong)offset, source);
            source.AsSpan().CopyTo(_model.AsSpan(offset));

            var back = new byte[_model.Length];
            backend.ReadAt(0, back);
            Assert.Equal(_model, back);
        }
        Assert.Equal(_model, File.ReadAllBytes(_path));
    }

    [Fact]
    public void Requests_larger_than_the_bounce_buffer_are_bounced_in_chunks()
    {
        int size = 3 * RawFileBlockBackend.BounceBufferSize;
        CreateImage(size);
        using (var backend = RawFileBlockBackend.Open(_path, isReadOnly: false, direct: true))
        {
            int offset = 512, length = 2 * RawFileBlockBackend.BounceBufferSize + 1536;
            var source = Aligned(length, 1);
            Random.Shared.NextBytes(source);
            backend.WriteAt((ulong)offset, source);
            source.AsSpan().CopyTo(_model.AsSpan(offset));
            var back = Aligned(size - 1024, 9);
            backend.ReadAt(1024, back);

            Assert.Equal(_model.AsSpan(1024).ToArray(), back.ToArray());
            Assert.Equal(length + (long)back.Count, backend.BouncedBytes);
        }
        Assert.Equal(_model, File.ReadAllBytes(_path));
    }

    [Fact]
    public void The_bounce_buffer_is_allocated_once_and_reused()
    {
        CreateImage(128 * Block);
        using var backend = RawFileBlockBackend.Open(_path, isReadOnly: false, direct: true);
        var sector = new byte[512];
        backend.ReadAt(512, sector); // allocates the 1 MiB bounce buffer
        backend.WriteAt(512, sector);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++)
        {
            backend.ReadAt((ulong)(i * 1536 + 512), sector);
            backend.WriteAt((ulong)(i * 1024 + 512), sector);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < RawFileBlockBackend.BounceBufferSize / 4, $"{allocated} bytes allocated by 400 bounced requests");
        Assert.Equal(2 * 512 + 400 * 512, backend.BouncedBytes);
    }

    [Fact]
    public void Only_aligned_transfers_before_the_partial_last_block_go_to_a_direct_file_as_they_are()
    {
        CreateImage(4 * Block + 1536);
        using (var direct = RawFileBlockBackend.Open(_path, isReadOnly: false, direct: true))
        {
            Assert.True(direct.TransfersAsIs(Block, 2 * Block, 0x10_0000));
            Assert.True(direct.TransfersAsIs(3 * Block, Block, 0x10_0000)); // ends exactly at the last whole block
            Assert.False(direct.TransfersAsIs(512, Block, 0x10_0000)); // offset
            Assert.False(direct.TransfersAsIs(0, 512, 0x10_0000)); // length
            Assert.False(direct.TransfersAsIs(0, Block, 0x10_0200)); // memory address
            Assert.False(direct.TransfersAsIs(3 * Block, 2 * Block, 0x10_0000)); // runs into the partial block
            Assert.False(direct.TransfersAsIs(ulong.MaxValue - Block + 1, Block, 0x10_0000));
        }
        using var cached = RawFileBlockBackend.Open(_path, isReadOnly: false);
        Assert.True(cached.TransfersAsIs(512, 512, 0x10_0201));
    }

    [Fact]
    public void The_partial_block_at_the_end_of_an_image_is_read_and_written_without_growing_the_file()
    {
        CreateImage(4 * Block + 1536); // whole sectors, but not whole 4 KiB blocks
        using (var backend = RawFileBlockBackend.Open(_path, isReadOnly: false, direct: true))
        {
            var source = new byte[2048 + 1024];
            Random.Shared.NextBytes(source);
            backend.WriteAt(4 * Block - 2048, source); // crosses from the last whole block into the tail
            source.CopyTo(_model.AsSpan(4 * Block - 2048));
            backend.WriteZeroes(4 * Block + 1024, 512);
            _model.AsSpan(4 * Block + 1024, 512).Clear();

            var back = new byte[_model.Length];
            backend.ReadAt(0, back);
            Assert.Equal(_model, back);
            Assert.Equal(ODirect, OpenFlags() & ODirect); // switched back on after the tail
            backend.Flush();
        }
        Assert.Equal(_model, File.ReadAllBytes(_path));
    }

    [Fact]
    public void A_read_only_direct_image_is_opened_read_only_and_never_written()
    {
        CreateImage(8 * Block + 512);
        var modified = File.GetLastWriteTimeUtc(_path);
        using (var backend = RawFileBlockBackend.Open(_path, isReadOnly: true, direct: true))
        {
            Assert.Equal(0, OpenFlags() & 3); // O_RDONLY
            var all = new byte[_model.Length - 512];
            backend.ReadAt(512, all);
            Assert.Equal(_model.AsSpan(512).ToArray(), all);

            Assert.Throws<InvalidOperationException>(() => backend.WriteAt(512, new byte[512]));
            Assert.Throws<InvalidOperationException>(() => backend.WriteAt(0, Aligned(Block)));
            Assert.Throws<InvalidOperationException>(() => backend.WriteZeroes(0, 4096));
            Assert.Throws<InvalidOperationException>(() => backend.Discard(0, 4096));

            var rig = new BlockRig();
            var write = rig.Add(BlockRig.Header(VirtioBlockRequestType.Out, 1), false, new byte[512]);
            new VirtioBlockRequestHandler(rig.Memory, backend).Handle(rig.Driver.PopSingle());
            Assert.Equal((byte)VirtioBlockStatus.IoError, rig.StatusOf(write));
        }
        Assert.Equal(_model, File.ReadAllBytes(_path));
        Assert.Equal(modified, File.GetLastWriteTimeUtc(_path));
    }

    [Fact]
    public void Write_zeroes_and_flush_work_aligned_and_unaligned()
    {
        CreateImage(4 * RawFileBlockBackend.BounceBufferSize);
        using (var backend = RawFileBlockBackend.Open(_path, isReadOnly: false, direct: true))
        {
            backend.WriteZeroes(512, 1024);
            backend.WriteZeroes(Block * 3 - 512, 2 * (ulong)RawFileBlockBackend.BounceBufferSize + 1024);
            backend.Flush();
        }
        _model.AsSpan(512, 1024).Clear();
        _model.AsSpan(Block * 3 - 512, 2 * RawFileBlockBackend.BounceBufferSize + 1024).Clear();
        Assert.Equal(_model, File.ReadAllBytes(_path));
    }

    [Fact]
    public void Guest_requests_through_the_handler_round_trip()
    {
        CreateImage(16 * Block);
        var rig = new BlockRig();
        byte[] first = new byte[512], second = new byte[4096];
        Random.Shared.NextBytes(first);
        Random.Shared.NextBytes(second);
        BlockRequest write, read;
        using (var backend = RawFileBlockBackend.Open(_path, isReadOnly: false, direct: true))
        {
            var handler = new VirtioBlockRequestHandler(rig.Memory, backend);
            write = rig.AddWrite(3, first, second);
            handler.Handle(rig.Driver.PopSingle());
            read = rig.AddRead(3, 4096, 512);
            handler.Handle(rig.Driver.PopSingle());
            backend.Flush();
        }

        Assert.Equal((byte)VirtioBlockStatus.Ok, rig.StatusOf(write));
        Assert.Equal((byte)VirtioBlockStatus.Ok, rig.StatusOf(read));
        byte[] expected = [.. first, .. second];
        byte[] actual = [.. rig.Data(read, 0, 4096), .. rig.Data(read, 1, 512)];
        Assert.Equal(expected, actual);
        expected.CopyTo(_model, 3 * 512);
        Assert.Equal(_model, File.ReadAllBytes(_path));
    }

    private static int ODirect => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x10000 : 0x4000;

    private void CreateImage(int size)
    {
        _model = new byte[size];
        Random.Shared.NextBytes(_model);
        File.WriteAllBytes(_path, _model);
    }

    /// <summary>The file status flags of this process's only descriptor for the image, from /proc.</summary>
    private int OpenFlags()
    {
        var fds = Directory.GetFiles("/proc/self/fd")
            .Where(fd => new FileInfo(fd).LinkTarget == _path)
            .ToList();
        var fd = Assert.Single(fds);
        string line = File.ReadLines($"/proc/self/fdinfo/{Path.GetFileName(fd)}").Single(l => l.StartsWith("flags:", StringComparison.Ordinal));
        return Convert.ToInt32(line["flags:".Length..].Trim(), 8);
    }

    /// <summary><paramref name="length"/> bytes of pinned memory starting <paramref name="misalignment"/>
    /// bytes after a 4 KiB boundary (guest RAM is page-aligned; a guest buffer need not be).</summary>
    private static ArraySegment<byte> Aligned(int length, int misalignment = 0)
    {
        var array = GC.AllocateArray<byte>(length + 2 * Block, pinned: true);
        long address = Marshal.UnsafeAddrOfPinnedArrayElement(array, 0);
        int start = (int)((Block - address % Block) % Block) + misalignment;
        return new ArraySegment<byte>(array, start, length);
    }
}
