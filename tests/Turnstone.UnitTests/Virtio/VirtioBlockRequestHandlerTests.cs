using System.Text;
using Turnstone.Devices.Virtio;
using Turnstone.Devices.Virtio.Block;
using Turnstone.GuestMemory;

namespace Turnstone.UnitTests.Virtio;

public sealed class VirtioBlockRequestHandlerTests
{
    private const byte Ok = (byte)VirtioBlockStatus.Ok;
    private const byte IoError = (byte)VirtioBlockStatus.IoError;
    private const byte Unsupported = (byte)VirtioBlockStatus.Unsupported;

    private static byte[] Pattern(int length, byte seed)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(seed + i * 13);
        }
        return bytes;
    }

    [Fact]
    public void Read_fills_scattered_data_buffers_from_the_disk()
    {
        var rig = new BlockRig();
        var expected = rig.DiskSnapshot().AsSpan(2 * 512, 1536).ToArray();

        var request = rig.AddRead(2, 1024, 512);
        var result = rig.HandleNext();

        Assert.False(result.NeedsReset);
        Assert.Equal(Ok, rig.StatusOf(request));
        Assert.Equal(expected[..1024], rig.Data(request, 0, 1024));
        Assert.Equal(expected[1024..], rig.Data(request, 1, 512));
        Assert.Equal(1537u, result.UsedLength); // all data plus the status byte
        Assert.Null(result.Problem);
    }

    [Fact]
    public void Write_stores_the_data_and_a_read_returns_it()
    {
        var rig = new BlockRig();
        var first = Pattern(512, 1);
        var second = Pattern(1024, 99);

        var write = rig.AddWrite(5, first, second);
        var writeResult = rig.HandleNext();

        Assert.Equal(Ok, rig.StatusOf(write));
        Assert.Equal(1u, writeResult.UsedLength);
        Assert.Equal(first, rig.Disk.Contents.Slice(5 * 512, 512).ToArray());
        Assert.Equal(second, rig.Disk.Contents.Slice(6 * 512, 1024).ToArray());

        var read = rig.AddRead(5, 1536);
        rig.HandleNext();
        Assert.Equal(Ok, rig.StatusOf(read));
        Assert.Equal([.. first, .. second], rig.Data(read, 0, 1536));
    }

    [Fact]
    public void The_header_and_status_may_share_descriptors_with_other_parts()
    {
        // virtio 1.x devices must not assume a framing: here the header is split 4 + 12 and the
        // status byte is the tail of the data descriptor.
        var rig = new BlockRig();
        var header = BlockRig.Header(VirtioBlockRequestType.In, 1);
        ulong h1 = rig.Driver.AllocateWith(header.AsSpan(0, 4)), h2 = rig.Driver.AllocateWith(header.AsSpan(4));
        ulong dataAndStatus = rig.Driver.Allocate(513);
        rig.Driver.AddChain(DriverBuffer.Readable(h1, 4), DriverBuffer.Readable(h2, 12), DriverBuffer.Writable(dataAndStatus, 513));

        var result = rig.HandleNext();

        Assert.Equal(Ok, rig.Memory.ReadByte(dataAndStatus + 512));
        Assert.Equal(rig.DiskSnapshot().AsSpan(512, 512).ToArray(), rig.Memory.GetSpan(dataAndStatus, 512).ToArray());
        Assert.Equal(513u, result.UsedLength);
    }

    [Fact]
    public void Requests_through_an_indirect_table_work()
    {
        var rig = new BlockRig(indirect: true);
        ulong header = rig.Driver.AllocateWith(BlockRig.Header(VirtioBlockRequestType.In, 3));
        ulong data = rig.Driver.Allocate(512), status = rig.Driver.Allocate(1);
        rig.Driver.AddIndirectChain(DriverBuffer.Readable(header, 16), DriverBuffer.Writable(data, 512), DriverBuffer.Writable(status, 1));

        rig.HandleNext();

        Assert.Equal(Ok, rig.Memory.ReadByte(status));
        Assert.Equal(rig.DiskSnapshot().AsSpan(3 * 512, 512).ToArray(), rig.Memory.GetSpan(data, 512).ToArray());
    }

    [Fact]
    public void Flush_reaches_the_backend()
    {
        var rig = new BlockRig();

        var request = rig.Add(BlockRig.Header(VirtioBlockRequestType.Flush, 0), false);
        var result = rig.HandleNext();

        Assert.Equal(Ok, rig.StatusOf(request));
        Assert.Equal(1, rig.Backend.Flushes);
        Assert.Equal(1u, result.UsedLength);
    }

    [Fact]
    public void Get_id_returns_the_nul_padded_twenty_byte_string()
    {
        var rig = new BlockRig(options: new VirtioBlockOptions { DeviceIdString = "disk-0" });

        var request = rig.Add(BlockRig.Header(VirtioBlockRequestType.GetId, 0), true, new byte[20]);
        var result = rig.HandleNext();

        Assert.Equal(Ok, rig.StatusOf(request));
        var expected = new byte[20];
        Encoding.ASCII.GetBytes("disk-0").CopyTo(expected, 0);
        Assert.Equal(expected, rig.Data(request, 0, 20));
        Assert.Equal(21u, result.UsedLength);
    }

    [Fact]
    public void Get_id_fills_the_whole_buffer_when_the_string_is_twenty_bytes_and_truncates_for_a_short_buffer()
    {
        var rig = new BlockRig(options: new VirtioBlockOptions { DeviceIdString = "ABCDEFGHIJKLMNOPQRST" });

        var full = rig.Add(BlockRig.Header(VirtioBlockRequestType.GetId, 0), true, new byte[20]);
        rig.HandleNext();
        Assert.Equal("ABCDEFGHIJKLMNOPQRST"u8.ToArray(), rig.Data(full, 0, 20));

        var shortBuffer = rig.Add(BlockRig.Header(VirtioBlockRequestType.GetId, 0), true, new byte[8]);
        var result = rig.HandleNext();
        Assert.Equal(Ok, rig.StatusOf(shortBuffer));
        Assert.Equal("ABCDEFGH"u8.ToArray(), rig.Data(shortBuffer, 0, 8));
        Assert.Equal(9u, result.UsedLength);
    }

    [Fact]
    public void A_device_id_longer_than_twenty_bytes_is_a_host_configuration_error()
    {
        var rig = new BlockRig();

        Assert.Throws<ArgumentException>(() => new VirtioBlockRequestHandler(rig.Memory, rig.Backend,
            new VirtioBlockOptions { DeviceIdString = new string('x', 21) }));
    }

    [Fact]
    public void Discard_passes_every_segment_to_the_backend()
    {
        var rig = new BlockRig();

        var request = rig.Add(BlockRig.Header(VirtioBlockRequestType.Discard, 0), false,
            [.. BlockRig.DiscardSegment(4, 2), .. BlockRig.DiscardSegment(10, 1)]);
        var result = rig.HandleNext();

        Assert.Equal(Ok, rig.StatusOf(request));
        Assert.Equal([(4ul * 512, 1024ul), (10ul * 512, 512ul)], rig.Backend.Discards);
        Assert.Equal(1u, result.UsedLength);
    }

    [Fact]
    public void Write_zeroes_zeroes_the_ranges_with_or_without_unmap()
    {
        var rig = new BlockRig();

        var request = rig.Add(BlockRig.Header(VirtioBlockRequestType.WriteZeroes, 0), false,
            BlockRig.DiscardSegment(1, 2), BlockRig.DiscardSegment(20, 1, VirtioBlockProtocol.DiscardWriteZeroesFlagUnmap));
        rig.HandleNext();

        Assert.Equal(Ok, rig.StatusOf(request));
        Assert.All(rig.Disk.Contents.Slice(512, 1024).ToArray(), b => Assert.Equal(0, b));
        Assert.All(rig.Disk.Contents.Slice(20 * 512, 512).ToArray(), b => Assert.Equal(0, b));
        Assert.NotEqual(0, rig.Disk.Contents[3 * 512 + 1]); // neighbours untouched
    }

    [Fact]
    public void Discard_with_unmap_or_reserved_flags_is_unsupported_and_touches_nothing()
    {
        var rig = new BlockRig();

        var unmap = rig.Add(BlockRig.Header(VirtioBlockRequestType.Discard, 0), false,
            BlockRig.DiscardSegment(4, 2, VirtioBlockProtocol.DiscardWriteZeroesFlagUnmap));
        rig.HandleNext();
        var reserved = rig.Add(BlockRig.Header(VirtioBlockRequestType.WriteZeroes, 0), false,
            [.. BlockRig.DiscardSegment(1, 1), .. BlockRig.DiscardSegment(4, 2, 0x8000_0000)]);
        rig.HandleNext();

        Assert.Equal(Unsupported, rig.StatusOf(unmap));
        Assert.Equal(Unsupported, rig.StatusOf(reserved));
        Assert.Equal(0, rig.Backend.Mutations); // the first, valid segment was not executed either
    }

    [Theory]
    [InlineData(0)]   // no segment at all
    [InlineData(8)]   // half a segment
    [InlineData(24)]
    public void Discard_payloads_that_are_not_whole_segments_are_io_errors(int payloadLength)
    {
        var rig = new BlockRig();

        var request = payloadLength == 0
            ? rig.Add(BlockRig.Header(VirtioBlockRequestType.Discard, 0), false)
            : rig.Add(BlockRig.Header(VirtioBlockRequestType.Discard, 0), false, new byte[payloadLength]);
        rig.HandleNext();

        Assert.Equal(IoError, rig.StatusOf(request));
        Assert.Empty(rig.Backend.Discards);
    }

    [Fact]
    public void Discard_beyond_the_limits_or_the_disk_is_an_io_error()
    {
        var rig = new BlockRig(options: new VirtioBlockOptions { MaxDiscardSegments = 2, MaxDiscardSectors = 8 });

        var tooManySegments = rig.Add(BlockRig.Header(VirtioBlockRequestType.Discard, 0), false,
            [.. BlockRig.DiscardSegment(0, 1), .. BlockRig.DiscardSegment(1, 1), .. BlockRig.DiscardSegment(2, 1)]);
        rig.HandleNext();
        var tooManySectors = rig.Add(BlockRig.Header(VirtioBlockRequestType.Discard, 0), false, BlockRig.DiscardSegment(0, 9));
        rig.HandleNext();
        var pastTheEnd = rig.Add(BlockRig.Header(VirtioBlockRequestType.Discard, 0), false, BlockRig.DiscardSegment(63, 2));
        rig.HandleNext();
        var wrapping = rig.Add(BlockRig.Header(VirtioBlockRequestType.Discard, 0), false, BlockRig.DiscardSegment(ulong.MaxValue - 1, 4));
        rig.HandleNext();

        Assert.Equal(IoError, rig.StatusOf(tooManySegments));
        Assert.Equal(IoError, rig.StatusOf(tooManySectors));
        Assert.Equal(IoError, rig.StatusOf(pastTheEnd));
        Assert.Equal(IoError, rig.StatusOf(wrapping));
        Assert.Empty(rig.Backend.Discards);
    }

    [Fact]
    public void Discard_and_write_zeroes_are_unsupported_when_disabled()
    {
        var rig = new BlockRig(options: new VirtioBlockOptions { EnableDiscard = false, EnableWriteZeroes = false });

        var discard = rig.Add(BlockRig.Header(VirtioBlockRequestType.Discard, 0), false, BlockRig.DiscardSegment(0, 1));
        rig.HandleNext();
        var zeroes = rig.Add(BlockRig.Header(VirtioBlockRequestType.WriteZeroes, 0), false, BlockRig.DiscardSegment(0, 1));
        rig.HandleNext();

        Assert.Equal(Unsupported, rig.StatusOf(discard));
        Assert.Equal(Unsupported, rig.StatusOf(zeroes));
        Assert.Equal(0, rig.Backend.Mutations);
    }

    [Fact]
    public void A_read_only_disk_refuses_every_kind_of_write_and_is_never_written()
    {
        var rig = new BlockRig(readOnly: true);
        var before = rig.DiskSnapshot();

        var write = rig.AddWrite(1, Pattern(512, 5));
        rig.HandleNext();
        var discard = rig.Add(BlockRig.Header(VirtioBlockRequestType.Discard, 0), false, BlockRig.DiscardSegment(0, 1));
        rig.HandleNext();
        var zeroes = rig.Add(BlockRig.Header(VirtioBlockRequestType.WriteZeroes, 0), false, BlockRig.DiscardSegment(0, 1));
        rig.HandleNext();
        var read = rig.AddRead(1, 512);
        rig.HandleNext();

        Assert.Equal(IoError, rig.StatusOf(write));
        Assert.Equal(IoError, rig.StatusOf(discard));
        Assert.Equal(IoError, rig.StatusOf(zeroes));
        Assert.Equal(Ok, rig.StatusOf(read));
        Assert.Equal(0, rig.Backend.Writes);
        Assert.Equal(0, rig.Backend.Mutations);
        Assert.Equal(before, rig.DiskSnapshot());
    }

    [Theory]
    [InlineData(63ul, 1024)]                 // second sector is past the last one
    [InlineData(64ul, 512)]                  // first sector past the end
    [InlineData(ulong.MaxValue, 512)]        // sector * 512 would overflow
    [InlineData(0x0080_0000_0000_0000ul, 512)]
    public void Reads_beyond_the_capacity_are_io_errors_and_never_reach_the_backend(ulong sector, int length)
    {
        var rig = new BlockRig();

        var request = rig.AddRead(sector, length);
        var result = rig.HandleNext();

        Assert.Equal(IoError, rig.StatusOf(request));
        Assert.Equal(0, rig.Backend.Reads);
        Assert.Equal(0u, result.UsedLength); // the data part before the status was not written
        Assert.NotNull(result.Problem);
    }

    [Fact]
    public void Writes_beyond_the_capacity_are_io_errors()
    {
        var rig = new BlockRig();

        var request = rig.AddWrite(63, Pattern(1024, 3));
        rig.HandleNext();

        Assert.Equal(IoError, rig.StatusOf(request));
        Assert.Equal(0, rig.Backend.Writes);
    }

    [Fact]
    public void The_last_sector_is_readable()
    {
        var rig = new BlockRig();

        var request = rig.AddRead(63, 512);
        rig.HandleNext();

        Assert.Equal(Ok, rig.StatusOf(request));
    }

    [Fact]
    public void A_partial_last_sector_of_the_backend_is_not_addressable()
    {
        var rig = new BlockRig(diskBytes: 64 * 512 + 100);

        var request = rig.AddRead(64, 512);
        rig.HandleNext();

        Assert.Equal(IoError, rig.StatusOf(request));
        Assert.Equal(64ul, rig.Handler.CapacitySectors);
    }

    [Theory]
    [InlineData(VirtioBlockRequestType.In)]
    [InlineData(VirtioBlockRequestType.Out)]
    public void Data_that_is_not_whole_sectors_is_an_io_error(VirtioBlockRequestType type)
    {
        var rig = new BlockRig();

        var request = rig.Add(BlockRig.Header(type, 0), type == VirtioBlockRequestType.In, new byte[500]);
        rig.HandleNext();

        Assert.Equal(IoError, rig.StatusOf(request));
        Assert.Equal(0, rig.Backend.Reads + rig.Backend.Writes);
    }

    [Fact]
    public void A_read_whose_data_buffer_is_device_readable_is_an_io_error()
    {
        var rig = new BlockRig();

        var request = rig.Add(BlockRig.Header(VirtioBlockRequestType.In, 0), false, new byte[512]);
        var result = rig.HandleNext();

        Assert.Equal(IoError, rig.StatusOf(request));
        Assert.Equal(0, rig.Backend.Reads);
        Assert.Equal(new byte[512], rig.Data(request, 0, 512)); // the readable buffer was not written
        Assert.Equal(1u, result.UsedLength);
    }

    [Fact]
    public void A_write_whose_data_buffer_is_device_writable_is_an_io_error_and_writes_nothing()
    {
        var rig = new BlockRig();
        var before = rig.DiskSnapshot();

        var request = rig.Add(BlockRig.Header(VirtioBlockRequestType.Out, 0), true, Pattern(512, 9));
        var result = rig.HandleNext();

        Assert.Equal(IoError, rig.StatusOf(request));
        Assert.Equal(0, rig.Backend.Writes);
        Assert.Equal(before, rig.DiskSnapshot());
        Assert.Equal(0u, result.UsedLength);
    }

    [Fact]
    public void A_chain_without_a_writable_status_byte_is_broken_and_nothing_is_written()
    {
        var rig = new BlockRig();
        ulong header = rig.Driver.AllocateWith(BlockRig.Header(VirtioBlockRequestType.In, 0));
        ulong data = rig.Driver.Allocate(512);
        rig.Driver.AddChain(DriverBuffer.Readable(header, 16), DriverBuffer.Readable(data, 512));

        var result = rig.HandleNext();

        Assert.True(result.NeedsReset);
        Assert.Null(result.ChainError);
        Assert.NotNull(result.Problem);
        Assert.Equal(0, rig.Backend.Reads);
    }

    [Fact]
    public void A_malformed_chain_is_reported_as_broken_with_its_virtqueue_error()
    {
        var rig = new BlockRig();
        rig.Driver.WriteDescriptor(0, 0xFFFF_FFFF_0000, 16, VirtqueueDescriptorChain.FlagNext, next: 1);
        rig.Driver.WriteDescriptor(1, rig.Driver.Allocate(1), 1, VirtqueueDescriptorChain.FlagWrite);
        rig.Driver.Publish(0);

        var result = rig.HandleNext();

        Assert.True(result.NeedsReset);
        Assert.Equal(VirtqueueError.AddressOutOfRange, result.ChainError);
    }

    [Fact]
    public void A_header_shorter_than_sixteen_bytes_is_an_io_error()
    {
        var rig = new BlockRig();

        var request = rig.Add(new byte[8], false);
        rig.HandleNext();

        Assert.Equal(IoError, rig.StatusOf(request));
        Assert.Equal(0, rig.Backend.Reads + rig.Backend.Mutations + rig.Backend.Flushes);
    }

    [Theory]
    [InlineData(2u)]    // legacy SCSI command
    [InlineData(10u)]   // GET_LIFETIME, not offered
    [InlineData(14u)]   // SECURE_ERASE, not offered
    [InlineData(16u)]   // zone report
    [InlineData(0xFFFF_FFFFu)]
    public void Unknown_or_unoffered_request_types_are_unsupported(uint type)
    {
        var rig = new BlockRig();

        var request = rig.Add(BlockRig.Header(type, 0), true, new byte[512]);
        var result = rig.HandleNext();

        Assert.Equal(Unsupported, rig.StatusOf(request));
        Assert.False(result.NeedsReset);
        Assert.Equal(0, rig.Backend.Reads + rig.Backend.Mutations);
    }

    [Fact]
    public void Host_io_failures_become_io_errors()
    {
        var rig = new BlockRig();
        rig.Backend.Failure = new IOException("disk on fire");

        var read = rig.AddRead(0, 512);
        var result = rig.HandleNext();
        var flush = rig.Add(BlockRig.Header(VirtioBlockRequestType.Flush, 0), false);
        rig.HandleNext();

        Assert.Equal(IoError, rig.StatusOf(read));
        Assert.Equal(IoError, rig.StatusOf(flush));
        Assert.Contains("disk on fire", result.Problem);
        Assert.Equal(0u, result.UsedLength);
    }
}
