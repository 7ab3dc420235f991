using Turnstone.Devices.Virtio;
using Turnstone.Devices.Virtio.Block;
using Turnstone.HostIo;
using Turnstone.UnitTests.Virtio;

namespace Turnstone.UnitTests.HostIo;

public sealed class RawFileBlockBackendTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"turnstone-blk-{Guid.NewGuid():N}.img");

    public RawFileBlockBackendTests()
    {
        var contents = new byte[8 * 512];
        for (int i = 0; i < contents.Length; i++)
        {
            contents[i] = (byte)(i / 512 + 1);
        }
        File.WriteAllBytes(_path, contents);
    }

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void Reads_writes_zeroes_and_flushes_a_raw_image()
    {
        using (var backend = RawFileBlockBackend.Open(_path, isReadOnly: false))
        {
            Assert.Equal(4096ul, backend.Capacity);
            var sector = new byte[512];
            backend.ReadAt(512 * 3, sector);
            Assert.All(sector, b => Assert.Equal(4, b));

            backend.WriteAt(512 * 2, Enumerable.Repeat((byte)0xAB, 512).ToArray());
            backend.WriteZeroes(512 * 5, 1024);
            backend.Discard(0, 512); // a hole: the sector reads as zeroes
            backend.Flush();
        }

        var image = File.ReadAllBytes(_path);
        Assert.All(image[..512], b => Assert.Equal(0, b));
        Assert.All(image[512..1024], b => Assert.Equal(2, b));
        Assert.All(image[1024..1536], b => Assert.Equal(0xAB, b));
        Assert.All(image[2560..3584], b => Assert.Equal(0, b));
        Assert.All(image[3584..], b => Assert.Equal(8, b));
    }

    [Fact]
    public void A_read_only_image_is_opened_read_only_and_requests_to_write_it_fail_as_io_errors()
    {
        var before = File.ReadAllBytes(_path);
        using var backend = RawFileBlockBackend.Open(_path, isReadOnly: true);
        var rig = new FileRig(backend);

        var write = rig.Rig.Add(BlockRig.Header(VirtioBlockRequestType.Out, 1), false, new byte[512]);
        rig.Handle();
        var read = rig.Rig.AddRead(1, 512);
        rig.Handle();

        Assert.Equal((byte)VirtioBlockStatus.IoError, rig.Rig.StatusOf(write));
        Assert.Equal((byte)VirtioBlockStatus.Ok, rig.Rig.StatusOf(read));
        Assert.All(rig.Rig.Data(read, 0, 512), b => Assert.Equal(2, b));
        Assert.Throws<InvalidOperationException>(() => backend.WriteAt(0, new byte[512]));
        Assert.Equal(before, File.ReadAllBytes(_path));
    }

    [Fact]
    public void An_image_that_shrank_under_the_device_reads_as_an_io_error()
    {
        // Read-only, so the file takes a shared lock and another writer can still truncate it.
        using var backend = RawFileBlockBackend.Open(_path, isReadOnly: true);
        var rig = new FileRig(backend);
        using (var stream = new FileStream(_path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            stream.SetLength(512);
        }

        var read = rig.Rig.AddRead(4, 512);
        var result = rig.Handle();

        Assert.Equal((byte)VirtioBlockStatus.IoError, rig.Rig.StatusOf(read));
        Assert.NotNull(result.Problem);
    }

    /// <summary>A block rig whose handler talks to the file backend instead of the memory disk.</summary>
    private sealed class FileRig(IBlockBackend backend)
    {
        public BlockRig Rig { get; } = new();

        public VirtqueueChainOutcome Handle() => new VirtioBlockRequestHandler(Rig.Memory, backend).Handle(Rig.Driver.PopSingle());
    }
}
