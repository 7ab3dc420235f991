using Iced.Intel;
using Turnstone.Cpu.Internal;
using static Turnstone.Cpu.Native.NativeState;

namespace Turnstone.Cpu.Native;

// 32-bit code (protected mode, compatibility mode): the same instructions run as themselves, decoded
// with a 32-bit decoder and re-encoded for the host's 64-bit mode. What differs is what the
// interpreter does differently there (SoftwareCpu.Registers.cs, LegacyBranches.cs): an effective
// address wraps at 4 GiB before its segment's base is added (any segment's, not only FS's and GS's),
// EIP wraps at 4 GiB, and a branch past CS's limit raises #GP. Stack instructions, 16-bit addressing
// and 16-bit branches stay with the interpreter.
internal sealed partial class NativeBlockCompiler
{
    private bool EmitLegacyInstruction(ref DecodedInstruction decoded, ref Instruction instruction, int index)
    {
        if ((decoded.Flags & OperandFlags.AddressSize16) != 0)
        {
            return false;
        }
        return decoded.Op switch
        {
            Operation.NearJcc => decoded.Size == 4 && EmitConditionalBranch(instruction, index),
            Operation.NearJmp => decoded.Size == 4 && EmitDirectJump(instruction, index),
            _ => MakeEncodable(ref instruction) && EmitDataInstruction(ref decoded, ref instruction, index),
        };
    }

    /// <summary>A 32-bit branch's target as an offset from the block start: its displacement is from the next
    /// instruction, sign-extended (ModeTranslator).</summary>
    private static long LegacyBranchTarget(in DecodedInstruction branch) => branch.Offset + branch.Length + (long)branch.Immediate;

    /// <summary>
    /// Gives the instruction a form the host's 64-bit mode encodes with a ModRM operand: 32-bit code's
    /// one-byte INC/DEC of a register (REX prefixes in 64-bit mode) and, in either mode, MOV to and from
    /// an absolute address (whose memory operand must become [R11]); false for the rest that 64-bit mode lacks.
    /// </summary>
    private static bool MakeEncodable(ref Instruction instruction)
    {
        Code code = instruction.Code switch
        {
            Code.Inc_r16 => Code.Inc_rm16,
            Code.Inc_r32 => Code.Inc_rm32,
            Code.Dec_r16 => Code.Dec_rm16,
            Code.Dec_r32 => Code.Dec_rm32,
            Code.Mov_AL_moffs8 => Code.Mov_r8_rm8,
            Code.Mov_AX_moffs16 => Code.Mov_r16_rm16,
            Code.Mov_EAX_moffs32 => Code.Mov_r32_rm32,
            Code.Mov_moffs8_AL => Code.Mov_rm8_r8,
            Code.Mov_moffs16_AX => Code.Mov_rm16_r16,
            Code.Mov_moffs32_EAX => Code.Mov_rm32_r32,
            Code.Mov_RAX_moffs64 => Code.Mov_r64_rm64,
            Code.Mov_moffs64_RAX => Code.Mov_rm64_r64,
            Code other => other,
        };
        if (!code.ToOpCode().Mode64)
        {
            return false;
        }
        instruction.Code = code;
        return true;
    }

    /// <summary>RSI = the 32-bit effective address (wrapped at 4 GiB) plus, unless for LEA, its segment's base;
    /// only MOV and LEA, so RFLAGS is untouched. RDI is used.</summary>
    private void EmitLegacyLinearAddress(in Instruction instruction, bool segmentBase)
    {
        int displacement = (int)instruction.MemoryDisplacement32;
        if (instruction.MemoryBase == Register.None)
        {
            Emit(Instruction.Create(Code.Mov_r32_imm32, Register.ESI, 0));
        }
        else
        {
            GuestLoad32(Register.ESI, instruction.MemoryBase.GetFullRegister() - Register.RAX);
        }
        if (instruction.MemoryIndex != Register.None)
        {
            GuestLoad32(Register.EDI, instruction.MemoryIndex.GetFullRegister() - Register.RAX);
            Emit(Instruction.Create(Code.Lea_r32_m, Register.ESI,
                new MemoryOperand(Register.RSI, Register.RDI, instruction.MemoryIndexScale, displacement, 1)));
        }
        else if (displacement != 0)
        {
            Emit(Instruction.Create(Code.Lea_r32_m, Register.ESI, new MemoryOperand(Register.RSI, displacement, 1)));
        }
        if (segmentBase)
        {
            int segment = instruction.MemorySegment - Register.ES;
            Load(Register.RDI, SegmentBases);
            Emit(Instruction.Create(Code.Mov_r64_rm64, Register.RDI, new MemoryOperand(Register.RDI, segment * 8)));
            Emit(Instruction.Create(Code.Lea_r64_m, Register.RSI, new MemoryOperand(Register.RSI, Register.RDI)));
        }
    }

    /// <summary><paramref name="rip"/> += <paramref name="offset"/>, wrapped at 4 GiB in 32-bit code (EIP). RFLAGS is kept.</summary>
    private void AddToRip(Register rip, long offset)
    {
        if (_legacy)
        {
            Emit(Instruction.Create(Code.Lea_r32_m, Sized(rip, 4), new MemoryOperand(rip, offset)));
        }
        else
        {
            Lea(rip, rip, offset);
        }
    }

    /// <summary>In 32-bit code, a branch's exit whose target <paramref name="target"/> lies past CS's limit stops
    /// before the branch (the instruction before <paramref name="index"/>, which has done nothing yet), so the
    /// interpreter raises #GP there. The guest's flags are in their slot already.</summary>
    private void EmitCodeLimitCheck(Register target, int index, bool branch)
    {
        if (!_legacy || !branch)
        {
            return;
        }
        Emit(Instruction.Create(Code.Cmp_r64_rm64, target, Slot(CodeLimit)));
        _e.Branch(Code.Ja_rel32_64, ExitLabel(index - 1, resume: true, nextRip: null));
    }
}
