using Turnstone.Devices.Pci;
using static Turnstone.Devices.Pci.PciConfigRegisters;

namespace Turnstone.UnitTests.Pci;

public sealed class PciConfigSpaceTests
{
    private readonly PciTestRig _rig = new();
    private PciConfigSpace Config => _rig.Endpoint.Config;

    private byte[] Snapshot()
    {
        var bytes = new byte[PciConfigSpace.Size];
        Config.Read(0, bytes);
        return bytes;
    }

    [Theory]
    [InlineData(VendorId, 4)]
    [InlineData(Revision, 4)]
    [InlineData(HeaderType, 1)]
    [InlineData(Bist, 1)]
    [InlineData(LatencyTimer, 1)]
    [InlineData(CardbusCis, 4)]
    [InlineData(SubsystemVendorId, 4)]
    [InlineData(ExpansionRom, 4)]
    [InlineData(CapabilitiesPointer, 4)]
    [InlineData(InterruptPin, 1)]
    [InlineData(MinGrant, 2)]
    public void Read_only_registers_ignore_guest_writes(int register, int size)
    {
        uint before = _rig.EcamRead(PciTestRig.EndpointAddress, register, size);
        _rig.EcamWrite(PciTestRig.EndpointAddress, register, 0xFFFF_FFFF, size);
        _rig.PortWrite(PciTestRig.EndpointAddress, register, 0, size);
        Assert.Equal(before, _rig.EcamRead(PciTestRig.EndpointAddress, register, size));
    }

    [Fact]
    public void Writing_ones_everywhere_changes_only_the_guest_writable_bits()
    {
        var before = Snapshot();
        for (int register = 0; register < PciConfigSpace.Size; register += 4)
        {
            _rig.EcamWrite(PciTestRig.EndpointAddress, register, 0xFFFF_FFFF);
        }
        var after = Snapshot();

        int expressControl = _rig.Endpoint.PciExpressOffset + PciExpressCapability.DeviceControl;
        int msixControl = _rig.Endpoint.MsixOffset + MsixCapability.MessageControl;
        var expectedChanges = new HashSet<int> { Command, Command + 1, CacheLineSize, InterruptLine, expressControl, expressControl + 1, msixControl + 1 };
        for (int bar = Bar0; bar < Bar0 + 6 * 4; bar++)
        {
            expectedChanges.Add(bar);
        }
        for (int i = 0; i < PciConfigSpace.Size; i++)
        {
            if (!expectedChanges.Contains(i))
            {
                Assert.True(before[i] == after[i], $"byte 0x{i:x} changed from 0x{before[i]:x2} to 0x{after[i]:x2}");
            }
        }
        Assert.All(after.AsSpan(0x100).ToArray(), b => Assert.Equal(0, b));
        Assert.Equal(0x0547, Config.ReadUInt16(Command));
        Assert.Equal(0xFF, Config.ReadByte(CacheLineSize));
        Assert.Equal(0xFF, Config.ReadByte(InterruptLine));
        Assert.Equal(0xC0, after[msixControl + 1] & 0xF8);
    }

    [Fact]
    public void Status_error_bits_clear_on_writing_one_and_cannot_be_set_by_the_guest()
    {
        var status = PciStatus.CapabilitiesList | PciStatus.ReceivedMasterAbort | PciStatus.DetectedParityError;
        Config.SetUInt16(Status, (ushort)status);

        _rig.EcamWrite(PciTestRig.EndpointAddress, Status, 0, 2);
        Assert.Equal(status, Config.Status);

        _rig.EcamWrite(PciTestRig.EndpointAddress, Status, (uint)(PciStatus.ReceivedMasterAbort | PciStatus.CapabilitiesList | PciStatus.InterruptStatus), 2);
        Assert.Equal(PciStatus.CapabilitiesList | PciStatus.DetectedParityError, Config.Status);

        // A dword write to Command carries Status in its upper half: zeros there clear nothing, ones clear all.
        _rig.EcamWrite(PciTestRig.EndpointAddress, Command, 0x0000_0002);
        Assert.Equal(PciStatus.CapabilitiesList | PciStatus.DetectedParityError, Config.Status);
        _rig.EcamWrite(PciTestRig.EndpointAddress, Command, 0xFFFF_0002);
        Assert.Equal(PciStatus.CapabilitiesList, Config.Status);
    }

    [Fact]
    public void Interrupt_line_is_the_guests_and_interrupt_pin_the_devices()
    {
        _rig.EcamWrite(PciTestRig.EndpointAddress, InterruptLine, 0xFFFF, 2);
        Assert.Equal(0x01FFu, _rig.EcamRead(PciTestRig.EndpointAddress, InterruptLine, 2));
        _rig.EcamWrite(PciTestRig.EndpointAddress, InterruptLine, 0x000B, 2);
        Assert.Equal(0x010Bu, _rig.EcamRead(PciTestRig.EndpointAddress, InterruptLine, 2));
    }

    [Fact]
    public void Device_side_writes_bypass_the_guest_masks()
    {
        Config.SetUInt16(SubsystemId, 0xBEEF);
        Assert.Equal(0xBEEFu, _rig.EcamRead(PciTestRig.EndpointAddress, SubsystemId, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Config.SetUInt32(PciConfigSpace.Size - 2, 0));
    }

    [Fact]
    public void Guest_masks_can_be_declared_for_device_registers()
    {
        Config.SetGuestMasks(0x100, [0x0F, 0x00], [0x00, 0x80]);
        Config.SetUInt16(0x100, 0x8000);
        Config.Write(0x100, [0xFF, 0xFF]);
        Assert.Equal(0x000F, Config.ReadUInt16(0x100));
    }

    [Fact]
    public void Observers_see_guest_reads_before_and_writes_after()
    {
        var seen = new List<string>();
        Config.GuestReading += (offset, length) =>
        {
            seen.Add($"read {offset:x}+{length}");
            Config.SetUInt32(0x200, 0xCAFE_F00D); // a register refreshed on demand
        };
        Config.GuestWrote += (offset, length) => seen.Add($"wrote {offset:x}+{length}");

        Assert.Equal(0xCAFE_F00Du, _rig.EcamRead(PciTestRig.EndpointAddress, 0x200));
        _rig.EcamWrite(PciTestRig.EndpointAddress, InterruptLine, 5, 1);
        Config.Write(PciConfigSpace.Size - 2, [1, 2, 3, 4]); // clipped to the space
        Assert.Equal(["read 200+4", "wrote 3c+1", "wrote ffe+2"], seen);
    }

    [Fact]
    public void The_all_ones_vendor_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new PciConfigSpace(new PciIdentity(0xFFFF, 0, default)));
    }
}
