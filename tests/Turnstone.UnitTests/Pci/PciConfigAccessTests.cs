using System.Buffers.Binary;
using Turnstone.Devices.Pci;
using static Turnstone.Devices.Pci.PciConfigRegisters;

namespace Turnstone.UnitTests.Pci;

public sealed class PciConfigAccessTests
{
    private readonly PciTestRig _rig = new();
    private static readonly PciAddress Endpoint = PciTestRig.EndpointAddress;

    [Fact]
    public void Ecam_and_the_config_ports_read_the_same_bytes_at_every_size()
    {
        foreach (var address in new[] { PciHostBridge.Address, Endpoint })
        {
            for (int register = 0; register < 0x100; register++)
            {
                foreach (int size in new[] { 1, 2, 4 })
                {
                    if ((register & 3) + size > 4)
                    {
                        continue;
                    }
                    Assert.Equal(_rig.EcamRead(address, register, size), _rig.PortRead(address, register, size));
                }
            }
        }
    }

    [Fact]
    public void A_write_through_one_mechanism_is_read_back_through_the_other()
    {
        _rig.PortWrite(Endpoint, InterruptLine, 0x0B, 1);
        Assert.Equal(0x0Bu, _rig.EcamRead(Endpoint, InterruptLine, 1));

        _rig.EcamWrite(Endpoint, Command, (uint)(PciCommand.MemorySpace | PciCommand.BusMaster), 2);
        Assert.Equal((uint)(PciCommand.MemorySpace | PciCommand.BusMaster), _rig.PortRead(Endpoint, Command, 2));

        // A byte at 0xCFD lands on the second byte of the selected dword: Command's high byte.
        _rig.PortWrite(Endpoint, Command + 1, 0x04, 1);
        Assert.Equal(0x0406u, _rig.EcamRead(Endpoint, Command, 2));
    }

    [Fact]
    public void The_header_reads_as_a_type_0_endpoint_and_a_host_bridge()
    {
        Assert.Equal(0x1042_1AF4u, _rig.EcamRead(Endpoint, VendorId));
        Assert.Equal(0x0100_0001u, _rig.EcamRead(Endpoint, Revision));
        Assert.Equal(0x1100_1AF4u, _rig.EcamRead(Endpoint, SubsystemVendorId));
        Assert.Equal(0u, _rig.EcamRead(Endpoint, HeaderType, 1));
        Assert.Equal(1u, _rig.EcamRead(Endpoint, InterruptPin, 1));

        Assert.Equal(0x0008_1B36u, _rig.PortRead(PciHostBridge.Address, VendorId));
        Assert.Equal(0x0600_0000u, _rig.PortRead(PciHostBridge.Address, Revision) & 0xFFFF_FF00);
        Assert.Equal(0u, _rig.PortRead(PciHostBridge.Address, HeaderType, 1));
        Assert.Equal(0u, _rig.PortRead(PciHostBridge.Address, InterruptPin, 1));
    }

    [Theory]
    [InlineData(0, 5, 0)]   // empty slot
    [InlineData(0, 3, 1)]   // missing function of a present device
    [InlineData(1, 0, 0)]   // a bus the segment does not have
    [InlineData(255, 31, 7)]
    public void Absent_functions_read_all_ones_and_swallow_writes(byte bus, byte device, byte function)
    {
        var absent = new PciAddress(bus, device, function);
        foreach (int size in new[] { 1, 2, 4 })
        {
            uint ones = size == 4 ? 0xFFFF_FFFF : (1u << (8 * size)) - 1;
            Assert.Equal(ones, _rig.EcamRead(absent, VendorId, size));
            Assert.Equal(ones, _rig.PortRead(absent, VendorId, size));
            Assert.Equal(ones, _rig.EcamRead(absent, 0x100, size));
        }
        _rig.EcamWrite(absent, Command, 0xFFFF, 2);
        _rig.PortWrite(absent, Command, 0xFFFF, 2);
        Assert.Equal(0xFFFF_FFFFu, _rig.EcamRead(absent, VendorId));
        Assert.Equal(0u, _rig.EcamRead(Endpoint, Command, 2));
    }

    [Fact]
    public void The_data_port_answers_all_ones_until_the_enable_bit_is_set()
    {
        Span<byte> latch = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(latch, PciTestRig.ConfigAddress(Endpoint, 0) & 0x7FFF_FFFF);
        _rig.Ports.Write(0, latch);
        Span<byte> data = stackalloc byte[4];
        _rig.Ports.Read(4, data);
        Assert.Equal(0xFFFF_FFFFu, BinaryPrimitives.ReadUInt32LittleEndian(data));

        _rig.Ports.Write(6, [0xFF, 0xFF]); // Command, were it enabled
        Assert.Equal(0u, _rig.EcamRead(Endpoint, Command, 2));
    }

    [Fact]
    public void The_address_register_keeps_only_its_defined_bits()
    {
        _rig.Ports.Write(0, [0xFF, 0xFF, 0xFF, 0xFF]);
        Span<byte> data = stackalloc byte[4];
        _rig.Ports.Read(0, data);
        Assert.Equal(0x80FF_FFFCu, BinaryPrimitives.ReadUInt32LittleEndian(data));
    }

    [Fact]
    public void Linux_type_1_probe_sees_a_working_mechanism()
    {
        // arch/x86/pci/direct.c: outb(0x01, 0xCFB); tmp = inl(0xCF8); outl(0x80000000, 0xCF8); inl(0xCF8) == 0x80000000.
        _rig.Ports.Write(3, [0x01]);
        Span<byte> data = stackalloc byte[4];
        _rig.Ports.Read(0, data);
        uint saved = BinaryPrimitives.ReadUInt32LittleEndian(data);
        BinaryPrimitives.WriteUInt32LittleEndian(data, 0x8000_0000);
        _rig.Ports.Write(0, data);
        _rig.Ports.Read(0, data);
        Assert.Equal(0x8000_0000u, BinaryPrimitives.ReadUInt32LittleEndian(data));
        Assert.Equal(0u, saved);

        // Its sanity check then finds a host bridge at 00:00.0.
        Assert.Equal(0x0600u, _rig.PortRead(PciHostBridge.Address, SubClass, 2));
    }

    [Fact]
    public void Extended_registers_are_reachable_through_ecam_only()
    {
        _rig.Endpoint.Config.SetUInt32(0x100, 0x1234_5678);
        Assert.Equal(0x1234_5678u, _rig.EcamRead(Endpoint, 0x100));

        // AMD's extended-register bits 27:24 are reserved here: the ports still reach register 0x00.
        Span<byte> latch = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(latch, PciTestRig.ConfigAddress(Endpoint, 0) | 0x0100_0000);
        _rig.Ports.Write(0, latch);
        Span<byte> data = stackalloc byte[4];
        _rig.Ports.Read(4, data);
        Assert.Equal(0x1042_1AF4u, BinaryPrimitives.ReadUInt32LittleEndian(data));
    }

    [Fact]
    public void Function_zero_reports_multi_function_once_a_sibling_is_attached()
    {
        var segment = new PciSegment();
        var first = new PciHostBridge();
        segment.Attach(new PciAddress(0, 4, 0), first);
        Assert.Equal(0, first.Config.ReadByte(HeaderType));

        Assert.Throws<InvalidOperationException>(() => segment.Attach(new PciAddress(0, 5, 1), new PciHostBridge()));
        segment.Attach(new PciAddress(0, 4, 1), new PciHostBridge());
        Assert.Equal(0x80, first.Config.ReadByte(HeaderType));
        Assert.Equal(2, segment.Functions.Count);
    }

    [Fact]
    public void Attaching_rejects_taken_or_impossible_places()
    {
        var segment = new PciSegment();
        var bridge = new PciHostBridge();
        segment.Attach(PciHostBridge.Address, bridge);
        Assert.Throws<InvalidOperationException>(() => segment.Attach(PciHostBridge.Address, new PciHostBridge()));
        Assert.Throws<InvalidOperationException>(() => segment.Attach(new PciAddress(0, 1, 0), bridge));
        Assert.Throws<ArgumentOutOfRangeException>(() => segment.Attach(new PciAddress(1, 0, 0), new PciHostBridge()));
        Assert.Throws<ArgumentOutOfRangeException>(() => segment.Attach(new PciAddress(0, 32, 0), new PciHostBridge()));
    }
}
