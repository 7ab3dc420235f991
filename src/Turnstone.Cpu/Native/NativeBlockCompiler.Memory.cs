using Iced.Intel;
using static Turnstone.Cpu.Native.NativeState;

namespace Turnstone.Cpu.Native;

// Guest memory from host code: the linear address computed with MOV and LEA (which keep RFLAGS),
// then the software TLB looked up inline exactly as SoftwareCpu.TryReadIn does; a miss, or an
// access that would cross the page end, stops the block before the instruction.
internal sealed partial class NativeBlockCompiler
{
    /// <summary>TlbEntry's size (a shift by 5 indexes a set) and the offset of its host address.</summary>
    private const int TlbEntryBytes = 32, TlbEntryShift = 5, TlbEntryHostOffset = 8;

    /// <summary>Whether the operand's address fits the forms below (a 32-bit displacement; always so in 32-bit code).</summary>
    private bool IsAddressable(in Instruction instruction) => _legacy ||
        (instruction.IsIPRelativeMemoryOperand ? (long)instruction.IPRelativeMemoryAddress : (long)instruction.MemoryDisplacement64) is >= int.MinValue and <= int.MaxValue;

    /// <summary>RSI = the memory operand's linear address; only MOV and LEA, so RFLAGS is untouched. RDI is used.</summary>
    private void EmitLinearAddress(in Instruction instruction, bool segmentBase = true)
    {
        if (_legacy)
        {
            EmitLegacyLinearAddress(instruction, segmentBase);
            return;
        }
        long displacement;
        if (instruction.IsIPRelativeMemoryOperand)
        {
            Load(Register.RSI, BlockRip);
            displacement = (long)instruction.IPRelativeMemoryAddress;
        }
        else
        {
            displacement = (long)instruction.MemoryDisplacement64;
            if (instruction.MemoryBase == Register.None)
            {
                Emit(Instruction.Create(Code.Mov_r32_imm32, Register.ESI, 0));
            }
            else
            {
                GuestLoad(Register.RSI, instruction.MemoryBase - Register.RAX);
            }
        }
        if (instruction.MemoryIndex != Register.None)
        {
            GuestLoad(Register.RDI, instruction.MemoryIndex - Register.RAX);
            Emit(Instruction.Create(Code.Lea_r64_m, Register.RSI,
                new MemoryOperand(Register.RSI, Register.RDI, instruction.MemoryIndexScale, displacement, 1)));
        }
        else if (displacement != 0)
        {
            Lea(Register.RSI, Register.RSI, displacement);
        }
        if (segmentBase && instruction.MemorySegment is Register.FS or Register.GS)
        {
            int segment = instruction.MemorySegment == Register.FS ? (int)SegmentName.Fs : (int)SegmentName.Gs;
            Load(Register.RDI, SegmentBases);
            Emit(Instruction.Create(Code.Mov_r64_rm64, Register.RDI, new MemoryOperand(Register.RDI, segment * 8)));
            Emit(Instruction.Create(Code.Lea_r64_m, Register.RSI, new MemoryOperand(Register.RSI, Register.RDI)));
        }
    }

    /// <summary>R11 = the host address of the memory operand's <paramref name="size"/> bytes, through the
    /// read or write TLB set; saves the guest's flags first, as the look-up's compares clobber RFLAGS.</summary>
    private bool EmitHostAddress(in Instruction instruction, bool write, int size, int index, bool aligned = false)
    {
        if (!IsAddressable(instruction) || size is < 1 or > 16)
        {
            return false;
        }
        SaveFlags();
        EmitLinearAddress(instruction);
        if (aligned)
        {
            // Misaligned: the interpreter raises #GP.
            Emit(Instruction.Create(Code.Test_rm32_imm32, Register.ESI, size - 1));
            _e.Branch(Code.Jne_rel32_64, ExitLabel(index, resume: true, nextRip: null));
        }
        EmitTlbLookup(write, size, index);
        return true;
    }

    /// <summary>R11 = host address of the <paramref name="size"/> bytes at linear RSI; RSI and RDI are used.</summary>
    private void EmitTlbLookup(bool write, int size, int index)
    {
        int miss = ExitLabel(index, resume: true, nextRip: null);
        Emit(Instruction.Create(Code.Mov_r64_rm64, Register.RDI, Register.RSI));
        Emit(Instruction.Create(Code.Shr_rm64_imm8, Register.RDI, 12));
        Emit(Instruction.Create(Code.And_r64_rm64, Register.RDI, Slot(TlbMask)));
        Emit(Instruction.Create(Code.Shl_rm64_imm8, Register.RDI, TlbEntryShift));
        Emit(Instruction.Create(Code.Add_r64_rm64, Register.RDI, Slot(write ? WriteTlb : ReadTlb)));
        Emit(Instruction.Create(Code.Mov_r64_rm64, Register.R11, Register.RSI));
        Emit(Instruction.Create(Code.And_rm64_imm32, Register.R11, -4096));
        Emit(Instruction.Create(Code.Cmp_r64_rm64, Register.R11, new MemoryOperand(Register.RDI)));
        _e.Branch(Code.Jne_rel32_64, miss);
        if (size > 1)
        {
            Emit(Instruction.Create(Code.Mov_r32_rm32, Register.R11D, Register.ESI));
            Emit(Instruction.Create(Code.And_rm32_imm32, Register.R11D, 0xFFF));
            Emit(Instruction.Create(Code.Cmp_rm32_imm32, Register.R11D, 4096 - size));
            _e.Branch(Code.Ja_rel32_64, miss);
        }
        Emit(Instruction.Create(Code.Mov_r64_rm64, Register.R11, new MemoryOperand(Register.RDI, TlbEntryHostOffset)));
        Emit(Instruction.Create(Code.And_rm32_imm32, Register.ESI, 0xFFF));
        Emit(Instruction.Create(Code.Add_r64_rm64, Register.R11, Register.RSI));
    }

    /// <summary>LEA computes its address as the guest would (no segment base), into the destination at its size.</summary>
    private bool EmitLea(in Instruction instruction)
    {
        if (!IsAddressable(instruction) || instruction.Op0Kind != OpKind.Register || !instruction.Op0Register.IsGPR()
            || instruction.MemoryBase is not (Register.None or Register.RIP) && !IsAddressRegister(instruction.MemoryBase)
            || instruction.MemoryIndex != Register.None && !IsAddressRegister(instruction.MemoryIndex)
            || instruction.Op0Register is >= Register.AH and <= Register.BH)
        {
            return false;
        }
        EmitLinearAddress(instruction, segmentBase: false);
        int slot = instruction.Op0Register.GetFullRegister() - Register.RAX;
        switch (instruction.Op0Register.GetSize())
        {
            case 8:
                GuestStore(slot, Register.RSI);
                break;
            case 4:
                Emit(Instruction.Create(Code.Mov_r32_rm32, Register.ESI, Register.ESI));
                GuestStore(slot, Register.RSI);
                break;
            default:
                GuestStore16(slot, Register.SI);
                break;
        }
        return true;
    }
}
