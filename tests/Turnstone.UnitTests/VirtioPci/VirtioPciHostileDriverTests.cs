using Turnstone.Devices.Pci;
using Turnstone.Devices.Virtio;
using Turnstone.Devices.Virtio.Block;
using Turnstone.Devices.VirtioPci;
using Turnstone.GuestMemory;
using static Turnstone.Devices.VirtioPci.VirtioPciCommonConfig;

namespace Turnstone.UnitTests.VirtioPci;

public sealed class VirtioPciHostileDriverTests
{
    [Fact]
    public void Features_ok_is_refused_without_version_1()
    {
        var rig = new VirtioPciRig();
        var driver = rig.NewDriver();

        Assert.False(driver.Negotiate(VirtioBlockFeatures.Flush | VirtioFeatures.EventIndex));

        Assert.Equal(VirtioDeviceStatus.Acknowledge | VirtioDeviceStatus.Driver, rig.Function.Status);
        Assert.Equal(0ul, rig.Block!.AcceptedFeatures);
    }

    [Fact]
    public void Transport_refuses_a_legacy_driver_even_when_the_device_would_accept_it()
    {
        var memory = new ArrayGuestMemory(VirtioPciRig.MemorySize);
        var device = new ScriptedVirtioDevice(memory); // accepts whatever reaches it
        var rig = new VirtioPciRig(device, memory);
        var driver = rig.NewDriver();

        Assert.False(driver.Negotiate(~VirtioFeatures.Version1));

        Assert.Null(device.Accepted);
        Assert.Equal(0, driver.Status & (byte)VirtioDeviceStatus.FeaturesOk);
    }

    [Fact]
    public void Features_ok_is_refused_for_bits_the_device_did_not_offer()
    {
        var rig = new VirtioPciRig();
        var driver = rig.NewDriver();
        driver.Reset();
        driver.AddStatus(VirtioDeviceStatus.Acknowledge | VirtioDeviceStatus.Driver);

        driver.WriteDriverFeatures(VirtioFeatures.Version1 | VirtioFeatures.RingPacked);
        driver.AddStatus(VirtioDeviceStatus.FeaturesOk);

        Assert.Equal(0, driver.Status & (byte)VirtioDeviceStatus.FeaturesOk);
    }

    [Fact]
    public void Driver_features_cannot_change_after_features_ok()
    {
        var rig = new VirtioPciRig();
        var driver = rig.NewDriver();
        Assert.True(driver.Negotiate(VirtioFeatures.Version1));

        driver.WriteDriverFeatures(VirtioFeatures.Version1 | VirtioFeatures.EventIndex);

        driver.WriteCommon(DriverFeatureSelect, 0, 4);
        Assert.Equal(0ul, driver.ReadCommon(DriverFeature, 4));
        Assert.Equal(VirtioFeatures.Version1, rig.Block!.AcceptedFeatures);
    }

    [Fact]
    public void Misaligned_ring_at_queue_enable_sets_needs_reset_with_a_config_interrupt()
    {
        var rig = new VirtioPciRig();
        var driver = rig.NewDriver();
        Assert.True(driver.Negotiate(ulong.MaxValue));
        driver.EnableMsix();
        driver.WriteCommon(ConfigMsixVector, 0, 2);

        driver.SetUpQueue(0, 16, 1, descriptorOverride: 0x20008); // descriptor tables need 16-byte alignment

        Assert.Equal(0u, driver.ReadCommon(QueueEnable, 2));
        Assert.NotEqual(0, driver.Status & (byte)VirtioDeviceStatus.DeviceNeedsReset);
        Assert.Contains("MisalignedRing", rig.Function.LastProblem);
        Assert.Equal([new MsiMessage(ModernVirtioPciDriver.MsiAddress, ModernVirtioPciDriver.MsiDataBase + 0)], rig.Sink.Messages);

        // The driver cannot clear the device's bit; only a reset does.
        driver.Status = (byte)(VirtioDeviceStatus.Acknowledge | VirtioDeviceStatus.Driver | VirtioDeviceStatus.FeaturesOk);
        Assert.NotEqual(0, driver.Status & (byte)VirtioDeviceStatus.DeviceNeedsReset);
        driver.Reset();
        Assert.Equal(0, driver.Status);
    }

    [Fact]
    public void Misaligned_ring_without_msix_raises_the_isr_config_bit_and_intx()
    {
        var rig = new VirtioPciRig();
        var driver = rig.NewDriver();
        Assert.True(driver.Negotiate(ulong.MaxValue));

        driver.SetUpQueue(0, 16, VirtioPciLayout.NoVector, descriptorOverride: 0x20004);

        Assert.NotEqual(0, driver.Status & (byte)VirtioDeviceStatus.DeviceNeedsReset);
        Assert.True(rig.Line.Level);
        Assert.Equal(VirtioPciLayout.IsrConfigInterrupt, driver.ReadIsr());
        Assert.False(rig.Line.Level);
    }

    [Fact]
    public void Broken_available_index_while_running_sets_needs_reset_and_stops_processing()
    {
        var rig = new VirtioPciRig();
        var driver = rig.NewDriver();
        driver.Initialize(useMsix: true);
        var ring = driver.Rings[0];

        ring.SetAvailableIndexRaw(1000); // more outstanding than the ring holds
        driver.Kick(0);

        Assert.NotEqual(0, driver.Status & (byte)VirtioDeviceStatus.DeviceNeedsReset);
        Assert.Contains(new MsiMessage(ModernVirtioPciDriver.MsiAddress, ModernVirtioPciDriver.MsiDataBase), rig.Sink.Messages);
        int reads = rig.Backend!.Reads;
        int messages = rig.Sink.Messages.Count;

        ring.SetAvailableIndexRaw(0);
        driver.AddBlockRequest(ring, VirtioBlockRequestType.In, 0, new byte[512]);
        driver.Kick(0);
        Assert.Equal(reads, rig.Backend.Reads);
        Assert.Equal(messages, rig.Sink.Messages.Count);
    }

    [Fact]
    public void Queue_size_and_vectors_only_take_values_the_device_can_honour()
    {
        var rig = new VirtioPciRig();
        var driver = rig.NewDriver();
        Assert.True(driver.Negotiate(ulong.MaxValue));
        driver.EnableMsix();
        Assert.Equal(16, driver.SelectQueue(0));

        foreach (ushort bad in new ushort[] { 0, 3, 12, 32, 0xFFFF })
        {
            driver.WriteCommon(QueueSize, bad, 2);
            Assert.Equal(16ul, driver.ReadCommon(QueueSize, 2));
        }
        driver.WriteCommon(QueueSize, 8, 2);
        Assert.Equal(8ul, driver.ReadCommon(QueueSize, 2));

        driver.WriteCommon(QueueMsixVector, 2, 2); // the table has vectors 0 and 1
        Assert.Equal(VirtioPciLayout.NoVector, driver.ReadCommon(QueueMsixVector, 2));
        driver.WriteCommon(ConfigMsixVector, 7, 2);
        Assert.Equal(VirtioPciLayout.NoVector, driver.ReadCommon(ConfigMsixVector, 2));
        driver.WriteCommon(QueueMsixVector, 1, 2);
        Assert.Equal(1ul, driver.ReadCommon(QueueMsixVector, 2));

        // A queue that does not exist reads as size 0 and swallows writes.
        Assert.Equal(0, driver.SelectQueue(5));
        driver.WriteCommon(QueueSize, 4, 2);
        driver.WriteCommon(QueueEnable, 1, 2);
        Assert.Equal(0ul, driver.ReadCommon(QueueSize, 2));
        Assert.Equal(0ul, driver.ReadCommon(QueueEnable, 2));
        Assert.Equal(0, driver.Status & (byte)VirtioDeviceStatus.DeviceNeedsReset);
    }

    [Fact]
    public void Enabled_queue_keeps_its_configuration()
    {
        var rig = new VirtioPciRig();
        var driver = rig.NewDriver();
        driver.Initialize(useMsix: false);
        var ring = driver.Rings[0];
        driver.SelectQueue(0);

        driver.WriteCommon(QueueSize, 4, 2);
        driver.WriteCommon(QueueDesc, 0x5000, 4);

        Assert.Equal(ring.Size, (ushort)driver.ReadCommon(QueueSize, 2));
        Assert.Equal(ring.Descriptors, driver.ReadCommon(QueueDesc, 8));
    }

    [Theory]
    [InlineData(DeviceStatus, 4)]    // dword over status, generation and queue_select
    [InlineData(DeviceStatus, 2)]
    [InlineData(DeviceFeature, 8)]
    [InlineData(DeviceFeature, 1)]
    [InlineData(NumQueues, 4)]
    [InlineData(QueueDesc + 2, 4)]   // straddles the halves
    [InlineData(QueueDesc + 4, 8)]
    [InlineData(Length, 4)]          // past the structure (queue_notify_data is absent)
    [InlineData(0xFFC, 4)]
    [InlineData(0x1001, 1)]          // ISR is one byte at 0x1000
    [InlineData(0x1000, 4)]          // ISR read with the wrong width does not clear it
    [InlineData(0x3000, 2)]          // notify area is write-only
    [InlineData(0x3FFF, 8)]          // past the end of BAR0
    public void Wrong_width_or_reserved_reads_return_zero(int offset, int size)
    {
        var rig = new VirtioPciRig();
        var driver = rig.NewDriver();
        driver.Initialize(useMsix: false);
        driver.AddBlockRequest(driver.Rings[0], VirtioBlockRequestType.In, 0, new byte[512]);
        driver.Kick(0); // ISR now holds the queue bit

        Assert.Equal(0ul, driver.Read(driver.Common, (uint)offset, size));
        Assert.True(rig.Line.Level, "a non-byte ISR read must not acknowledge the interrupt");
    }

    [Theory]
    [InlineData(DeviceStatus, 2, 0)]         // a 16-bit write of 0 would be a reset if it counted
    [InlineData(DeviceStatus, 4, 0)]
    [InlineData(DeviceStatus - 1, 2, 0)]
    [InlineData(ConfigGeneration, 1, 0x55)]
    [InlineData(NumQueues, 2, 9)]
    [InlineData(DeviceFeature, 4, 0)]
    [InlineData(QueueNotifyOff, 2, 7)]
    [InlineData(QueueEnable, 4, 0)]
    [InlineData(DeviceFeatureSelect, 2, 1)]
    [InlineData(QueueSelect, 4, 3)]
    [InlineData(Length, 4, 0xFFFF_FFFF)]
    [InlineData(0x1000, 1, 0)]              // ISR is read-only
    [InlineData(0x2000, 8, 0xFFFF_FFFF)]    // block config is read-only
    [InlineData(0x3002, 2, 0)]              // not a queue's notify address
    [InlineData(0x3004, 2, 1)]              // queue 1 does not exist
    [InlineData(0x3000, 3, 0)]              // odd width
    public void Wrong_width_or_reserved_writes_change_nothing(int offset, int size, long value)
    {
        var rig = new VirtioPciRig();
        var driver = rig.NewDriver();
        driver.Initialize(useMsix: true);
        var before = Snapshot(driver);
        byte[] config = rig.Block!.Config.ToArray();

        driver.Write(driver.Common, (uint)offset, (ulong)value, size);

        Assert.Equal(before, Snapshot(driver));
        Assert.Equal(config, rig.Block.Config.ToArray());
        Assert.Equal(0, driver.Rings[0].UsedIndex);
        Assert.Empty(rig.Sink.Messages);
    }

    [Fact]
    public void Accesses_to_other_bars_and_far_offsets_are_ignored()
    {
        var rig = new VirtioPciRig();
        var function = rig.Function;
        Span<byte> data = stackalloc byte[4];

        foreach (int bar in new[] { -1, 1, 3, 4, 5, 6, 99 })
        {
            data.Fill(0xAA);
            function.ReadBar(bar, 0, data);
            Assert.Equal(0u, (uint)Bytes.Widen(data));
            function.WriteBar(bar, 0, data);
        }
        data.Fill(0xAA);
        function.ReadBar(0, ulong.MaxValue - 1, data);
        Assert.Equal(0u, (uint)Bytes.Widen(data));
        function.WriteBar(0, ulong.MaxValue - 3, data);
        function.ReadBar(0, 0, Span<byte>.Empty);
        function.WriteBar(0, 0x14, new byte[64]);
        function.ReadBar(2, 0x10_0000, data);
        Assert.Equal(VirtioDeviceStatus.None, function.Status);
    }

    [Fact]
    public void Notify_before_driver_ok_does_nothing()
    {
        var rig = new VirtioPciRig();
        var driver = rig.NewDriver();
        Assert.True(driver.Negotiate(ulong.MaxValue));
        driver.EnableMsix();
        driver.WriteCommon(ConfigMsixVector, 0, 2);
        driver.SetUpQueue(0, 16, 1);
        var ring = driver.Rings[0];
        var request = driver.AddBlockRequest(ring, VirtioBlockRequestType.In, 0, new byte[512]);

        driver.Kick(0);
        rig.Function.Notify(0);

        Assert.Equal(0, ring.UsedIndex);
        Assert.Equal(0, rig.Backend!.Reads);
        Assert.Empty(rig.Sink.Messages);

        driver.AddStatus(VirtioDeviceStatus.DriverOk);
        driver.Kick(0);
        Assert.Equal(1, ring.UsedIndex);
        Assert.Equal((byte)VirtioBlockStatus.Ok, rig.Memory.ReadByte(request.Status));
    }

    [Fact]
    public void Notify_without_bus_mastering_does_nothing()
    {
        var rig = new VirtioPciRig();
        var driver = rig.NewDriver();
        driver.Initialize(useMsix: true);
        driver.AddBlockRequest(driver.Rings[0], VirtioBlockRequestType.In, 0, new byte[512]);
        rig.ConfigWrite(PciConfigRegisters.Command, (uint)PciCommand.MemorySpace, 2);

        driver.Kick(0);

        Assert.Equal(0, driver.Rings[0].UsedIndex);
        Assert.Empty(rig.Sink.Messages);
    }

    [Fact]
    public void Notify_of_a_queue_that_does_not_exist_is_ignored()
    {
        var rig = new VirtioPciRig();
        var driver = rig.NewDriver();
        driver.Initialize(useMsix: true);

        rig.Function.Notify(-1);
        rig.Function.Notify(1);
        rig.Function.Notify(int.MaxValue);

        Assert.Equal(0, rig.Backend!.Reads);
        Assert.Throws<ArgumentOutOfRangeException>(() => rig.Function.NotifyOffsetOf(1));
    }

    [Fact]
    public void Reset_mid_flight_clears_queues_vectors_and_interrupt_state()
    {
        var rig = new VirtioPciRig();
        var driver = rig.NewDriver();
        driver.Initialize(useMsix: false);
        var ring = driver.Rings[0];
        driver.AddBlockRequest(ring, VirtioBlockRequestType.In, 0, new byte[512]);
        driver.Kick(0);
        Assert.True(rig.Line.Level);
        driver.AddBlockRequest(ring, VirtioBlockRequestType.In, 1, new byte[512]); // published, never kicked
        driver.WriteCommon(QueueSelect, 0, 2);
        driver.WriteCommon(QueueMsixVector, 1, 2);
        driver.WriteCommon(ConfigMsixVector, 0, 2);

        driver.Reset();

        Assert.False(rig.Line.Level);
        Assert.Equal(0, driver.ReadIsr());
        Assert.False(rig.Block!.RequestQueue.IsReady);
        Assert.Equal(0ul, rig.Block.AcceptedFeatures);
        Assert.Equal(0ul, driver.ReadCommon(QueueEnable, 2));
        Assert.Equal(16ul, driver.ReadCommon(QueueSize, 2));
        Assert.Equal(0ul, driver.ReadCommon(QueueDesc, 8));
        Assert.Equal(VirtioPciLayout.NoVector, driver.ReadCommon(QueueMsixVector, 2));
        Assert.Equal(VirtioPciLayout.NoVector, driver.ReadCommon(ConfigMsixVector, 2));
        driver.WriteCommon(DriverFeatureSelect, 0, 4);
        Assert.Equal(0ul, driver.ReadCommon(DriverFeature, 4));

        int reads = rig.Backend!.Reads;
        rig.Function.Notify(0);
        Assert.Equal(reads, rig.Backend.Reads);
        Assert.Equal(1, ring.UsedIndex);

        // The device comes back up cleanly on fresh rings.
        var again = rig.NewDriver();
        again.Initialize(useMsix: true);
        var request = again.AddBlockRequest(again.Rings[0], VirtioBlockRequestType.In, 2, new byte[512]);
        again.Kick(0);
        Assert.Equal((byte)VirtioBlockStatus.Ok, rig.Memory.ReadByte(request.Status));
        Assert.Single(rig.Sink.Messages);
    }

    [Fact]
    public void Reset_clears_needs_reset()
    {
        var memory = new ArrayGuestMemory(VirtioPciRig.MemorySize);
        var device = new ScriptedVirtioDevice(memory) { NextResult = new(0, false, true, "scripted failure") };
        var rig = new VirtioPciRig(device, memory);
        var driver = rig.NewDriver();
        driver.Initialize(useMsix: true);

        rig.Function.Notify(0);
        Assert.Equal("scripted failure", rig.Function.LastProblem);
        Assert.NotEqual(0, driver.Status & (byte)VirtioDeviceStatus.DeviceNeedsReset);

        driver.Reset();
        Assert.Equal(VirtioDeviceStatus.None, rig.Function.Status);
        Assert.Contains("reset", device.Events);
    }

    private static (ulong Status, ulong QueueSize, ulong Enable, ulong Vector, ulong ConfigVector, ulong Desc, ulong Select, ulong FeatureSelect) Snapshot(ModernVirtioPciDriver driver)
    {
        ulong select = driver.ReadCommon(QueueSelect, 2);
        ulong featureSelect = driver.ReadCommon(DeviceFeatureSelect, 4);
        driver.WriteCommon(QueueSelect, 0, 2);
        var snapshot = (driver.ReadCommon(DeviceStatus, 1), driver.ReadCommon(QueueSize, 2), driver.ReadCommon(QueueEnable, 2),
            driver.ReadCommon(QueueMsixVector, 2), driver.ReadCommon(ConfigMsixVector, 2), driver.ReadCommon(QueueDesc, 8), select, featureSelect);
        driver.WriteCommon(QueueSelect, select, 2);
        return snapshot;
    }
}
