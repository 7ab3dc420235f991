using Turnstone.Devices.Virtio;

namespace Turnstone.UnitTests.Virtio;

public sealed class VirtioConsoleTransmitTests
{
    [Fact]
    public void Multi_descriptor_chain_reaches_the_stream_in_order_and_returns_with_length_zero()
    {
        var rig = new ConsoleRig();
        ushort head = rig.Transmit.AddChain(rig.Readable("hello, "), rig.Readable("wor"), rig.Readable("ld\n"));
        ushort second = rig.Transmit.AddChain(rig.Readable("$ "));

        var result = rig.RunTransmit();

        Assert.Equal(new VirtqueueRunResult(2, true, false, null), result);
        Assert.Equal("hello, world\n$ ", System.Text.Encoding.ASCII.GetString(rig.OutputBytes));
        Assert.Equal(2, rig.Transmit.UsedIndex);
        Assert.Equal((head, 0u), rig.Transmit.UsedElement(0));
        Assert.Equal((second, 0u), rig.Transmit.UsedElement(1));
    }

    [Fact]
    public void Indirect_chain_is_followed_when_negotiated()
    {
        var rig = new ConsoleRig();
        ushort head = rig.Transmit.AddIndirectChain(rig.Allocate(48), rig.Readable("in"), rig.Readable("dir"), rig.Readable("ect"));

        var result = rig.RunTransmit();

        Assert.Equal(1, result.Completed);
        Assert.False(result.NeedsReset);
        Assert.Equal("indirect", System.Text.Encoding.ASCII.GetString(rig.OutputBytes));
        Assert.Equal((head, 0u), rig.Transmit.UsedElement(0));
    }

    [Fact]
    public void Indirect_chain_without_the_feature_puts_the_device_in_needs_reset()
    {
        var rig = new ConsoleRig(driverFeatures: ~VirtioFeatures.IndirectDescriptors);
        rig.Transmit.AddIndirectChain(rig.Allocate(16), rig.Readable("x"));

        var result = rig.RunTransmit();

        Assert.True(result.NeedsReset);
        Assert.Contains(nameof(VirtqueueError.BadIndirect), result.Problem);
        Assert.Empty(rig.OutputBytes);
        Assert.Equal(0, rig.Transmit.UsedIndex);
    }

    [Fact]
    public void Device_writable_buffer_in_transmitq_breaks_the_protocol_and_nothing_is_output()
    {
        var rig = new ConsoleRig();
        rig.Transmit.AddChain(rig.Readable("lost"), rig.Writable(8));

        var result = rig.RunTransmit();

        Assert.True(result.NeedsReset);
        Assert.Contains("device-writable", result.Problem);
        Assert.Empty(rig.OutputBytes);
        Assert.Equal(0, rig.Transmit.UsedIndex);
        Assert.True(rig.Device.NeedsReset);

        // Nothing more is processed until the driver resets the device.
        rig.Transmit.AddChain(rig.Readable("later"));
        Assert.Equal(new VirtqueueRunResult(0, false, true, null), rig.RunTransmit());
        Assert.Empty(rig.OutputBytes);
    }

    [Fact]
    public void Event_index_suppresses_the_interrupt_until_the_driver_asks_for_one()
    {
        var rig = new ConsoleRig();
        rig.Transmit.SetUsedEvent(1); // interrupt once the second chain is used
        rig.Transmit.AddChain(rig.Readable("a"));

        var first = rig.RunTransmit();
        rig.Transmit.AddChain(rig.Readable("b"));
        var second = rig.RunTransmit();

        Assert.Equal((1, false), (first.Completed, first.InterruptNeeded));
        Assert.Equal((1, true), (second.Completed, second.InterruptNeeded));
        Assert.Equal("ab", System.Text.Encoding.ASCII.GetString(rig.OutputBytes));
    }

    [Fact]
    public void Host_stream_failure_drops_the_output_but_returns_the_chain()
    {
        var rig = new ConsoleRig(output: new FailingStream());
        ushort head = rig.Transmit.AddChain(rig.Readable("gone"));

        var result = rig.RunTransmit();

        Assert.Equal(new VirtqueueRunResult(1, true, false, null), result);
        Assert.Equal((head, 0u), rig.Transmit.UsedElement(0));
        Assert.Equal(4, rig.Device.DroppedOutputBytes);
    }

    /// <summary>A host output whose reader went away: every write fails with an I/O error.</summary>
    private sealed class FailingStream : Turnstone.HostIo.WriteOnlyStream
    {
        public override void Flush() => throw new IOException("broken pipe");
        public override void Write(ReadOnlySpan<byte> buffer) => throw new IOException("broken pipe");
    }
}
