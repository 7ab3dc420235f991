using Iced.Intel;
using Turnstone.Firmware.Bios;
using Turnstone.GuestMemory;

namespace Turnstone.UnitTests.Firmware.Bios;

/// <summary>The F segment as assembled: decoded back with Iced, and the IVT that points into it.</summary>
public sealed class BiosRomImageTests
{
    private static readonly BiosRomImage Rom = BiosRomImage.Build(BiosDispatcher.StandardVectors);

    private static List<Instruction> Decode(ushort offset, int count)
    {
        var decoder = Decoder.Create(16, new ByteArrayCodeReader(Rom.Rom, offset, Rom.Rom.Length - offset));
        decoder.IP = offset;
        var list = new List<Instruction>();
        for (int i = 0; i < count; i++)
        {
            list.Add(decoder.Decode());
        }
        return list;
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x13)]
    [InlineData(0xFF)]
    public void Every_slot_holds_the_trap_stub_out_jnc_sti_hlt_jmp_iret(byte vector)
    {
        ushort slot = BiosStubLayout.TrapSlotOffset(vector);
        var code = Decode(slot, 6);

        Assert.Equal(Code.Out_imm8_AL, code[0].Code);
        Assert.Equal(BiosStubLayout.FirmwareCallPort, code[0].Immediate8);
        Assert.Equal(Mnemonic.Jae, code[1].Mnemonic); // jnc
        Assert.Equal(code[5].IP, code[1].NearBranchTarget);
        Assert.Equal(Mnemonic.Sti, code[2].Mnemonic);
        Assert.Equal(Mnemonic.Hlt, code[3].Mnemonic);
        Assert.Equal(Mnemonic.Jmp, code[4].Mnemonic);
        Assert.Equal((ulong)slot, code[4].NearBranchTarget); // back to the OUT: trap again
        Assert.Equal(Mnemonic.Iret, code[5].Mnemonic);
        Assert.True(code[5].NextIP <= (ulong)(slot + BiosStubLayout.TrapSlotSize));
    }

    [Fact]
    public void The_vector_follows_from_ip_at_the_out_or_after_it_and_nothing_outside_the_slots_maps()
    {
        var stub = Decode(BiosStubLayout.TrapSlotOffset(0x42), 1)[0];
        Assert.Equal((byte)0x42, BiosStubLayout.VectorAt(BiosStubLayout.RomSegment, (ushort)stub.IP));
        Assert.Equal((byte)0x42, BiosStubLayout.VectorAt(BiosStubLayout.RomSegment, (ushort)stub.NextIP));
        Assert.Equal((byte)0xFF, BiosStubLayout.VectorAt(BiosStubLayout.RomSegment, BiosStubLayout.HandlersOffset - 1));
        Assert.Null(BiosStubLayout.VectorAt(BiosStubLayout.RomSegment, BiosStubLayout.HandlersOffset));
        Assert.Null(BiosStubLayout.VectorAt(0x0000, (ushort)stub.IP));
        Assert.Null(BiosStubLayout.VectorAt(0xF100, (ushort)stub.IP));
    }

    [Fact]
    public void The_reset_vector_far_jumps_to_post_which_sets_the_pic_pit_and_calls_int_19h()
    {
        var jump = Decode(BiosStubLayout.ResetVectorOffset, 1)[0];
        Assert.Equal(Code.Jmp_ptr1616, jump.Code);
        Assert.Equal(BiosStubLayout.RomSegment, jump.FarBranchSelector);
        Assert.Equal(Rom.PostOffset, (ushort)jump.FarBranch16);

        var post = Decode(Rom.PostOffset, 60).TakeWhile(i => i.Mnemonic != Mnemonic.Hlt).ToList();
        var portWrites = new List<(ushort Port, byte Value)>();
        byte al = 0;
        foreach (var instruction in post)
        {
            if (instruction.Code == Code.Mov_r8_imm8 && instruction.Op0Register == Register.AL)
            {
                al = instruction.Immediate8;
            }
            else if (instruction.Mnemonic == Mnemonic.Xor && instruction.Op0Register == Register.AL && instruction.Op1Register == Register.AL)
            {
                al = 0;
            }
            else if (instruction.Code == Code.Out_imm8_AL)
            {
                portWrites.Add((instruction.Immediate8, al));
            }
        }
        Assert.Equal(
            [(0x20, 0x11), (0xA0, 0x11), (0x21, 0x08), (0xA1, 0x70), (0x21, 0x04), (0xA1, 0x02), (0x21, 0x01), (0xA1, 0x01),
             (0x21, 0xFA), (0xA1, 0xFF), (0x43, 0x34), (0x40, 0x00), (0x40, 0x00)],
            portWrites.Select(w => ((int)w.Port, (int)w.Value)));
        var interrupts = post.Where(i => i.Mnemonic == Mnemonic.Int).Select(i => i.Immediate8).ToList();
        Assert.Equal([0x19, 0x18], interrupts);
    }

    [Fact]
    public void The_irq0_handler_counts_ticks_chains_int_1ch_and_sends_the_eoi()
    {
        var handler = Decode(Rom.Irq0HandlerOffset, 40);
        int end = handler.FindIndex(i => i.Mnemonic == Mnemonic.Iret);
        var body = handler.Take(end + 1).ToList();
        Assert.Contains(body, i => i.Mnemonic == Mnemonic.Add && i.MemoryDisplacement32 == BiosStubLayout.TickCountAddress);
        Assert.Contains(body, i => i.Mnemonic == Mnemonic.Int && i.Immediate8 == BiosStubLayout.UserTimerTickVector);
        int chain = body.FindIndex(i => i.Mnemonic == Mnemonic.Int);
        Assert.Contains(body.Skip(chain), i => i.Code == Code.Out_imm8_AL && i.Immediate8 == 0x20);
    }

    [Fact]
    public void The_ivt_points_services_at_their_stubs_irqs_at_handlers_and_the_rest_at_iret()
    {
        var memory = new ArrayGuestMemory(2ul << 20);
        Rom.WriteTo(memory);
        (ushort Segment, ushort Offset) Vector(int v) =>
            (BitConverter.ToUInt16(memory.GetSpan((ulong)v * 4 + 2, 2)), BitConverter.ToUInt16(memory.GetSpan((ulong)v * 4, 2)));

        Assert.Equal((BiosStubLayout.RomSegment, BiosStubLayout.TrapSlotOffset(0x13)), Vector(0x13));
        Assert.Equal((BiosStubLayout.RomSegment, BiosStubLayout.TrapSlotOffset(0x19)), Vector(0x19));
        Assert.Equal((BiosStubLayout.RomSegment, Rom.Irq0HandlerOffset), Vector(0x08));
        Assert.Equal((BiosStubLayout.RomSegment, Rom.MasterIrqHandlerOffset), Vector(0x09));
        Assert.Equal((BiosStubLayout.RomSegment, Rom.SlaveIrqHandlerOffset), Vector(0x70));
        Assert.Equal((BiosStubLayout.RomSegment, Rom.SlaveIrqHandlerOffset), Vector(0x77));
        Assert.Equal((BiosStubLayout.RomSegment, Rom.IretOffset), Vector(0x1C));
        Assert.Equal((BiosStubLayout.RomSegment, Rom.IretOffset), Vector(0x00));
        Assert.Equal(Rom.Rom, memory.GetSpan(BiosStubLayout.RomBase, BiosStubLayout.RomSize).ToArray());
    }
}
