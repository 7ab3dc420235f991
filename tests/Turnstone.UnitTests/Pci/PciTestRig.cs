using System.Buffers.Binary;
using Turnstone.Devices.Bus;
using Turnstone.Devices.Pci;
using Turnstone.PciRoot;

namespace Turnstone.UnitTests.Pci;

/// <summary>MSI deliveries as the machine would see them.</summary>
internal sealed class RecordingMsiSink : IMsiSink
{
    public List<MsiMessage> Messages { get; } = [];

    public void Signal(ulong address, uint data) => Messages.Add(new MsiMessage(address, data));
}

internal sealed class RecordingInterruptLine : IInterruptLine
{
    public List<bool> Levels { get; } = [];

    public bool Level => Levels.Count > 0 && Levels[^1];

    public void SetLevel(bool asserted) => Levels.Add(asserted);
}

/// <summary>
/// An endpoint shaped like a virtio-pci function: BAR0 32-bit memory holding the MSI-X table and
/// PBA, BAR2 64-bit prefetchable memory, BAR4 I/O; PCIe, MSI-X and vendor capabilities.
/// </summary>
internal sealed class TestEndpoint : PciDevice
{
    public const ushort Vendor = 0x1AF4, Device = 0x1042, SubVendor = 0x1AF4, SubDevice = 0x1100;
    public const byte Revision = 0x01;
    public const ulong Bar0Size = 0x1000, Bar2Size = 0x4000, Bar4Size = 0x20;
    public const int Vectors = 4;
    public const uint TableOffset = 0x000, PbaOffset = 0x800;
    public static readonly byte[] VendorPayload = [0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00];

    public TestEndpoint(IMsiSink sink)
        : base(new PciConfigSpace(
            new PciIdentity(Vendor, Device, new PciClassCode(0x01, 0x00, 0x00), Revision, SubVendor, SubDevice),
            PciInterruptPin.IntA))
    {
        Config.DefineBar(0, PciBarKind.Memory32, Bar0Size);
        Config.DefineBar(2, PciBarKind.Memory64, Bar2Size, prefetchable: true);
        Config.DefineBar(4, PciBarKind.Io, Bar4Size);
        Msix = new MsixTable(Vectors, 0, TableOffset, 0, PbaOffset, sink);
        PciExpressOffset = PciExpressCapability.AddIntegratedEndpoint(Config);
        MsixOffset = MsixCapability.Add(Config, Msix);
        VendorOffset = VendorSpecificCapability.Add(Config, VendorPayload);
    }

    public MsixTable Msix { get; }
    public int PciExpressOffset { get; }
    public int MsixOffset { get; }
    public int VendorOffset { get; }
    public List<(int Bar, ulong Offset, byte[] Data)> BarWrites { get; } = [];

    public void Interrupt(bool asserted) => SetInterruptLevel(asserted);

    public override void ReadBar(int bar, ulong offset, Span<byte> data)
    {
        if (!Msix.TryRead(bar, offset, data))
        {
            data.Fill(0x5A);
        }
    }

    public override void WriteBar(int bar, ulong offset, ReadOnlySpan<byte> data)
    {
        if (!Msix.TryWrite(bar, offset, data))
        {
            BarWrites.Add((bar, offset, data.ToArray()));
        }
    }
}

/// <summary>A segment with the host bridge at 00:00.0 and a test endpoint at 00:03.0, reachable both ways.</summary>
internal sealed class PciTestRig
{
    public static readonly PciAddress EndpointAddress = new(0, 3, 0);

    public PciTestRig()
    {
        Endpoint = new TestEndpoint(Sink);
        Segment.Attach(PciHostBridge.Address, HostBridge);
        Segment.Attach(EndpointAddress, Endpoint);
        Ecam = new PciEcam(Segment);
        Ports = new PciConfigPorts(Segment);
    }

    public PciSegment Segment { get; } = new();
    public PciHostBridge HostBridge { get; } = new();
    public RecordingMsiSink Sink { get; } = new();
    public TestEndpoint Endpoint { get; }
    public PciEcam Ecam { get; }
    public PciConfigPorts Ports { get; }

    public static ulong EcamOffset(PciAddress address, int register) =>
        (ulong)address.Bus << 20 | (ulong)address.Device << 15 | (ulong)address.Function << 12 | (uint)register;

    public static uint ConfigAddress(PciAddress address, int register) =>
        0x8000_0000u | (uint)address.Bus << 16 | (uint)address.Device << 11 | (uint)address.Function << 8 | (uint)(register & 0xFC);

    public uint EcamRead(PciAddress address, int register, int size = 4)
    {
        Span<byte> data = stackalloc byte[size];
        Ecam.Read(EcamOffset(address, register), data);
        return Widen(data);
    }

    public void EcamWrite(PciAddress address, int register, uint value, int size = 4)
    {
        Span<byte> data = stackalloc byte[size];
        Narrow(value, data);
        Ecam.Write(EcamOffset(address, register), data);
    }

    public uint PortRead(PciAddress address, int register, int size = 4)
    {
        SelectPortAddress(address, register);
        Span<byte> data = stackalloc byte[size];
        Ports.Read(4 + (ulong)(register & 3), data);
        return Widen(data);
    }

    public void PortWrite(PciAddress address, int register, uint value, int size = 4)
    {
        SelectPortAddress(address, register);
        Span<byte> data = stackalloc byte[size];
        Narrow(value, data);
        Ports.Write(4 + (ulong)(register & 3), data);
    }

    public void SelectPortAddress(PciAddress address, int register)
    {
        Span<byte> latch = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(latch, ConfigAddress(address, register));
        Ports.Write(0, latch);
    }

    /// <summary>Walks the capability list the way a guest driver does, through ECAM dword reads.</summary>
    public List<(byte Id, int Offset)> WalkCapabilities(PciAddress address)
    {
        var found = new List<(byte, int)>();
        if ((EcamRead(address, PciConfigRegisters.Status, 2) & (uint)PciStatus.CapabilitiesList) == 0)
        {
            return found;
        }
        int pointer = (int)EcamRead(address, PciConfigRegisters.CapabilitiesPointer, 1) & ~3;
        // A guest gives up after 48 entries (the most that fit in 192 bytes); so must this walk.
        for (int step = 0; step < 48 && pointer >= 0x40; step++)
        {
            uint header = EcamRead(address, pointer, 2);
            found.Add(((byte)header, pointer));
            pointer = (int)(header >> 8) & ~3;
        }
        Assert.Equal(0, pointer);
        return found;
    }

    private static uint Widen(ReadOnlySpan<byte> data)
    {
        uint value = 0;
        for (int i = data.Length - 1; i >= 0; i--)
        {
            value = value << 8 | data[i];
        }
        return value;
    }

    private static void Narrow(uint value, Span<byte> data)
    {
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(value >> (8 * i));
        }
    }
}
