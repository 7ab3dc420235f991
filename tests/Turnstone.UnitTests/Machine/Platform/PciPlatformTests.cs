using Turnstone.Devices.Bus;
using Turnstone.Devices.Pci;
using Turnstone.Machine.Platform;
using Turnstone.UnitTests.Pci;

namespace Turnstone.UnitTests.Machine.Platform;

public sealed class PciPlatformTests
{
    private readonly DeviceBus _mmio = new(), _ports = new();
    private readonly StringWriter _log = new();
    private readonly PciPlatform _pci;

    public PciPlatformTests()
    {
        _pci = new PciPlatform(PcPlatform.Lay(diskCount: 0).Builder.PciRoot, _mmio, _ports, gsi => new RecordingInterruptLine(), _log);
        _pci.Attach(new PciFunctionSlot(0, IntaGsi: null), new PciHostBridge());
    }

    private static PciAddress At(int slot) => new(0, (byte)slot, 0);

    private void ConfigWrite(int slot, int register, uint value, int size)
    {
        byte[] data = BitConverter.GetBytes(value)[..size];
        _mmio.Write(PlatformLayout.EcamBase + PciTestRig.EcamOffset(At(slot), register), data);
    }

    private uint ConfigRead(int slot, int register)
    {
        byte[] data = new byte[4];
        _mmio.Read(PlatformLayout.EcamBase + PciTestRig.EcamOffset(At(slot), register), data);
        return BitConverter.ToUInt32(data);
    }

    private TestEndpoint Attach(int slot)
    {
        var endpoint = new TestEndpoint(new RecordingMsiSink());
        _pci.Attach(new PciFunctionSlot((byte)slot, PlatformLayout.GsiOfSlot(slot)), endpoint);
        return endpoint;
    }

    [Fact]
    public void The_host_bridge_answers_on_ECAM_and_on_the_CF8_ports()
    {
        Assert.Equal((uint)PciHostBridge.DefaultDeviceId << 16 | PciHostBridge.DefaultVendorId, ConfigRead(0, 0));

        _ports.Write(PciConfigPorts.BasePort, BitConverter.GetBytes(PciTestRig.ConfigAddress(At(0), 0)));
        byte[] id = new byte[4];
        _ports.Read(PciConfigPorts.BasePort + 4, id);
        Assert.Equal(ConfigRead(0, 0), BitConverter.ToUInt32(id));
    }

    [Fact]
    public void Attach_places_every_BAR_in_the_bridge_windows_like_firmware()
    {
        var endpoint = Attach(1);

        foreach (var bar in endpoint.Config.BarMappings)
        {
            Assert.True(_pci.Routes(bar), $"BAR{bar.Index} at 0x{bar.Address:x}");
            Assert.NotEqual(0ul, bar.Address);
        }
        Assert.True(_pci.Segment.TryGetFunction(At(1), out var found));
        Assert.Same(endpoint, found);
    }

    [Fact]
    public void A_BAR_is_on_the_bus_only_while_the_guest_enables_decoding()
    {
        var endpoint = Attach(1);
        ulong bar0 = endpoint.Config.BarMappings.Single(b => b.Index == 0).Address;
        Assert.False(_mmio.TryResolve(bar0, out _, out _));

        ConfigWrite(1, PciConfigRegisters.Command, (uint)PciCommand.MemorySpace, 2);
        _mmio.Write(bar0 + 0x900, [0xAB]);

        var write = Assert.Single(endpoint.BarWrites);
        Assert.Equal((0, 0x900ul), (write.Bar, write.Offset));
        Assert.Equal([0xAB], write.Data);
        ConfigWrite(1, PciConfigRegisters.Command, 0, 2);
        Assert.False(_mmio.TryResolve(bar0, out _, out _));
    }

    [Fact]
    public void A_moved_BAR_follows_the_guest_and_leaves_its_old_address()
    {
        var endpoint = Attach(1);
        ulong old = endpoint.Config.BarMappings.Single(b => b.Index == 0).Address;
        ConfigWrite(1, PciConfigRegisters.Command, (uint)PciCommand.MemorySpace, 2);

        ConfigWrite(1, PciConfigRegisters.Bar0, 0xD000_0000, 4);

        Assert.False(_mmio.TryResolve(old, out _, out _));
        Assert.True(_mmio.TryResolve(0xD000_0010, out var device, out ulong offset));
        Assert.IsType<PciBarWindow>(device);
        Assert.Equal(0x10ul, offset);
    }

    [Fact]
    public void A_BAR_moved_outside_the_window_or_onto_another_device_is_not_decoded_and_nothing_breaks()
    {
        var first = Attach(1);
        Attach(2);
        ulong firstBar0 = first.Config.BarMappings.Single(b => b.Index == 0).Address;
        ConfigWrite(1, PciConfigRegisters.Command, (uint)PciCommand.MemorySpace, 2);
        ConfigWrite(2, PciConfigRegisters.Command, (uint)PciCommand.MemorySpace, 2);

        ConfigWrite(2, PciConfigRegisters.Bar0, (uint)firstBar0, 4);
        ConfigWrite(2, PciConfigRegisters.Bar0 + 8, 0xF000_0000, 4); // BAR2: above the 32-bit window

        Assert.Contains("BAR0 not decoded", _log.ToString());
        Assert.Contains("outside the host bridge's windows", _log.ToString());
        _mmio.Write(firstBar0 + 0x900, [1]);
        Assert.Single(first.BarWrites);
    }
}
