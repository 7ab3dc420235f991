using Turnstone.Devices.Virtio;
using Turnstone.Devices.Virtio.Console;
using Turnstone.GuestMemory;

namespace Turnstone.UnitTests.Virtio;

public sealed class VirtioConsoleDeviceTests
{
    private static VirtioConsoleDevice NewDevice(VirtioConsoleOptions? options = null, Stream? output = null) =>
        new(new ArrayGuestMemory(1 << 20), output ?? new MemoryStream(), options);

    private static byte[] ReadConfig(VirtioConsoleDevice device, ulong offset, int length)
    {
        var data = new byte[length];
        device.ReadConfig(offset, data);
        return data;
    }

    [Fact]
    public void Offers_version_1_ring_features_and_emergency_write_but_not_size_without_one()
    {
        var device = NewDevice();

        Assert.Equal(3u, device.DeviceType);
        Assert.Equal(VirtioFeatures.Version1 | VirtioFeatures.IndirectDescriptors | VirtioFeatures.EventIndex
            | VirtioConsoleFeatures.EmergencyWrite, device.OfferedFeatures);
        Assert.Equal(2, device.Queues.Count);
        Assert.Same(device.ReceiveQueue, device.Queues[VirtioConsoleProtocol.ReceiveQueueIndex]);
        Assert.Same(device.TransmitQueue, device.Queues[VirtioConsoleProtocol.TransmitQueueIndex]);
    }

    [Fact]
    public void Offers_size_when_the_host_knows_the_terminal_size()
    {
        var device = NewDevice(new() { InitialSize = new(132, 43), EnableEmergencyWrite = false });

        Assert.Equal(VirtioFeatures.Version1 | VirtioFeatures.IndirectDescriptors | VirtioFeatures.EventIndex
            | VirtioConsoleFeatures.Size, device.OfferedFeatures);
    }

    [Theory]
    [InlineData(VirtioConsoleFeatures.Multiport)]
    [InlineData(1UL << 5)]
    [InlineData(VirtioFeatures.RingPacked)]
    [InlineData(VirtioConsoleFeatures.Size)] // not offered without an initial size
    public void Feature_negotiation_refuses_bits_that_were_not_offered(ulong extra)
    {
        var device = NewDevice();

        Assert.False(device.AcceptFeatures(VirtioFeatures.Version1 | extra));
        Assert.Equal(0ul, device.AcceptedFeatures);
    }

    [Fact]
    public void Feature_negotiation_refuses_a_legacy_driver_and_applies_ring_features_to_both_queues()
    {
        var device = NewDevice();

        Assert.False(device.AcceptFeatures(VirtioFeatures.EventIndex));
        Assert.True(device.AcceptFeatures(VirtioFeatures.Version1 | VirtioFeatures.EventIndex | VirtioFeatures.IndirectDescriptors));
        Assert.All(device.Queues, queue => Assert.True(queue.EventIndexEnabled && queue.IndirectDescriptorsEnabled));
    }

    [Fact]
    public void Configuration_reads_give_size_one_port_and_a_write_only_emergency_field()
    {
        var device = NewDevice(new() { InitialSize = new(80, 25) });

        Assert.Equal([80, 0, 25, 0, 1, 0, 0, 0, 0, 0, 0, 0], ReadConfig(device, 0, 12));
        Assert.Equal([25, 0], ReadConfig(device, 2, 2));
        Assert.Equal([0, 25, 0, 1], ReadConfig(device, 1, 4)); // unaligned
        Assert.Equal([0, 0, 0, 0], ReadConfig(device, 10, 4)); // past the end reads zero
        Assert.Equal([0, 0], ReadConfig(device, ulong.MaxValue, 2));
    }

    [Fact]
    public void Resize_updates_the_configuration_and_asks_for_a_notification()
    {
        var device = NewDevice(new() { InitialSize = new(80, 25) });
        int changes = 0;
        device.ConfigurationChanged += () => changes++;

        device.Resize(new(200, 50));
        device.Resize(new(200, 50));

        Assert.Equal(1, changes);
        Assert.Equal([200, 0, 50, 0], ReadConfig(device, 0, 4));
    }

    [Fact]
    public void Resize_without_the_size_feature_is_a_host_error()
    {
        Assert.Throws<InvalidOperationException>(() => NewDevice().Resize(new(80, 25)));
    }

    [Fact]
    public void Emergency_write_outputs_one_character_per_write_even_before_negotiation()
    {
        var output = new MemoryStream();
        var device = NewDevice(output: output);

        device.WriteConfig(VirtioConsoleProtocol.EmergencyWriteOffset, [(byte)'O', 0, 0, 0]);
        device.WriteConfig(VirtioConsoleProtocol.EmergencyWriteOffset, [(byte)'K']);
        device.WriteConfig(4, [0, 0, 0, 0, (byte)'!', 0, 0, 0]); // an 8-byte write that covers emerg_wr
        device.WriteConfig(0, [1, 2, 3, 4]); // cols and rows are read-only
        device.WriteConfig(9, [(byte)'x']); // not the first byte of emerg_wr

        Assert.Equal("OK!", System.Text.Encoding.ASCII.GetString(output.ToArray()));
        Assert.Equal([0, 0, 0, 0], ReadConfig(device, 0, 4));
    }

    [Fact]
    public void Emergency_write_is_ignored_when_not_offered()
    {
        var output = new MemoryStream();
        var device = NewDevice(new() { EnableEmergencyWrite = false }, output);

        device.WriteConfig(VirtioConsoleProtocol.EmergencyWriteOffset, [(byte)'x', 0, 0, 0]);

        Assert.Empty(output.ToArray());
    }

    [Fact]
    public void Queue_that_does_not_exist_or_is_not_ready_does_nothing()
    {
        var device = NewDevice();

        Assert.Equal(new VirtqueueRunResult(0, false, false, "queue 2 does not exist"), device.ProcessQueue(2));
        Assert.Equal(new VirtqueueRunResult(0, false, false, "queue -1 does not exist"), device.ProcessQueue(-1));
        Assert.Equal(new VirtqueueRunResult(0, false, false, null), device.ProcessQueue(VirtioConsoleProtocol.TransmitQueueIndex));
    }

    [Fact]
    public void Output_stream_must_be_writable()
    {
        using var readOnly = new MemoryStream([], writable: false);

        Assert.Throws<ArgumentException>(() => NewDevice(output: readOnly));
    }
}
