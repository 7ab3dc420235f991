using System.Buffers.Binary;
using Turnstone.Devices.Bus;
using Turnstone.Devices.Pci;
using Turnstone.Devices.Virtio;
using Turnstone.Devices.Virtio.Block;
using Turnstone.Devices.VirtioPci;
using Turnstone.GuestMemory;
using Turnstone.PciRoot;
using Turnstone.UnitTests.Pci;
using Turnstone.UnitTests.Virtio;

namespace Turnstone.UnitTests.VirtioPci;

/// <summary>
/// A machine in miniature around one virtio-pci function: segment 0 with the host bridge and the
/// function at 00:04.0, ECAM, BARs placed by the resource allocator and mapped on an MMIO bus
/// whenever the function decodes them (as the machine does on BarMappingChanged), MSI-X into a
/// recording sink and INTx into a recording line.
/// </summary>
internal sealed class VirtioPciRig
{
    public static readonly PciAddress Address = new(0, 4, 0);
    public const ulong MemorySize = 4 << 20;

    private readonly HashSet<(int Bar, ulong Address)> _mapped = [];

    public VirtioPciRig(IVirtioDevice? device = null, IGuestMemory? memory = null)
    {
        Memory = memory ?? new ArrayGuestMemory(MemorySize);
        if (device is null)
        {
            var contents = new byte[64 * 512];
            for (int i = 0; i < contents.Length; i++)
            {
                contents[i] = (byte)(i * 7 + i / 512);
            }
            Disk = new MemoryBlockBackend(contents);
            Backend = new RecordingBlockBackend(Disk);
            Block = new VirtioBlockDevice(Memory, Backend, new VirtioBlockOptions { QueueSize = 16 });
            device = Block;
        }
        Function = new VirtioPciDevice(device, Sink);
        Function.ConnectInterrupt(Line);
        Segment.Attach(PciHostBridge.Address, new PciHostBridge());
        Segment.Attach(Address, Function);
        Ecam = new PciEcam(Segment);
        Function.Config.BarMappingChanged += change =>
        {
            // DeviceBus cannot unmap; the tests never move a BAR once it decodes.
            if (change.Current.Enabled && _mapped.Add((change.Index, change.Current.Address)))
            {
                Mmio.Register(change.Current.Address, change.Current.Size, new PciBarWindow(Function, change.Index));
            }
        };
        new PciResourceAllocator(
            new AddressWindow(0xC000_0000, 0x1000_0000),
            new AddressWindow(0x80_0000_0000, 0x1_0000_0000),
            new AddressWindow(0xC000, 0x1000)).AssignBars(Function.Config);
    }

    public IGuestMemory Memory { get; }
    public MemoryBlockBackend? Disk { get; }
    public RecordingBlockBackend? Backend { get; }
    public VirtioBlockDevice? Block { get; }
    public VirtioPciDevice Function { get; }
    public RecordingMsiSink Sink { get; } = new();
    public RecordingInterruptLine Line { get; } = new();
    public PciSegment Segment { get; } = new();
    public PciEcam Ecam { get; }
    public DeviceBus Mmio { get; } = new();

    public ModernVirtioPciDriver NewDriver() => new(this);

    public uint ConfigRead(int register, int size = 4)
    {
        Span<byte> data = stackalloc byte[size];
        Ecam.Read(PciTestRig.EcamOffset(Address, register), data);
        return (uint)Bytes.Widen(data);
    }

    public void ConfigWrite(int register, uint value, int size = 4)
    {
        Span<byte> data = stackalloc byte[size];
        Bytes.Narrow(value, data);
        Ecam.Write(PciTestRig.EcamOffset(Address, register), data);
    }
}

internal static class Bytes
{
    public static ulong Widen(ReadOnlySpan<byte> data)
    {
        ulong value = 0;
        for (int i = data.Length - 1; i >= 0; i--)
        {
            value = value << 8 | data[i];
        }
        return value;
    }

    public static void Narrow(ulong value, Span<byte> data)
    {
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(value >> (8 * i));
        }
    }
}

/// <summary>One struct virtio_pci_cap as the driver found it.</summary>
internal readonly record struct VirtioCapabilityInfo(int ConfigOffset, byte Type, byte Bar, uint Offset, uint Length);

/// <summary>One split virtqueue from the driver's side: rings in guest memory, chains published, used ring read.</summary>
internal sealed class DriverRing(IGuestMemory memory, ushort size, ulong descriptors, ulong available, ulong used)
{
    private ushort _nextDescriptor;

    public ushort Size { get; } = size;
    public ulong Descriptors { get; } = descriptors;
    public ulong Available { get; } = available;
    public ulong Used { get; } = used;
    public ushort AvailableIndex { get; private set; }
    public ushort UsedIndex => memory.ReadUInt16(Used + 2);

    public (uint Id, uint Length) UsedElement(int index) =>
        (memory.ReadUInt32(Used + 4 + 8UL * (ulong)(index % Size)), memory.ReadUInt32(Used + 8 + 8UL * (ulong)(index % Size)));

    public ushort AddChain(params DriverBuffer[] buffers)
    {
        ushort head = _nextDescriptor;
        for (int i = 0; i < buffers.Length; i++)
        {
            bool last = i == buffers.Length - 1;
            ushort flags = (ushort)((buffers[i].IsWritable ? VirtqueueDescriptorChain.FlagWrite : 0) | (last ? 0 : VirtqueueDescriptorChain.FlagNext));
            FakeVirtioDriver.WriteDescriptor(memory, Descriptors, (head + i) % Size, buffers[i].Address, buffers[i].Length, flags,
                last ? (ushort)0 : (ushort)((head + i + 1) % Size));
        }
        _nextDescriptor = (ushort)((head + buffers.Length) % Size);
        memory.WriteUInt16(Available + 4 + 2UL * (ushort)(AvailableIndex % Size), head);
        AvailableIndex++;
        memory.WriteUInt16(Available + 2, AvailableIndex);
        return head;
    }

    /// <summary>A hostile driver: publish an available index far ahead of what the ring holds.</summary>
    public void SetAvailableIndexRaw(ushort value) => memory.WriteUInt16(Available + 2, value);
}

/// <summary>
/// Plays Linux's virtio_pci_modern: finds the function through ECAM, walks the capability list for
/// the virtio structures, reads the BARs they point into, and then drives the device only through
/// config space and MMIO on the bus, in the order vp_modern_probe, virtio_dev_probe,
/// vp_find_vqs_msix and setup_vq use.
/// </summary>
internal sealed class ModernVirtioPciDriver
{
    public const ulong MsiAddress = 0xFEE0_0000;
    public const uint MsiDataBase = 0x40;
    public const ulong RingArea = 0x10000, BufferArea = 0x100000;

    private readonly VirtioPciRig _rig;
    private ulong _nextRing = RingArea, _nextBuffer = BufferArea;

    public ModernVirtioPciDriver(VirtioPciRig rig)
    {
        _rig = rig;
        Assert.Equal(0x1AF4u, rig.ConfigRead(PciConfigRegisters.VendorId, 2));
        // pci_enable_device + pci_set_master.
        rig.ConfigWrite(PciConfigRegisters.Command, (uint)(PciCommand.MemorySpace | PciCommand.BusMaster), 2);
        Capabilities = WalkCapabilities();
        Common = Find(VirtioPciLayout.CommonConfigType);
        Notify = Find(VirtioPciLayout.NotifyConfigType);
        Isr = Find(VirtioPciLayout.IsrConfigType);
        NotifyOffMultiplier = rig.ConfigRead(Notify.ConfigOffset + 16);
        Assert.True(Common.Length >= 0x38, "common config shorter than struct virtio_pci_common_cfg");
        int msix = Capabilities.Single(c => c.Id == PciCapabilityId.MsiX).Offset;
        MsixCapabilityOffset = msix;
        MsixVectors = (int)(rig.ConfigRead(msix + 2, 2) & 0x7FF) + 1;
        uint table = rig.ConfigRead(msix + 4);
        MsixTableBar = (int)(table & 7);
        MsixTableOffset = table & ~7u;
    }

    public List<(byte Id, int Offset)> Capabilities { get; }
    public List<VirtioCapabilityInfo> VirtioCapabilities { get; } = [];
    public VirtioCapabilityInfo Common { get; }
    public VirtioCapabilityInfo Notify { get; }
    public VirtioCapabilityInfo Isr { get; }
    public uint NotifyOffMultiplier { get; }
    public int MsixCapabilityOffset { get; }
    public int MsixVectors { get; }
    public int MsixTableBar { get; }
    public uint MsixTableOffset { get; }
    public List<DriverRing> Rings { get; } = [];

    public VirtioCapabilityInfo Find(byte type) => VirtioCapabilities.First(c => c.Type == type);

    /// <summary>A BAR's address as the driver reads it from config space (64-bit BARs span two registers).</summary>
    public ulong BarAddress(int bar)
    {
        uint low = _rig.ConfigRead(PciConfigRegisters.Bar0 + 4 * bar);
        Assert.Equal(0u, low & 1); // memory, not I/O
        ulong address = low & ~0xFu;
        if ((low & 0x6) == 0x4)
        {
            address |= (ulong)_rig.ConfigRead(PciConfigRegisters.Bar0 + 4 * bar + 4) << 32;
        }
        return address;
    }

    // Raw MMIO relative to a structure, any width: what ioread*/iowrite* turn into.
    public ulong Read(VirtioCapabilityInfo structure, uint offset, int size)
    {
        Span<byte> data = stackalloc byte[size];
        _rig.Mmio.Read(BarAddress(structure.Bar) + structure.Offset + offset, data);
        return Bytes.Widen(data);
    }

    public void Write(VirtioCapabilityInfo structure, uint offset, ulong value, int size)
    {
        Span<byte> data = stackalloc byte[size];
        Bytes.Narrow(value, data);
        _rig.Mmio.Write(BarAddress(structure.Bar) + structure.Offset + offset, data);
    }

    public ulong ReadCommon(int offset, int size) => Read(Common, (uint)offset, size);

    public void WriteCommon(int offset, ulong value, int size) => Write(Common, (uint)offset, value, size);

    public byte Status
    {
        get => (byte)ReadCommon(VirtioPciCommonConfig.DeviceStatus, 1);
        set => WriteCommon(VirtioPciCommonConfig.DeviceStatus, value, 1);
    }

    public void AddStatus(VirtioDeviceStatus bits) => Status = (byte)(Status | (byte)bits);

    /// <summary>vp_reset: write 0, then wait until device_status reads 0.</summary>
    public void Reset()
    {
        Status = 0;
        Assert.Equal(0, Status);
    }

    public byte ReadIsr() => (byte)Read(Isr, 0, 1);

    public ulong DeviceFeatures()
    {
        WriteCommon(VirtioPciCommonConfig.DeviceFeatureSelect, 0, 4);
        ulong low = ReadCommon(VirtioPciCommonConfig.DeviceFeature, 4);
        WriteCommon(VirtioPciCommonConfig.DeviceFeatureSelect, 1, 4);
        return low | ReadCommon(VirtioPciCommonConfig.DeviceFeature, 4) << 32;
    }

    public void WriteDriverFeatures(ulong features)
    {
        WriteCommon(VirtioPciCommonConfig.DriverFeatureSelect, 0, 4);
        WriteCommon(VirtioPciCommonConfig.DriverFeature, features & 0xFFFF_FFFF, 4);
        WriteCommon(VirtioPciCommonConfig.DriverFeatureSelect, 1, 4);
        WriteCommon(VirtioPciCommonConfig.DriverFeature, features >> 32, 4);
    }

    /// <summary>Reset, ACKNOWLEDGE, DRIVER, features (both halves), FEATURES_OK; true if it read back set.</summary>
    public bool Negotiate(ulong wanted)
    {
        Reset();
        AddStatus(VirtioDeviceStatus.Acknowledge);
        AddStatus(VirtioDeviceStatus.Driver);
        WriteDriverFeatures(DeviceFeatures() & wanted);
        AddStatus(VirtioDeviceStatus.FeaturesOk);
        return (Status & (byte)VirtioDeviceStatus.FeaturesOk) != 0;
    }

    /// <summary>pci_alloc_irq_vectors(MSI-X): enable the function, program and unmask every vector.</summary>
    public void EnableMsix()
    {
        int control = MsixCapabilityOffset + 2;
        _rig.ConfigWrite(control, MsixCapability.EnableBit | MsixCapability.FunctionMaskBit, 2);
        for (int vector = 0; vector < MsixVectors; vector++)
        {
            ulong entry = BarAddress(MsixTableBar) + MsixTableOffset + (ulong)vector * 16;
            WriteMmio(entry, MsiAddress, 4);
            WriteMmio(entry + 4, 0, 4);
            WriteMmio(entry + 8, MsiDataBase + (uint)vector, 4);
            WriteMmio(entry + 12, 0, 4);
        }
        _rig.ConfigWrite(control, MsixCapability.EnableBit, 2);
    }

    public void WriteMmio(ulong address, ulong value, int size)
    {
        Span<byte> data = stackalloc byte[size];
        Bytes.Narrow(value, data);
        _rig.Mmio.Write(address, data);
    }

    public ushort SelectQueue(int index)
    {
        WriteCommon(VirtioPciCommonConfig.QueueSelect, (ulong)index, 2);
        return (ushort)ReadCommon(VirtioPciCommonConfig.QueueSize, 2);
    }

    /// <summary>
    /// setup_vq: size, the three ring addresses as two 32-bit halves each (vp_iowrite64_twopart),
    /// the vector (read back: NO_VECTOR means refused), then enable. Returns the vector read back.
    /// </summary>
    public ushort SetUpQueue(int index, ushort size, ushort vector, ulong? descriptorOverride = null, bool enable = true)
    {
        ushort max = SelectQueue(index);
        Assert.True(max > 0, $"queue {index} does not exist");
        size = Math.Min(size, max);
        WriteCommon(VirtioPciCommonConfig.QueueSize, size, 2);
        ulong descriptors = descriptorOverride ?? AllocateRing(16 * size, 16);
        ulong available = AllocateRing(6 + 2 * size, 2);
        ulong used = AllocateRing(6 + 8 * size, 4);
        WriteTwoPart(VirtioPciCommonConfig.QueueDesc, descriptors);
        WriteTwoPart(VirtioPciCommonConfig.QueueDriver, available);
        WriteTwoPart(VirtioPciCommonConfig.QueueDevice, used);
        WriteCommon(VirtioPciCommonConfig.QueueMsixVector, vector, 2);
        ushort readBack = (ushort)ReadCommon(VirtioPciCommonConfig.QueueMsixVector, 2);
        if (enable)
        {
            WriteCommon(VirtioPciCommonConfig.QueueEnable, 1, 2);
        }
        Rings.Add(new DriverRing(_rig.Memory, size, descriptors, available, used));
        return readBack;
    }

    /// <summary>The whole bring-up; with MSI-X, vector 0 is the configuration vector and queue i uses vector i + 1.</summary>
    public void Initialize(bool useMsix, ulong wanted = ulong.MaxValue, ushort queueSize = 16)
    {
        Assert.True(Negotiate(wanted), "FEATURES_OK was refused");
        if (useMsix)
        {
            EnableMsix();
            WriteCommon(VirtioPciCommonConfig.ConfigMsixVector, 0, 2);
            Assert.Equal(0u, ReadCommon(VirtioPciCommonConfig.ConfigMsixVector, 2));
        }
        int queues = (int)ReadCommon(VirtioPciCommonConfig.NumQueues, 2);
        for (int i = 0; i < queues; i++)
        {
            ushort vector = useMsix ? (ushort)(i + 1) : VirtioPciLayout.NoVector;
            Assert.Equal(vector, SetUpQueue(i, queueSize, vector));
        }
        AddStatus(VirtioDeviceStatus.DriverOk);
    }

    /// <summary>vp_notify: a 16-bit write of the queue index at notify base + queue_notify_off * multiplier.</summary>
    public void Kick(int queue)
    {
        WriteCommon(VirtioPciCommonConfig.QueueSelect, (ulong)queue, 2);
        uint notifyOff = (uint)ReadCommon(VirtioPciCommonConfig.QueueNotifyOff, 2);
        Write(Notify, notifyOff * NotifyOffMultiplier, (ulong)queue, 2);
    }

    public ulong AllocateBuffer(int length)
    {
        ulong address = _nextBuffer;
        _nextBuffer += (ulong)((length + 15) & ~15);
        return address;
    }

    public ulong AllocateBufferWith(ReadOnlySpan<byte> contents)
    {
        ulong address = AllocateBuffer(contents.Length);
        _rig.Memory.Write(address, contents);
        return address;
    }

    /// <summary>A virtio-blk request as virtio_blk builds it: header, data, status.</summary>
    public (ushort Head, ulong Data, ulong Status) AddBlockRequest(DriverRing ring, VirtioBlockRequestType type, ulong sector, byte[] data)
    {
        ulong header = AllocateBufferWith(BlockRig.Header(type, sector));
        ulong buffer = AllocateBufferWith(data);
        ulong status = AllocateBuffer(1);
        _rig.Memory.WriteByte(status, 0xEE);
        bool deviceWrites = type == VirtioBlockRequestType.In;
        ushort head = ring.AddChain(
            DriverBuffer.Readable(header, 16),
            new DriverBuffer(buffer, (uint)data.Length, deviceWrites),
            DriverBuffer.Writable(status, 1));
        return (head, buffer, status);
    }

    private void WriteTwoPart(int offset, ulong value)
    {
        WriteCommon(offset, value & 0xFFFF_FFFF, 4);
        WriteCommon(offset + 4, value >> 32, 4);
    }

    private ulong AllocateRing(int length, int alignment)
    {
        ulong address = (_nextRing + 4095) & ~4095ul;
        _nextRing = address + (ulong)length;
        Assert.Equal(0ul, address % (ulong)alignment);
        return address;
    }

    private List<(byte Id, int Offset)> WalkCapabilities()
    {
        var found = new List<(byte, int)>();
        Assert.NotEqual(0u, _rig.ConfigRead(PciConfigRegisters.Status, 2) & (uint)PciStatus.CapabilitiesList);
        int pointer = (int)_rig.ConfigRead(PciConfigRegisters.CapabilitiesPointer, 1) & ~3;
        for (int step = 0; step < 48 && pointer >= 0x40; step++)
        {
            uint header = _rig.ConfigRead(pointer, 2);
            found.Add(((byte)header, pointer));
            if ((byte)header == PciCapabilityId.VendorSpecific)
            {
                // virtio_pci_find_capability reads cfg_type and bar, then offset and length.
                VirtioCapabilities.Add(new VirtioCapabilityInfo(pointer,
                    (byte)_rig.ConfigRead(pointer + 3, 1), (byte)_rig.ConfigRead(pointer + 4, 1),
                    _rig.ConfigRead(pointer + 8), _rig.ConfigRead(pointer + 12)));
            }
            pointer = (int)(header >> 8) & ~3;
        }
        Assert.Equal(0, pointer);
        return found;
    }
}

/// <summary>
/// A virtio device whose queue loop is scripted: it returns <see cref="NextResult"/>, optionally
/// waiting on <see cref="Gate"/> so a test can act while processing is under way on another thread.
/// </summary>
internal sealed class ScriptedVirtioDevice : IVirtioDevice
{
    private readonly List<string> _events = [];

    public ScriptedVirtioDevice(IGuestMemory memory, uint deviceType = 3, int queues = 1, int configSize = 12)
    {
        DeviceType = deviceType;
        Queues = [.. Enumerable.Range(0, queues).Select(_ => new Virtqueue(memory, 16))];
        ConfigBytes = new byte[configSize];
    }

    public uint DeviceType { get; }
    public ulong OfferedFeatures { get; init; } = VirtioFeatures.Version1 | 1;
    public IReadOnlyList<Virtqueue> Queues { get; }
    public byte[] ConfigBytes { get; }
    public int ConfigSize => ConfigBytes.Length;
    public VirtqueueRunResult NextResult { get; set; } = new(1, true, false, null);
    public ManualResetEventSlim? Gate { get; set; }
    public ManualResetEventSlim Entered { get; } = new();
    public ulong? Accepted { get; private set; }

    public IReadOnlyList<string> Events
    {
        get { lock (_events) { return [.. _events]; } }
    }

    public void ClearEvents()
    {
        lock (_events)
        {
            _events.Clear();
        }
    }

    public bool AcceptFeatures(ulong driverFeatures)
    {
        Accepted = driverFeatures;
        return true;
    }

    public void ReadConfig(ulong offset, Span<byte> data)
    {
        data.Clear();
        for (int i = 0; i < data.Length && offset + (ulong)i < (ulong)ConfigBytes.Length; i++)
        {
            data[i] = ConfigBytes[offset + (ulong)i];
        }
    }

    public void WriteConfig(ulong offset, ReadOnlySpan<byte> data)
    {
        for (int i = 0; i < data.Length && offset + (ulong)i < (ulong)ConfigBytes.Length; i++)
        {
            ConfigBytes[offset + (ulong)i] = data[i];
        }
    }

    public VirtqueueRunResult ProcessQueue(int queueIndex)
    {
        Record($"process {queueIndex} begin");
        Entered.Set();
        Gate?.Wait(TimeSpan.FromSeconds(10));
        Record($"process {queueIndex} end");
        return NextResult;
    }

    public void Reset() => Record("reset");

    public event Action<int>? QueueWorkAvailable;

    public event Action? ConfigurationChanged;

    /// <summary>Raises the device's host events, as host input or a resize would.</summary>
    public void RaiseQueueWork(int queueIndex) => QueueWorkAvailable?.Invoke(queueIndex);

    public void RaiseConfigurationChanged() => ConfigurationChanged?.Invoke();

    private void Record(string what)
    {
        lock (_events)
        {
            _events.Add(what);
        }
    }
}
