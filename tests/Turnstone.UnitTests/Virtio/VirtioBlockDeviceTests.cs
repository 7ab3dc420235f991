using System.Buffers.Binary;
using Turnstone.Devices.Virtio;
using Turnstone.Devices.Virtio.Block;
using Turnstone.GuestMemory;

namespace Turnstone.UnitTests.Virtio;

public sealed class VirtioBlockDeviceTests
{
    private const ulong Desc = FakeVirtioDriver.DescriptorTableAddress;
    private const ulong Avail = FakeVirtioDriver.AvailableRingAddress;
    private const ulong Used = FakeVirtioDriver.UsedRingAddress;

    /// <summary>A device brought up the way a driver does it: features, queue registers, enable.</summary>
    private static (VirtioBlockDevice Device, DeviceDriver Driver, RecordingBlockBackend Backend) NewDevice(
        ulong driverFeatures, bool readOnly = false)
    {
        var memory = new ArrayGuestMemory(FakeVirtioDriver.DefaultMemorySize);
        var backend = new RecordingBlockBackend(new MemoryBlockBackend(64 * 512, readOnly));
        var device = new VirtioBlockDevice(memory, backend, new VirtioBlockOptions { QueueSize = 16 });
        Assert.True(device.AcceptFeatures(driverFeatures & device.OfferedFeatures));
        var queue = device.RequestQueue;
        queue.DescriptorTableAddress = Desc;
        queue.AvailableRingAddress = Avail;
        queue.UsedRingAddress = Used;
        Assert.True(queue.TryEnable(out _));
        return (device, new DeviceDriver(memory), backend);
    }

    /// <summary>Driver side over the same rings as the device's queue (16 entries).</summary>
    private sealed class DeviceDriver(IGuestMemory memory)
    {
        private ushort _availableIndex;
        private ushort _nextDescriptor;
        private ulong _nextBuffer = FakeVirtioDriver.BufferArea;

        public IGuestMemory Memory => memory;

        public ulong Allocate(int length)
        {
            ulong address = _nextBuffer;
            _nextBuffer += (ulong)((length + 15) & ~15);
            return address;
        }

        public (ushort Head, ulong Status) AddRead(ulong sector)
        {
            ulong header = Allocate(16);
            memory.Write(header, BlockRig.Header(VirtioBlockRequestType.In, sector));
            ulong data = Allocate(512), status = Allocate(1);
            ushort head = _nextDescriptor;
            FakeVirtioDriver.WriteDescriptor(memory, Desc, head, header, 16, VirtqueueDescriptorChain.FlagNext, (ushort)((head + 1) % 16));
            FakeVirtioDriver.WriteDescriptor(memory, Desc, (head + 1) % 16, data, 512,
                VirtqueueDescriptorChain.FlagNext | VirtqueueDescriptorChain.FlagWrite, (ushort)((head + 2) % 16));
            FakeVirtioDriver.WriteDescriptor(memory, Desc, (head + 2) % 16, status, 1, VirtqueueDescriptorChain.FlagWrite, 0);
            _nextDescriptor = (ushort)((head + 3) % 16);
            Publish(head);
            return (head, status);
        }

        public void Publish(ushort head)
        {
            memory.WriteUInt16(Avail + 4 + 2UL * (ushort)(_availableIndex % 16), head);
            _availableIndex++;
            memory.WriteUInt16(Avail + 2, _availableIndex);
        }

        public void SetUsedEvent(ushort value) => memory.WriteUInt16(Avail + 4 + 2 * 16, value);
        public ushort UsedIndex => memory.ReadUInt16(Used + 2);
        public (uint Id, uint Length) UsedElement(int i) => (memory.ReadUInt32(Used + 4 + 8UL * (ulong)(i % 16)), memory.ReadUInt32(Used + 8 + 8UL * (ulong)(i % 16)));
    }

    [Fact]
    public void Offers_version_1_ring_features_flush_and_the_layout_hints()
    {
        var device = new VirtioBlockDevice(new ArrayGuestMemory(1 << 20), new MemoryBlockBackend(4096));

        ulong expected = VirtioFeatures.Version1 | VirtioFeatures.IndirectDescriptors | VirtioFeatures.EventIndex
            | VirtioBlockFeatures.Flush | VirtioBlockFeatures.SegMax | VirtioBlockFeatures.BlockSize
            | VirtioBlockFeatures.Discard | VirtioBlockFeatures.WriteZeroes;
        Assert.Equal(expected, device.OfferedFeatures);
        Assert.Equal(2u, device.DeviceType);
    }

    [Fact]
    public void A_read_only_disk_offers_ro_and_no_discard_or_write_zeroes()
    {
        var device = new VirtioBlockDevice(new ArrayGuestMemory(1 << 20), new MemoryBlockBackend(4096, isReadOnly: true));

        Assert.NotEqual(0ul, device.OfferedFeatures & VirtioBlockFeatures.ReadOnly);
        Assert.Equal(0ul, device.OfferedFeatures & (VirtioBlockFeatures.Discard | VirtioBlockFeatures.WriteZeroes));
        Assert.Equal(0u, device.Config.MaxDiscardSectors);
    }

    [Fact]
    public void Feature_negotiation_refuses_unoffered_bits_and_legacy_drivers()
    {
        var device = new VirtioBlockDevice(new ArrayGuestMemory(1 << 20), new MemoryBlockBackend(4096));

        Assert.False(device.AcceptFeatures(VirtioBlockFeatures.Flush)); // no VERSION_1
        Assert.False(device.AcceptFeatures(VirtioFeatures.Version1 | VirtioFeatures.RingPacked));
        Assert.True(device.AcceptFeatures(VirtioFeatures.Version1 | VirtioFeatures.EventIndex));
        Assert.True(device.RequestQueue.EventIndexEnabled);
        Assert.False(device.RequestQueue.IndirectDescriptorsEnabled);
    }

    [Fact]
    public void Processing_returns_every_request_through_the_used_ring_with_id_and_length()
    {
        var (device, driver, _) = NewDevice(VirtioFeatures.Version1);
        var first = driver.AddRead(0);
        var second = driver.AddRead(1);

        var run = device.ProcessQueue();

        Assert.Equal(new VirtqueueRunResult(2, true, false, null), run);
        Assert.Equal(2, driver.UsedIndex);
        Assert.Equal((first.Head, 513u), driver.UsedElement(0));
        Assert.Equal((second.Head, 513u), driver.UsedElement(1));
        Assert.Equal(0, driver.Memory.ReadByte(first.Status));
        Assert.Equal(0, driver.Memory.ReadByte(second.Status));
        Assert.Equal(0, driver.Memory.ReadUInt16(Used)); // notifications re-enabled afterwards
    }

    [Fact]
    public void Processing_with_event_index_interrupts_only_when_the_driver_asked()
    {
        var (device, driver, _) = NewDevice(VirtioFeatures.Version1 | VirtioFeatures.EventIndex);
        driver.SetUsedEvent(2); // wake me once entry 2 is used

        driver.AddRead(0);
        driver.AddRead(1);
        var firstRun = device.ProcessQueue();
        driver.AddRead(2);
        var secondRun = device.ProcessQueue();

        Assert.False(firstRun.InterruptNeeded);
        Assert.True(secondRun.InterruptNeeded);
        // avail_event tells the driver to kick for the next index the device will read.
        Assert.Equal(3, driver.Memory.ReadUInt16(Used + 4 + 8 * 16));
    }

    [Fact]
    public void A_broken_chain_puts_the_device_in_needs_reset_until_reset()
    {
        var (device, driver, backend) = NewDevice(VirtioFeatures.Version1);
        var good = driver.AddRead(0);
        driver.Publish(15); // descriptor 15 was never written: zero address, zero length, no status byte
        driver.AddRead(1);

        var run = device.ProcessQueue();

        Assert.True(run.NeedsReset);
        Assert.True(device.NeedsReset);
        Assert.Equal(1, run.Completed);
        Assert.NotNull(run.Problem);
        Assert.Equal(1, driver.UsedIndex); // only the good request came back
        Assert.Equal((good.Head, 513u), driver.UsedElement(0));
        Assert.Equal(1, backend.Reads);
        Assert.Equal(0, device.ProcessQueue().Completed); // nothing more until reset

        device.Reset();
        Assert.False(device.NeedsReset);
        Assert.False(device.RequestQueue.IsReady);
        Assert.Equal(0ul, device.AcceptedFeatures);
    }

    [Fact]
    public void A_ring_level_fault_puts_the_device_in_needs_reset()
    {
        var (device, driver, _) = NewDevice(VirtioFeatures.Version1);
        driver.Memory.WriteUInt16(Avail + 2, 40); // 40 chains "available" in a 16-entry ring

        var run = device.ProcessQueue();

        Assert.True(run.NeedsReset);
        Assert.Contains(nameof(VirtqueueError.AvailableIndexOutOfRange), run.Problem);
    }

    [Fact]
    public void Config_space_has_the_spec_layout()
    {
        var config = new VirtioBlockConfig
        {
            Capacity = 0x0102_0304_0506_0708,
            SizeMax = 0x1111_1111,
            SegMax = 254,
            GeometryCylinders = 0x2233,
            GeometryHeads = 0x44,
            GeometrySectors = 0x55,
            BlockSize = 4096,
            PhysicalBlockExponent = 3,
            AlignmentOffset = 1,
            MinIoSize = 8,
            OptIoSize = 0x100,
            Writeback = 1,
            NumQueues = 4,
            MaxDiscardSectors = 0xAAAA,
            MaxDiscardSegments = 16,
            DiscardSectorAlignment = 8,
            MaxWriteZeroesSectors = 0xBBBB,
            MaxWriteZeroesSegments = 32,
            WriteZeroesMayUnmap = true,
            MaxSecureEraseSectors = 0xCCCC,
            MaxSecureEraseSegments = 2,
            SecureEraseSectorAlignment = 64,
        };

        var bytes = config.ToArray();

        Assert.Equal(72, bytes.Length);
        Assert.Equal(0x0102_0304_0506_0708ul, BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        Assert.Equal(0x1111_1111u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
        Assert.Equal(254u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12)));
        Assert.Equal(0x2233, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(16)));
        Assert.Equal(0x44, bytes[18]);
        Assert.Equal(0x55, bytes[19]);
        Assert.Equal(4096u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(20)));
        Assert.Equal(3, bytes[24]);
        Assert.Equal(1, bytes[25]);
        Assert.Equal(8, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(26)));
        Assert.Equal(0x100u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(28)));
        Assert.Equal(1, bytes[32]);
        Assert.Equal(0, bytes[33]);
        Assert.Equal(4, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(34)));
        Assert.Equal(0xAAAAu, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(36)));
        Assert.Equal(16u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(40)));
        Assert.Equal(8u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(44)));
        Assert.Equal(0xBBBBu, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(48)));
        Assert.Equal(32u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(52)));
        Assert.Equal(1, bytes[56]);
        Assert.Equal(new byte[3], bytes[57..60]);
        Assert.Equal(0xCCCCu, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(60)));
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(64)));
        Assert.Equal(64u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(68)));
    }

    [Fact]
    public void Config_reads_of_any_width_and_offset_see_the_layout_and_zeroes_past_it()
    {
        var device = new VirtioBlockDevice(new ArrayGuestMemory(1 << 20), new MemoryBlockBackend(1 << 20),
            new VirtioBlockOptions { QueueSize = 128 });
        Span<byte> data = stackalloc byte[8];

        device.ReadConfig(0, data);
        Assert.Equal(2048ul, BinaryPrimitives.ReadUInt64LittleEndian(data)); // 1 MiB in 512-byte sectors

        device.ReadConfig(12, data[..4]);
        Assert.Equal(126u, BinaryPrimitives.ReadUInt32LittleEndian(data)); // seg_max: queue size minus header and status

        device.ReadConfig(68, data);
        Assert.Equal(new byte[8], data.ToArray());
        data.Fill(0xFF);
        device.ReadConfig(0x1000, data);
        Assert.Equal(new byte[8], data.ToArray());
    }
}
