using Turnstone.Devices.Pci;
using static Turnstone.Devices.Pci.PciConfigRegisters;

namespace Turnstone.UnitTests.Pci;

public sealed class PciCapabilityTests
{
    private readonly PciTestRig _rig = new();
    private static readonly PciAddress Endpoint = PciTestRig.EndpointAddress;

    [Fact]
    public void The_list_from_0x34_finds_pci_express_msix_and_vendor_capabilities_and_ends()
    {
        var capabilities = _rig.WalkCapabilities(Endpoint);
        Assert.Equal(
            [(PciCapabilityId.PciExpress, _rig.Endpoint.PciExpressOffset), (PciCapabilityId.MsiX, _rig.Endpoint.MsixOffset), (PciCapabilityId.VendorSpecific, _rig.Endpoint.VendorOffset)],
            capabilities);
        Assert.Equal(0x40, capabilities[0].Offset);
        Assert.All(capabilities, capability => Assert.Equal(0, capability.Offset & 3));
        Assert.Equal(capabilities, _rig.Endpoint.Config.Capabilities);
    }

    [Fact]
    public void A_function_without_capabilities_says_so()
    {
        Assert.Equal(0u, _rig.EcamRead(PciHostBridge.Address, Status, 2) & (uint)PciStatus.CapabilitiesList);
        Assert.Equal(0u, _rig.EcamRead(PciHostBridge.Address, CapabilitiesPointer, 1));
        Assert.Empty(_rig.WalkCapabilities(PciHostBridge.Address));
    }

    [Fact]
    public void The_pci_express_capability_describes_an_integrated_endpoint()
    {
        int cap = _rig.Endpoint.PciExpressOffset;
        uint capabilities = _rig.EcamRead(Endpoint, cap + PciExpressCapability.CapabilitiesRegister, 2);
        Assert.Equal(2u, capabilities & 0xF);            // version 2
        Assert.Equal(9u, (capabilities >> 4) & 0xF);     // Root Complex Integrated Endpoint
        Assert.Equal(0u, capabilities & 0x100);          // no slot
        uint deviceCapabilities = _rig.EcamRead(Endpoint, cap + PciExpressCapability.DeviceCapabilities);
        Assert.NotEqual(0u, deviceCapabilities & (1u << 15)); // role-based error reporting
        Assert.Equal(0u, deviceCapabilities & (1u << 28));    // no FLR
        Assert.Equal(0x2810u, _rig.EcamRead(Endpoint, cap + PciExpressCapability.DeviceControl, 2));
        for (int offset = 0x0C; offset < PciExpressCapability.Length; offset += 4)
        {
            Assert.Equal(0u, _rig.EcamRead(Endpoint, cap + offset)); // link, slot, root: absent
        }
    }

    [Fact]
    public void Device_control_takes_its_defined_fields_and_device_status_clears_on_one()
    {
        int cap = _rig.Endpoint.PciExpressOffset;
        _rig.EcamWrite(Endpoint, cap + PciExpressCapability.DeviceControl, 0xFFFF, 2);
        Assert.Equal(0x79FFu, _rig.EcamRead(Endpoint, cap + PciExpressCapability.DeviceControl, 2));

        _rig.Endpoint.Config.SetUInt16(cap + PciExpressCapability.DeviceStatus, 0x0009);
        _rig.EcamWrite(Endpoint, cap + PciExpressCapability.DeviceStatus, 0x0001, 2);
        Assert.Equal(0x0008u, _rig.EcamRead(Endpoint, cap + PciExpressCapability.DeviceStatus, 2));
        _rig.EcamWrite(Endpoint, cap + PciExpressCapability.CapabilitiesRegister, 0, 2);
        Assert.Equal(0x0092u, _rig.EcamRead(Endpoint, cap + PciExpressCapability.CapabilitiesRegister, 2));
    }

    [Fact]
    public void The_msix_capability_locates_table_and_pba_and_takes_only_enable_and_mask()
    {
        int cap = _rig.Endpoint.MsixOffset;
        Assert.Equal((uint)(TestEndpoint.Vectors - 1), _rig.EcamRead(Endpoint, cap + MsixCapability.MessageControl, 2));
        Assert.Equal(TestEndpoint.TableOffset | 0u, _rig.EcamRead(Endpoint, cap + MsixCapability.TableOffsetAndBir));
        Assert.Equal(TestEndpoint.PbaOffset | 0u, _rig.EcamRead(Endpoint, cap + MsixCapability.PbaOffsetAndBir));

        _rig.EcamWrite(Endpoint, cap + MsixCapability.MessageControl, 0xFFFF, 2);
        Assert.Equal(0xC003u, _rig.EcamRead(Endpoint, cap + MsixCapability.MessageControl, 2));
        Assert.True(_rig.Endpoint.Msix.Enabled);
        Assert.True(_rig.Endpoint.Msix.FunctionMasked);
        _rig.EcamWrite(Endpoint, cap + MsixCapability.TableOffsetAndBir, 0xFFFF_FFFF);
        Assert.Equal(TestEndpoint.TableOffset | 0u, _rig.EcamRead(Endpoint, cap + MsixCapability.TableOffsetAndBir));

        // A dword write from the capability header reaches Message Control too (Linux writes words, others dwords).
        _rig.EcamWrite(Endpoint, cap, 0x0000_0000);
        Assert.False(_rig.Endpoint.Msix.Enabled);
    }

    [Fact]
    public void The_msix_table_must_fit_a_memory_bar_of_the_function()
    {
        var config = new PciConfigSpace(new PciIdentity(0x1AF4, 1, default));
        config.DefineBar(0, PciBarKind.Memory32, 0x100);
        config.DefineBar(1, PciBarKind.Io, 0x100);
        var sink = new RecordingMsiSink();
        Assert.Throws<ArgumentException>(() => MsixCapability.Add(config, new MsixTable(32, 0, 0, 0, 0x200, sink)));
        Assert.Throws<ArgumentException>(() => MsixCapability.Add(config, new MsixTable(1, 1, 0, 0, 0x80, sink)));
        Assert.Throws<ArgumentException>(() => MsixCapability.Add(config, new MsixTable(1, 2, 0, 0, 0x80, sink)));
        Assert.Throws<ArgumentException>(() => new MsixTable(4, 0, 0, 0, 0x20, sink)); // PBA inside the table
        Assert.Throws<ArgumentException>(() => new MsixTable(4, 0, 4, 0, 0x80, sink)); // offset collides with the BIR bits
        Assert.Empty(config.Capabilities);
    }

    [Fact]
    public void The_vendor_capability_carries_its_length_and_payload_read_only()
    {
        int cap = _rig.Endpoint.VendorOffset;
        int length = (int)_rig.EcamRead(Endpoint, cap + 2, 1);
        Assert.Equal(VendorSpecificCapability.PayloadOffset + TestEndpoint.VendorPayload.Length, length);
        for (int i = 0; i < TestEndpoint.VendorPayload.Length; i++)
        {
            _rig.EcamWrite(Endpoint, cap + 3 + i, 0xFF, 1);
            Assert.Equal(TestEndpoint.VendorPayload[i], (byte)_rig.EcamRead(Endpoint, cap + 3 + i, 1));
        }
    }

    [Fact]
    public void Vendor_payload_fields_can_be_made_writable()
    {
        var config = new PciConfigSpace(new PciIdentity(0x1AF4, 1, default));
        int cap = VendorSpecificCapability.Add(config, [5, 0, 0, 0], [0, 0xFF, 0xFF, 0]);
        config.Write(cap + 3, [0xAA, 0xBB, 0xCC, 0xDD]);
        Assert.Equal(0x00CC_BB05u, config.ReadUInt32(cap + 3));
    }

    [Fact]
    public void Capabilities_that_do_not_fit_below_0x100_are_refused()
    {
        var config = new PciConfigSpace(new PciIdentity(0x1AF4, 1, default));
        VendorSpecificCapability.Add(config, new byte[150]);
        Assert.Throws<InvalidOperationException>(() => VendorSpecificCapability.Add(config, new byte[40]));
        Assert.Throws<ArgumentException>(() => VendorSpecificCapability.Add(config, new byte[253]));
        Assert.Single(config.Capabilities);
    }

    [Fact]
    public void A_looping_list_still_ends_the_walk()
    {
        var config = _rig.Endpoint.Config;
        config.SetBytes(_rig.Endpoint.VendorOffset + 1, [(byte)_rig.Endpoint.PciExpressOffset]);
        Assert.Equal(3, config.Capabilities.Count);
    }
}
