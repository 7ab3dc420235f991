using Turnstone.Devices.Pci;
using Turnstone.Devices.Virtio;
using Turnstone.Devices.Virtio.Block;
using Turnstone.Devices.VirtioPci;
using Turnstone.GuestMemory;
using Turnstone.PciRoot;
using static Turnstone.Devices.VirtioPci.VirtioPciCommonConfig;

namespace Turnstone.UnitTests.VirtioPci;

public sealed class VirtioPciTransportTests
{
    [Fact]
    public void Block_function_identifies_itself_as_a_modern_virtio_device()
    {
        var rig = new VirtioPciRig();

        Assert.Equal(0x1AF4u, rig.ConfigRead(PciConfigRegisters.VendorId, 2));
        Assert.Equal(0x1042u, rig.ConfigRead(PciConfigRegisters.DeviceId, 2));
        Assert.Equal(1u, rig.ConfigRead(PciConfigRegisters.Revision, 1));
        Assert.Equal(0x018000u, rig.ConfigRead(PciConfigRegisters.Revision) >> 8);
        Assert.Equal(0x1AF4u, rig.ConfigRead(PciConfigRegisters.SubsystemVendorId, 2));
        Assert.True(rig.ConfigRead(PciConfigRegisters.SubsystemId, 2) >= 0x40);
        Assert.Equal((uint)PciInterruptPin.IntA, rig.ConfigRead(PciConfigRegisters.InterruptPin, 1));
    }

    [Fact]
    public void Console_type_gets_its_own_device_id_and_class()
    {
        var memory = new ArrayGuestMemory(VirtioPciRig.MemorySize);
        var rig = new VirtioPciRig(new ScriptedVirtioDevice(memory, deviceType: 3), memory);

        Assert.Equal(0x1043u, rig.ConfigRead(PciConfigRegisters.DeviceId, 2));
        Assert.Equal(0x078000u, rig.ConfigRead(PciConfigRegisters.Revision) >> 8);
    }

    [Fact]
    public void Capability_list_describes_every_structure_where_the_bars_hold_it()
    {
        var rig = new VirtioPciRig();
        var driver = rig.NewDriver();

        var ids = driver.Capabilities.Select(c => c.Id).ToList();
        Assert.Contains(PciCapabilityId.PciExpress, ids);
        Assert.Contains(PciCapabilityId.MsiX, ids);
        Assert.Equal([1, 2, 3, 4, 5], driver.VirtioCapabilities.Select(c => (int)c.Type).Order());

        Assert.Equal(new VirtioCapabilityInfo(driver.Common.ConfigOffset, 1, 0, 0x0000, 0x38), driver.Common);
        Assert.Equal(new VirtioCapabilityInfo(driver.Isr.ConfigOffset, 3, 0, 0x1000, 1), driver.Isr);
        Assert.Equal(new VirtioCapabilityInfo(driver.Notify.ConfigOffset, 2, 0, 0x3000, 4), driver.Notify);
        var deviceConfig = driver.Find(VirtioPciLayout.DeviceConfigType);
        Assert.Equal((0x2000u, (uint)VirtioBlockConfig.Size), (deviceConfig.Offset, deviceConfig.Length));
        Assert.Equal(4u, driver.NotifyOffMultiplier);
        Assert.Equal(0x3000ul, rig.Function.NotifyOffsetOf(0));

        // BAR0: 64-bit prefetchable memory of 16 KiB, placed above 4 GiB; BAR2 holds the MSI-X table.
        uint bar0 = rig.ConfigRead(PciConfigRegisters.Bar0);
        Assert.Equal(0xCu, bar0 & 0xF);
        Assert.True(driver.BarAddress(0) >= 1ul << 32);
        Assert.True(rig.Function.Config.TryGetBar(0, out var mapping));
        Assert.Equal(0x4000ul, mapping.Size);
        Assert.Equal(2, driver.MsixVectors);
        Assert.Equal(2, driver.MsixTableBar);

        // The structures must lie inside their BAR, or Linux refuses the capability.
        foreach (var structure in driver.VirtioCapabilities.Where(c => c.Type != VirtioPciLayout.PciConfigType))
        {
            Assert.True(structure.Offset + structure.Length <= mapping.Size, $"structure {structure.Type} overflows BAR0");
        }
    }

    [Fact]
    public void Device_configuration_reads_through_bar0_show_the_block_config()
    {
        var rig = new VirtioPciRig();
        var driver = rig.NewDriver();
        var deviceConfig = driver.Find(VirtioPciLayout.DeviceConfigType);

        Assert.Equal(64ul, driver.Read(deviceConfig, 0, 8)); // capacity in sectors
        Assert.Equal(14ul, driver.Read(deviceConfig, 12, 4)); // seg_max = queue size - 2
        Assert.Equal(512ul, driver.Read(deviceConfig, 20, 4)); // blk_size
    }

    [Fact]
    public void Bring_up_negotiates_both_feature_halves_and_sets_up_the_queue()
    {
        var rig = new VirtioPciRig();
        var driver = rig.NewDriver();

        ulong offered = driver.DeviceFeatures();
        Assert.Equal(rig.Block!.OfferedFeatures, offered);
        ulong wanted = VirtioFeatures.Version1 | VirtioFeatures.EventIndex | VirtioBlockFeatures.Flush;
        driver.Initialize(useMsix: true, wanted);

        Assert.Equal(wanted, rig.Block.AcceptedFeatures);
        Assert.True(rig.Block.RequestQueue.EventIndexEnabled);
        Assert.Equal(VirtioDeviceStatus.Acknowledge | VirtioDeviceStatus.Driver | VirtioDeviceStatus.FeaturesOk | VirtioDeviceStatus.DriverOk,
            rig.Function.Status);
        var ring = driver.Rings[0];
        var queue = rig.Block.RequestQueue;
        Assert.True(queue.IsReady);
        Assert.Equal((ring.Size, ring.Descriptors, ring.Available, ring.Used),
            (queue.Size, queue.DescriptorTableAddress, queue.AvailableRingAddress, queue.UsedRingAddress));
        Assert.Equal(1u, driver.ReadCommon(NumQueues, 2));
        Assert.Equal(1u, driver.ReadCommon(QueueEnable, 2));
        Assert.Equal(1u, driver.ReadCommon(QueueMsixVector, 2));
        // The driver's feature word reads back per half, as written.
        driver.WriteCommon(DriverFeatureSelect, 1, 4);
        Assert.Equal(wanted >> 32, driver.ReadCommon(DriverFeature, 4));
        driver.WriteCommon(DriverFeatureSelect, 0, 4);
        Assert.Equal(wanted & 0xFFFF_FFFF, driver.ReadCommon(DriverFeature, 4));
    }

    [Fact]
    public void Block_write_then_read_round_trip_signals_the_queue_vector_through_msix()
    {
        var rig = new VirtioPciRig();
        var driver = rig.NewDriver();
        driver.Initialize(useMsix: true, VirtioFeatures.Version1 | VirtioBlockFeatures.Flush);
        var ring = driver.Rings[0];

        var payload = Enumerable.Range(0, 512).Select(i => (byte)(0xA0 ^ i)).ToArray();
        var write = driver.AddBlockRequest(ring, VirtioBlockRequestType.Out, 3, payload);
        driver.Kick(0);

        Assert.Equal(1, ring.UsedIndex);
        Assert.Equal(write.Head, (ushort)ring.UsedElement(0).Id);
        Assert.Equal((byte)VirtioBlockStatus.Ok, rig.Memory.ReadByte(write.Status));
        Assert.Equal(payload, rig.Disk!.Contents.Slice(3 * 512, 512).ToArray());
        Assert.Equal([new MsiMessage(ModernVirtioPciDriver.MsiAddress, ModernVirtioPciDriver.MsiDataBase + 1)], rig.Sink.Messages);

        var read = driver.AddBlockRequest(ring, VirtioBlockRequestType.In, 3, new byte[512]);
        driver.Kick(0);

        Assert.Equal(2, ring.UsedIndex);
        Assert.Equal((byte)VirtioBlockStatus.Ok, rig.Memory.ReadByte(read.Status));
        Assert.Equal(payload, rig.Memory.GetSpan(read.Data, 512).ToArray());
        Assert.Equal(2, rig.Sink.Messages.Count);
        // With MSI-X on, neither ISR nor INTx is used.
        Assert.DoesNotContain(true, rig.Line.Levels);
        Assert.Equal(0, driver.ReadIsr());
    }

    [Fact]
    public void Block_round_trip_without_msix_raises_intx_until_the_isr_is_read()
    {
        var rig = new VirtioPciRig();
        var driver = rig.NewDriver();
        driver.Initialize(useMsix: false, VirtioFeatures.Version1);
        var ring = driver.Rings[0];

        var read = driver.AddBlockRequest(ring, VirtioBlockRequestType.In, 5, new byte[512]);
        driver.Kick(0);

        Assert.Equal(1, ring.UsedIndex);
        Assert.Equal(rig.Disk!.Contents.Slice(5 * 512, 512).ToArray(), rig.Memory.GetSpan(read.Data, 512).ToArray());
        Assert.Empty(rig.Sink.Messages);
        Assert.True(rig.Line.Level);
        Assert.NotEqual(0u, rig.ConfigRead(PciConfigRegisters.Status, 2) & (uint)PciStatus.InterruptStatus);

        Assert.Equal(VirtioPciLayout.IsrQueueInterrupt, driver.ReadIsr());
        Assert.False(rig.Line.Level);
        Assert.Equal(0u, rig.ConfigRead(PciConfigRegisters.Status, 2) & (uint)PciStatus.InterruptStatus);
        Assert.Equal(0, driver.ReadIsr());

        var write = driver.AddBlockRequest(ring, VirtioBlockRequestType.Out, 6, Enumerable.Repeat((byte)0x5C, 512).ToArray());
        driver.Kick(0);
        Assert.Equal((byte)VirtioBlockStatus.Ok, rig.Memory.ReadByte(write.Status));
        Assert.True(rig.Line.Level);
        Assert.Equal(0x5C, rig.Disk.Contents[6 * 512 + 100]);
        Assert.Equal(VirtioPciLayout.IsrQueueInterrupt, driver.ReadIsr());
        Assert.Equal([true, false, true, false], rig.Line.Levels);
    }

    [Fact]
    public void Ioeventfd_path_notify_reaches_the_same_queue_loop()
    {
        var rig = new VirtioPciRig();
        var driver = rig.NewDriver();
        driver.Initialize(useMsix: true);
        var ring = driver.Rings[0];
        driver.AddBlockRequest(ring, VirtioBlockRequestType.In, 0, new byte[512]);

        // What the machine's ioeventfd worker does: no MMIO access at all.
        rig.Function.Notify(0);

        Assert.Equal(1, ring.UsedIndex);
        Assert.Single(rig.Sink.Messages);
    }

    [Fact]
    public void Masked_queue_vector_holds_the_interrupt_pending_until_unmasked()
    {
        var rig = new VirtioPciRig();
        var driver = rig.NewDriver();
        driver.Initialize(useMsix: true);
        ulong entry1 = driver.BarAddress(driver.MsixTableBar) + driver.MsixTableOffset + 16;
        driver.WriteMmio(entry1 + 12, 1, 4);

        driver.AddBlockRequest(driver.Rings[0], VirtioBlockRequestType.In, 0, new byte[512]);
        driver.Kick(0);
        Assert.Empty(rig.Sink.Messages);
        Assert.True(rig.Function.Msix.IsPending(1));

        driver.WriteMmio(entry1 + 12, 0, 4);
        Assert.Equal([new MsiMessage(ModernVirtioPciDriver.MsiAddress, ModernVirtioPciDriver.MsiDataBase + 1)], rig.Sink.Messages);
    }

    [Fact]
    public void Queue_address_accepts_a_single_64_bit_access()
    {
        var rig = new VirtioPciRig();
        var driver = rig.NewDriver();
        Assert.True(driver.Negotiate(ulong.MaxValue));
        driver.SelectQueue(0);

        driver.WriteCommon(QueueDesc, 0x0000_0001_2345_6000, 8);
        driver.WriteCommon(QueueDevice + 4, 0x7, 4);

        Assert.Equal(0x0000_0001_2345_6000ul, driver.ReadCommon(QueueDesc, 8));
        Assert.Equal(0x2345_6000ul, driver.ReadCommon(QueueDesc, 4));
        Assert.Equal(0x1ul, driver.ReadCommon(QueueDesc + 4, 4));
        Assert.Equal(0x7ul << 32, rig.Block!.RequestQueue.UsedRingAddress);
    }

    [Fact]
    public void Config_change_bumps_the_generation_and_signals_the_config_vector()
    {
        var rig = new VirtioPciRig();
        var driver = rig.NewDriver();
        driver.Initialize(useMsix: true);
        ulong generation = driver.ReadCommon(ConfigGeneration, 1);

        rig.Function.NotifyConfigChanged();

        Assert.Equal(generation + 1, driver.ReadCommon(ConfigGeneration, 1));
        Assert.Equal([new MsiMessage(ModernVirtioPciDriver.MsiAddress, ModernVirtioPciDriver.MsiDataBase)], rig.Sink.Messages);
    }

    [Fact]
    public void A_devices_host_events_run_its_queue_and_send_a_configuration_change()
    {
        var memory = new ArrayGuestMemory(VirtioPciRig.MemorySize);
        var device = new ScriptedVirtioDevice(memory, queues: 2);
        var rig = new VirtioPciRig(device, memory);
        var driver = rig.NewDriver();
        driver.Initialize(useMsix: true);
        ulong generation = driver.ReadCommon(ConfigGeneration, 1);
        device.ClearEvents();

        device.RaiseQueueWork(1);
        device.RaiseConfigurationChanged();

        Assert.Equal(["process 1 begin", "process 1 end"], device.Events);
        Assert.Equal(generation + 1, driver.ReadCommon(ConfigGeneration, 1));
        Assert.Equal(
            [
                new MsiMessage(ModernVirtioPciDriver.MsiAddress, ModernVirtioPciDriver.MsiDataBase + 2),
                new MsiMessage(ModernVirtioPciDriver.MsiAddress, ModernVirtioPciDriver.MsiDataBase),
            ],
            rig.Sink.Messages);
    }

    [Fact]
    public void Pci_cfg_window_reaches_the_common_configuration_through_config_space()
    {
        var rig = new VirtioPciRig();
        var driver = rig.NewDriver();
        int window = driver.Find(VirtioPciLayout.PciConfigType).ConfigOffset;
        Assert.Equal(window, rig.Function.PciConfigWindowOffset);

        // Select device_status (1 byte), write ACKNOWLEDGE through pci_cfg_data, read it back.
        rig.ConfigWrite(window + VirtioPciDevice.WindowBar, 0, 1);
        rig.ConfigWrite(window + VirtioPciDevice.WindowOffset, DeviceStatus);
        rig.ConfigWrite(window + VirtioPciDevice.WindowLength, 1);
        rig.ConfigWrite(window + VirtioPciDevice.WindowData, (uint)VirtioDeviceStatus.Acknowledge, 1);
        Assert.Equal(VirtioDeviceStatus.Acknowledge, rig.Function.Status);
        Assert.Equal((uint)VirtioDeviceStatus.Acknowledge, rig.ConfigRead(window + VirtioPciDevice.WindowData, 1));

        // num_queues, two bytes.
        rig.ConfigWrite(window + VirtioPciDevice.WindowOffset, NumQueues);
        rig.ConfigWrite(window + VirtioPciDevice.WindowLength, 2);
        Assert.Equal(1u, rig.ConfigRead(window + VirtioPciDevice.WindowData, 2));

        // A length the window does not support touches nothing.
        rig.ConfigWrite(window + VirtioPciDevice.WindowOffset, DeviceStatus);
        rig.ConfigWrite(window + VirtioPciDevice.WindowLength, 3);
        rig.ConfigWrite(window + VirtioPciDevice.WindowData, 0);
        Assert.Equal(VirtioDeviceStatus.Acknowledge, rig.Function.Status);
    }
}
