using System.Diagnostics;
using Turnstone.Devices.Virtio.Block;
using Turnstone.HostIo;
using Turnstone.UnitTests.Virtio;

namespace Turnstone.UnitTests.HostIo;

/// <summary>
/// Discard as a hole punched in the image (fallocate PUNCH_HOLE | KEEP_SIZE), against real files
/// under /var/tmp (ext4 on the build machines; tmpfs, xfs and btrfs punch holes too). Nothing is
/// skipped: a file system there that cannot punch holes fails these tests with the backend's message.
/// </summary>
public sealed class RawFileBlockBackendDiscardTests : IDisposable
{
    private const int MiB = 1 << 20;
    private readonly string _path = Path.Combine("/var/tmp", $"turnstone-discard-{Guid.NewGuid():N}.img");
    private readonly byte[] _contents = new byte[4 * MiB];

    public RawFileBlockBackendDiscardTests()
    {
        new Random(11).NextBytes(_contents);
        File.WriteAllBytes(_path, _contents);
    }

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void A_discarded_range_reads_as_zeroes_and_gives_its_blocks_back_to_the_host()
    {
        using var backend = RawFileBlockBackend.Open(_path, isReadOnly: false);
        backend.Flush(); // the blocks are really allocated before they are counted
        long allocatedBefore = AllocatedBytes(_path);
        Assert.True(allocatedBefore >= _contents.Length, $"{allocatedBefore} bytes allocated for a {_contents.Length}-byte image");

        backend.Discard(MiB, MiB);
        backend.Flush();

        var image = new byte[_contents.Length];
        backend.ReadAt(0, image);
        Assert.Equal(_contents.AsSpan(0, MiB).ToArray(), image.AsSpan(0, MiB).ToArray());
        Assert.True(image.AsSpan(MiB, MiB).IndexOfAnyExcept((byte)0) < 0, "the discarded range does not read as zeroes");
        Assert.Equal(_contents.AsSpan(2 * MiB).ToArray(), image.AsSpan(2 * MiB).ToArray());
        Assert.Equal((long)_contents.Length, new FileInfo(_path).Length); // KEEP_SIZE
        long allocatedAfter = AllocatedBytes(_path);
        Assert.True(allocatedBefore - allocatedAfter >= MiB,
            $"allocation went from {allocatedBefore} to {allocatedAfter} bytes; a 1 MiB hole should free at least 1 MiB");
    }

    [Fact]
    public void A_discard_that_covers_blocks_partly_zeroes_exactly_its_range()
    {
        using (var backend = RawFileBlockBackend.Open(_path, isReadOnly: false))
        {
            // Sectors 9..17 of a 4 KiB-block file: the edge blocks are zeroed in place, not freed.
            backend.Discard(9 * 512, 9 * 512);
        }

        var image = File.ReadAllBytes(_path);
        Assert.Equal(_contents.AsSpan(0, 9 * 512).ToArray(), image.AsSpan(0, 9 * 512).ToArray());
        Assert.True(image.AsSpan(9 * 512, 9 * 512).IndexOfAnyExcept((byte)0) < 0, "the discarded sectors do not read as zeroes");
        Assert.Equal(_contents.AsSpan(18 * 512).ToArray(), image.AsSpan(18 * 512).ToArray());
    }

    [Fact]
    public void A_guest_discard_request_punches_every_segment_and_reports_ok()
    {
        using (var backend = RawFileBlockBackend.Open(_path, isReadOnly: false))
        {
            var rig = new BlockRig();
            var handler = new VirtioBlockRequestHandler(rig.Memory, backend);
            Assert.True(handler.DiscardEnabled);
            var discard = rig.Add(BlockRig.Header(VirtioBlockRequestType.Discard, 0), false,
                [.. BlockRig.DiscardSegment(8, 8), .. BlockRig.DiscardSegment(2048, 2048)]);

            var result = handler.Handle(rig.Driver.PopSingle());

            Assert.Null(result.Problem);
            Assert.Equal((byte)VirtioBlockStatus.Ok, rig.StatusOf(discard));
        }

        var image = File.ReadAllBytes(_path);
        Assert.True(image.AsSpan(8 * 512, 8 * 512).IndexOfAnyExcept((byte)0) < 0);
        Assert.True(image.AsSpan(MiB, MiB).IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(_contents.AsSpan(16 * 512, MiB - 16 * 512).ToArray(), image.AsSpan(16 * 512, MiB - 16 * 512).ToArray());
        Assert.Equal(_contents.AsSpan(2 * MiB).ToArray(), image.AsSpan(2 * MiB).ToArray());
    }

    [Fact]
    public void A_direct_io_disk_reads_the_hole_as_zeroes_too()
    {
        using var backend = RawFileBlockBackend.Open(_path, isReadOnly: false, direct: true);

        backend.Discard(MiB, 64 * 1024);

        var after = new byte[128 * 1024];
        backend.ReadAt(MiB, after);
        Assert.True(after.AsSpan(0, 64 * 1024).IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(_contents.AsSpan(MiB + 64 * 1024, 64 * 1024).ToArray(), after.AsSpan(64 * 1024).ToArray());
    }

    [Fact]
    public void A_read_only_disk_neither_offers_nor_does_discard()
    {
        using var backend = RawFileBlockBackend.Open(_path, isReadOnly: true);
        var rig = new BlockRig();
        var handler = new VirtioBlockRequestHandler(rig.Memory, backend);
        var discard = rig.Add(BlockRig.Header(VirtioBlockRequestType.Discard, 0), false, BlockRig.DiscardSegment(0, 8));

        handler.Handle(rig.Driver.PopSingle());

        Assert.False(handler.DiscardEnabled);
        Assert.Equal((byte)VirtioBlockStatus.IoError, rig.StatusOf(discard));
        Assert.Throws<InvalidOperationException>(() => backend.Discard(0, 4096));
        Assert.Equal(_contents, File.ReadAllBytes(_path));
    }

    [Fact]
    public void A_file_system_that_cannot_punch_holes_makes_discard_unsupported()
    {
        // procfs files have no fallocate: the kernel answers EOPNOTSUPP, as FAT or NFS 3 would.
        // Opening our own comm read-write changes nothing; only writing to it would.
        using var backend = RawFileBlockBackend.Open("/proc/self/comm", isReadOnly: false);

        var error = Assert.Throws<NotSupportedException>(() => backend.Discard(0, 512));

        Assert.Contains("cannot punch holes", error.Message);
    }

    /// <summary>Bytes the file system has allocated to <paramref name="path"/> (st_blocks), from stat(1).</summary>
    private static long AllocatedBytes(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%b %B", path]) { RedirectStandardOutput = true })!;
        string[] fields = stat.StandardOutput.ReadToEnd().Split(' ', StringSplitOptions.TrimEntries);
        stat.WaitForExit();
        Assert.Equal(0, stat.ExitCode);
        return long.Parse(fields[0]) * long.Parse(fields[1]);
    }
}
