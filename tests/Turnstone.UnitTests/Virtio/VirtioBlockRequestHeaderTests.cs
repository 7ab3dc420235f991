using Turnstone.Devices.Virtio.Block;

namespace Turnstone.UnitTests.Virtio;

public sealed class VirtioBlockRequestHeaderTests
{
    [Fact]
    public void The_header_and_the_data_lengths_come_from_the_chain_not_from_its_descriptors()
    {
        var rig = new BlockRig();
        // Header split over two descriptors, then 1024 data bytes and the status in one writable buffer.
        byte[] header = BlockRig.Header(VirtioBlockRequestType.In, 7);
        ulong first = rig.Driver.AllocateWith(header[..5]);
        ulong second = rig.Driver.AllocateWith(header[5..]);
        ulong dataAndStatus = rig.Driver.Allocate(1025);
        rig.Driver.AddChain(DriverBuffer.Readable(first, 5), DriverBuffer.Readable(second, 11), DriverBuffer.Writable(dataAndStatus, 1025));

        Assert.True(VirtioBlockRequestHeader.TryRead(rig.Driver.PopSingle(), out var request, out string problem));

        Assert.Equal(new VirtioBlockRequestHeader(VirtioBlockRequestType.In, 7, 0, 1024), request);
        Assert.Equal("", problem);
    }

    [Fact]
    public void A_short_header_or_no_status_byte_is_refused_with_the_reason()
    {
        var rig = new BlockRig();
        rig.Driver.AddChain(DriverBuffer.Readable(rig.Driver.Allocate(15), 15), DriverBuffer.Writable(rig.Driver.Allocate(1), 1));
        Assert.False(VirtioBlockRequestHeader.TryRead(rig.Driver.PopSingle(), out _, out string shortHeader));
        Assert.Contains("15 bytes, not 16", shortHeader);

        rig.Driver.AddChain(DriverBuffer.Readable(rig.Driver.AllocateWith(BlockRig.Header(VirtioBlockRequestType.Out, 0)), 16));
        Assert.False(VirtioBlockRequestHeader.TryRead(rig.Driver.PopSingle(), out _, out string noStatus));
        Assert.Contains("status", noStatus);
    }
}
