using System.Buffers.Binary;
using Turnstone.Devices.Pci;

namespace Turnstone.UnitTests.Pci;

public sealed class MsixTableTests
{
    private const ulong ApicAddress = 0xFEE0_0000;

    private readonly PciTestRig _rig = new();
    private MsixTable Table => _rig.Endpoint.Msix;
    private int Control => _rig.Endpoint.MsixOffset + MsixCapability.MessageControl;

    private void SetControl(ushort value) => _rig.EcamWrite(PciTestRig.EndpointAddress, Control, value, 2);

    private void WriteBar0(ulong offset, uint value)
    {
        var data = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(data, value);
        _rig.Endpoint.WriteBar(0, offset, data);
    }

    private uint ReadBar0(ulong offset, int size = 4)
    {
        var data = new byte[8];
        _rig.Endpoint.ReadBar(0, offset, data.AsSpan(0, size));
        return BinaryPrimitives.ReadUInt32LittleEndian(data);
    }

    private void Program(int vector, ulong address, uint data, bool masked)
    {
        ulong entry = TestEndpoint.TableOffset + (ulong)vector * MsixTable.EntrySize;
        WriteBar0(entry, (uint)address);
        WriteBar0(entry + 4, (uint)(address >> 32));
        WriteBar0(entry + 8, data);
        WriteBar0(entry + 12, masked ? 1u : 0u);
    }

    [Fact]
    public void Nothing_is_signalled_or_held_while_msix_is_disabled()
    {
        Program(0, ApicAddress, 0x41, masked: false);
        Assert.False(Table.TrySignal(0, out _));
        Assert.False(Table.IsPending(0));
        Assert.Empty(_rig.Sink.Messages);
    }

    [Fact]
    public void Vectors_start_masked_and_a_masked_signal_becomes_pending()
    {
        SetControl(MsixCapability.EnableBit);
        for (int vector = 0; vector < TestEndpoint.Vectors; vector++)
        {
            Assert.True(Table.IsVectorMasked(vector));
            Assert.Equal(1u, ReadBar0(TestEndpoint.TableOffset + (ulong)vector * 16 + 12));
        }
        Assert.False(Table.TrySignal(2, out _));
        Assert.True(Table.IsPending(2));
        Assert.Equal(0b100u, ReadBar0(TestEndpoint.PbaOffset));
        Assert.Empty(_rig.Sink.Messages);
    }

    [Fact]
    public void A_programmed_unmasked_vector_yields_its_address_and_data()
    {
        SetControl(MsixCapability.EnableBit);
        Program(1, 0x1_FEE0_1000, 0x4021, masked: false);
        Assert.True(Table.TrySignal(1, out var message));
        Assert.Equal(new MsiMessage(0x1_FEE0_1000, 0x4021), message);
        Assert.False(Table.IsPending(1));

        Assert.True(Table.Signal(1));
        Assert.Equal([new MsiMessage(0x1_FEE0_1000, 0x4021)], _rig.Sink.Messages);
    }

    [Fact]
    public void Unmasking_a_pending_vector_delivers_it_once()
    {
        SetControl(MsixCapability.EnableBit);
        Program(3, ApicAddress, 0x33, masked: true);
        Assert.False(Table.Signal(3));
        Assert.False(Table.Signal(3)); // still one pending bit
        Assert.Equal(0b1000u, ReadBar0(TestEndpoint.PbaOffset));

        WriteBar0(TestEndpoint.TableOffset + 3 * 16 + 12, 0);
        Assert.Equal([new MsiMessage(ApicAddress, 0x33)], _rig.Sink.Messages);
        Assert.False(Table.IsPending(3));
        Assert.Equal(0u, ReadBar0(TestEndpoint.PbaOffset));

        WriteBar0(TestEndpoint.TableOffset + 3 * 16 + 12, 0); // unmasking again delivers nothing new
        Assert.Single(_rig.Sink.Messages);
    }

    [Fact]
    public void The_function_mask_holds_every_vector_and_releases_them_when_cleared()
    {
        SetControl(MsixCapability.EnableBit | MsixCapability.FunctionMaskBit);
        Program(0, ApicAddress, 0x30, masked: false);
        Program(1, ApicAddress, 0x31, masked: false);
        Program(2, ApicAddress, 0x32, masked: true);
        Assert.False(Table.Signal(0));
        Assert.False(Table.Signal(2));
        Assert.True(Table.IsPending(0));
        Assert.True(Table.IsPending(2));

        SetControl(MsixCapability.EnableBit);
        Assert.Equal([new MsiMessage(ApicAddress, 0x30)], _rig.Sink.Messages);
        Assert.True(Table.IsPending(2)); // its own mask still holds it
        Assert.False(Table.IsPending(0));
    }

    [Fact]
    public void Reserved_bits_of_an_entry_read_as_zero()
    {
        WriteBar0(TestEndpoint.TableOffset, 0xFEE0_0003);
        WriteBar0(TestEndpoint.TableOffset + 12, 0xFFFF_FFFF);
        Assert.Equal(0xFEE0_0000u, ReadBar0(TestEndpoint.TableOffset));
        Assert.Equal(1u, ReadBar0(TestEndpoint.TableOffset + 12));
    }

    [Fact]
    public void The_pending_bit_array_is_read_only()
    {
        SetControl(MsixCapability.EnableBit);
        Table.Signal(1);
        Assert.True(_rig.Endpoint.Msix.TryWrite(0, TestEndpoint.PbaOffset, [0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]));
        Assert.Equal(0b10u, ReadBar0(TestEndpoint.PbaOffset));
        Assert.Equal(0u, ReadBar0(TestEndpoint.PbaOffset + 4));
        Assert.Empty(_rig.Endpoint.BarWrites);
    }

    [Fact]
    public void A_qword_write_programs_the_whole_address()
    {
        SetControl(MsixCapability.EnableBit);
        var qword = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(qword, 0x0000_0001_FEE0_2000);
        _rig.Endpoint.WriteBar(0, TestEndpoint.TableOffset + 16, qword);
        WriteBar0(TestEndpoint.TableOffset + 16 + 8, 0x51);
        WriteBar0(TestEndpoint.TableOffset + 16 + 12, 0);
        Assert.Equal(new MsiMessage(0x1_FEE0_2000, 0x51), Table.GetMessage(1));
        Assert.True(Table.Signal(1));
    }

    [Fact]
    public void Vectors_that_do_not_exist_signal_nothing()
    {
        SetControl(MsixCapability.EnableBit);
        Assert.False(Table.TrySignal(-1, out _));
        Assert.False(Table.TrySignal(TestEndpoint.Vectors, out _));
        Assert.False(Table.IsPending(TestEndpoint.Vectors));
        Assert.True(Table.IsVectorMasked(TestEndpoint.Vectors));
    }

    [Fact]
    public void Accesses_outside_the_table_and_pba_are_left_to_the_device()
    {
        Assert.False(Table.TryRead(0, TestEndpoint.TableOffset + (ulong)Table.TableLength, new byte[4]));
        Assert.False(Table.TryRead(2, TestEndpoint.TableOffset, new byte[4]));
        Assert.Equal(0x5A5A_5A5Au, ReadBar0(0x400));
        WriteBar0(0x400, 7);
        Assert.Single(_rig.Endpoint.BarWrites);
    }
}
