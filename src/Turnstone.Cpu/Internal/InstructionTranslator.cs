using System.Numerics;
using Iced.Intel;

namespace Turnstone.Cpu.Internal;

/// <summary>
/// Turns one Iced instruction (decoded in 64-bit mode with IP = its offset in the block) into the
/// compact <see cref="DecodedInstruction"/> the interpreter dispatches on. Encodings Iced rejects
/// become <see cref="Operation.Invalid"/> (#UD); valid instructions this engine lacks become
/// <see cref="Operation.NotImplemented"/>.
/// </summary>
internal static class InstructionTranslator
{
    private const byte Zero = SoftwareCpu.ZeroRegister;

    public static void Translate(in Instruction instruction, ref DecodedInstruction decoded)
    {
        decoded.Length = (byte)instruction.Length;
        decoded.Base = Zero;
        decoded.Index = Zero;
        decoded.Segment = SoftwareCpu.FlatSegmentSlot;
        if (instruction.IsInvalid)
        {
            decoded.Op = Operation.Invalid;
            return;
        }
        FillOperands(in instruction, ref decoded);
        decoded.Op = Map(in instruction, ref decoded);
    }

    /// <summary>
    /// Whether a block ends after this instruction. A conditional branch does not end it unless it
    /// branches backward: the block goes on with the fall-through path, and a taken branch leaves
    /// it there (the interpreter and the compiled code both stop at a taken branch). In a Debian 12
    /// boot 44% of 695 million block dispatches had been to the fall-through of the block before,
    /// which now runs in the same block. A branch backward (a loop's) still ends the block, so that
    /// a loop stays a block whose compiled code can go round it without returning to the run loop.
    /// 16/32-bit code goes on past all of its conditional branches (ModeTranslator.EndsBlock).
    /// </summary>
    public static bool EndsBlock(in DecodedInstruction decoded) => decoded.Op switch
    {
        Operation.Jcc => (long)decoded.Immediate <= decoded.Offset, // Immediate: the target's offset from the block start
        Operation.Invalid or Operation.NotImplemented or Operation.Jmp or Operation.JmpR or Operation.JmpM or
        Operation.Call or Operation.CallR or Operation.CallM or Operation.Ret or Operation.Loop or
        Operation.Loope or Operation.Loopne or Operation.Jrcxz or Operation.IntN or Operation.Int3 or Operation.Int1 or
        Operation.Ud or Operation.Iret or Operation.Syscall or Operation.Sysret or Operation.Hlt or
        Operation.MovToCr or Operation.Wrmsr or Operation.Lgdt or Operation.Lidt or Operation.Ltr or Operation.Lldt or
        Operation.LoadSegment or Operation.PopSegment or Operation.Sti or Operation.Invlpg => true,
        >= Operation.NearJmp => ModeTranslator.EndsBlock(decoded.Op),
        _ => false,
    };

    internal static byte RegisterIndex(Register register)
    {
        if (register >= Register.AH && register <= Register.BH)
        {
            return (byte)(SoftwareCpu.HighByteRegister + (register - Register.AH));
        }
        return (byte)(register.GetFullRegister() - Register.RAX);
    }

    private static byte SegmentSlot(Register segment) => segment switch
    {
        Register.FS => (byte)SegmentName.Fs,
        Register.GS => (byte)SegmentName.Gs,
        _ => SoftwareCpu.FlatSegmentSlot,
    };

    private static void FillOperands(in Instruction instruction, ref DecodedInstruction decoded)
    {
        if (instruction.HasLockPrefix)
        {
            decoded.Flags |= OperandFlags.Lock;
        }
        for (int i = 0; i < instruction.OpCount; i++)
        {
            switch (instruction.GetOpKind(i))
            {
                case OpKind.Register:
                    Register register = instruction.GetOpRegister(i);
                    if (i == 0)
                    {
                        decoded.Reg = register.IsGPR() ? RegisterIndex(register) : (byte)0;
                        decoded.Size = (byte)register.GetSize();
                    }
                    else if (i == 1)
                    {
                        decoded.Reg2 = register.IsGPR() ? RegisterIndex(register) : (byte)0;
                    }
                    else if (register == Register.CL)
                    {
                        decoded.Flags |= OperandFlags.RegisterCount;
                    }
                    break;
                case OpKind.Memory:
                    FillMemory(in instruction, ref decoded);
                    decoded.Flags |= i == 0 ? OperandFlags.Memory0 : OperandFlags.Memory1;
                    if (i == 0)
                    {
                        decoded.Size = (byte)instruction.MemorySize.GetSize();
                    }
                    break;
                case OpKind.Immediate8:
                case OpKind.Immediate16:
                case OpKind.Immediate32:
                case OpKind.Immediate64:
                case OpKind.Immediate8to16:
                case OpKind.Immediate8to32:
                case OpKind.Immediate8to64:
                case OpKind.Immediate32to64:
                    decoded.Immediate = instruction.GetImmediate(i);
                    if (i > 0)
                    {
                        decoded.Flags |= OperandFlags.Immediate1;
                    }
                    break;
                case OpKind.Immediate8_2nd:
                    decoded.Aux = instruction.Immediate8_2nd;
                    break;
                case OpKind.NearBranch64:
                    decoded.Immediate = instruction.NearBranch64;
                    break;
            }
        }
        if (instruction.HasRepPrefix)
        {
            decoded.Flags |= OperandFlags.Rep;
        }
        if (instruction.HasRepnePrefix)
        {
            decoded.Flags |= OperandFlags.Repne;
        }
    }

    private static void FillMemory(in Instruction instruction, ref DecodedInstruction decoded)
    {
        decoded.Segment = SegmentSlot(instruction.MemorySegment);
        if (instruction.IsIPRelativeMemoryOperand)
        {
            decoded.Base = SoftwareCpu.BlockRipRegister;
            decoded.Displacement = (long)instruction.IPRelativeMemoryAddress;
            if (instruction.MemoryBase == Register.EIP)
            {
                decoded.Flags |= OperandFlags.AddressSize32;
            }
            return;
        }
        Register baseRegister = instruction.MemoryBase;
        Register indexRegister = instruction.MemoryIndex;
        decoded.Base = baseRegister == Register.None ? Zero : RegisterIndex(baseRegister);
        decoded.Index = indexRegister == Register.None ? Zero : RegisterIndex(indexRegister);
        decoded.Scale = (byte)BitOperations.Log2((uint)instruction.MemoryIndexScale);
        decoded.Displacement = (long)instruction.MemoryDisplacement64;
        if (baseRegister.IsGPR32() || indexRegister.IsGPR32())
        {
            decoded.Flags |= OperandFlags.AddressSize32;
        }
    }

    private static bool Op0IsRegister(in Instruction instruction) => instruction.Op0Kind == OpKind.Register;

    private static bool Op1IsRegister(in Instruction instruction) => instruction.OpCount > 1 && instruction.Op1Kind == OpKind.Register;

    private static bool Op1IsImmediate(in Instruction instruction) => instruction.OpCount > 1 && instruction.Op1Kind != OpKind.Register && instruction.Op1Kind != OpKind.Memory;

    private static Operation Alu(in Instruction instruction, ref DecodedInstruction decoded, AluKind kind)
    {
        if (Op0IsRegister(instruction) && Op1IsRegister(instruction))
        {
            return (Operation)((int)Operation.AddRR + (int)kind);
        }
        if (Op0IsRegister(instruction) && Op1IsImmediate(instruction))
        {
            decoded.Flags &= ~OperandFlags.Immediate1;
            return (Operation)((int)Operation.AddRI + (int)kind);
        }
        decoded.Aux = (byte)kind;
        return Operation.AluMemory;
    }

    private static Operation Shift(in Instruction instruction, ref DecodedInstruction decoded, ShiftKind kind)
    {
        decoded.Aux = (byte)kind;
        if (Op1IsRegister(instruction))
        {
            decoded.Flags |= OperandFlags.RegisterCount;
        }
        return Operation.Shift;
    }

    private static int ConditionCode(in Instruction instruction) => (int)instruction.ConditionCode - 1;

    /// <summary>Size of operand 1 (a register or the memory operand).</summary>
    private static byte SourceSize(in Instruction instruction) => (byte)(instruction.Op1Kind == OpKind.Register
        ? instruction.Op1Register.GetSize()
        : instruction.MemorySize.GetSize());

    private static Operation StringOperation(in Instruction instruction, ref DecodedInstruction decoded, Operation op, bool compares)
    {
        decoded.Size = (byte)instruction.MemorySize.GetSize();
        decoded.Segment = SegmentSlot(instruction.MemorySegment);
        for (int i = 0; i < instruction.OpCount; i++)
        {
            if (instruction.GetOpKind(i) is OpKind.MemorySegESI or OpKind.MemoryESEDI)
            {
                decoded.Flags |= OperandFlags.AddressSize32;
            }
        }
        if (!compares && (decoded.Flags & OperandFlags.Repne) != 0)
        {
            // F2 on a non-comparing string instruction repeats it like F3.
            decoded.Flags = (decoded.Flags & ~OperandFlags.Repne) | OperandFlags.Rep;
        }
        return op;
    }

    private static Operation Map(in Instruction instruction, ref DecodedInstruction decoded)
    {
        switch (instruction.Code)
        {
            case Code.Movsb_m8_m8: case Code.Movsw_m16_m16: case Code.Movsd_m32_m32: case Code.Movsq_m64_m64:
                return StringOperation(instruction, ref decoded, Operation.Movs, false);
            case Code.Cmpsb_m8_m8: case Code.Cmpsw_m16_m16: case Code.Cmpsd_m32_m32: case Code.Cmpsq_m64_m64:
                return StringOperation(instruction, ref decoded, Operation.Cmps, true);
            case Code.Stosb_m8_AL: case Code.Stosw_m16_AX: case Code.Stosd_m32_EAX: case Code.Stosq_m64_RAX:
                return StringOperation(instruction, ref decoded, Operation.Stos, false);
            case Code.Lodsb_AL_m8: case Code.Lodsw_AX_m16: case Code.Lodsd_EAX_m32: case Code.Lodsq_RAX_m64:
                return StringOperation(instruction, ref decoded, Operation.Lods, false);
            case Code.Scasb_AL_m8: case Code.Scasw_AX_m16: case Code.Scasd_EAX_m32: case Code.Scasq_RAX_m64:
                return StringOperation(instruction, ref decoded, Operation.Scas, true);
            case Code.Insb_m8_DX: case Code.Insw_m16_DX: case Code.Insd_m32_DX:
                return StringOperation(instruction, ref decoded, Operation.Ins, false);
            case Code.Outsb_DX_m8: case Code.Outsw_DX_m16: case Code.Outsd_DX_m32:
                return StringOperation(instruction, ref decoded, Operation.Outs, false);
            case Code.Mov_r64_cr:
                decoded.Aux = (byte)(instruction.Op1Register - Register.CR0);
                return Operation.MovFromCr;
            case Code.Mov_cr_r64:
                decoded.Aux = (byte)(instruction.Op0Register - Register.CR0);
                decoded.Size = 8;
                return Operation.MovToCr;
            case Code.Mov_r64_dr: // debug registers share MOV CR's form, Aux from SoftwareCpu.DebugRegisterAux
                decoded.Aux = (byte)(SoftwareCpu.DebugRegisterAux + (instruction.Op1Register - Register.DR0));
                return Operation.MovFromCr;
            case Code.Mov_dr_r64:
                decoded.Aux = (byte)(SoftwareCpu.DebugRegisterAux + (instruction.Op0Register - Register.DR0));
                decoded.Size = 8;
                return Operation.MovToCr;
            case Code.Mov_Sreg_r32m16:
            case Code.Mov_Sreg_r64m16:
            case Code.Mov_Sreg_rm16:
                decoded.Aux = (byte)(instruction.Op0Register - Register.ES);
                decoded.Size = 2;
                return Operation.LoadSegment;
            case Code.Mov_r32m16_Sreg:
            case Code.Mov_r64m16_Sreg:
            case Code.Mov_rm16_Sreg:
                decoded.Aux = (byte)(instruction.Op1Register - Register.ES);
                if ((decoded.Flags & OperandFlags.Memory0) != 0)
                {
                    decoded.Size = 2;
                }
                return Operation.StoreSegment;
            case Code.Pushq_FS: case Code.Pushq_GS:
                decoded.Aux = (byte)(instruction.Op0Register - Register.ES);
                return Operation.PushSegment;
            case Code.Popq_FS: case Code.Popq_GS:
                decoded.Aux = (byte)(instruction.Op0Register - Register.ES);
                return Operation.PopSegment;
            case Code.Pushfq: return Operation.Pushf;
            case Code.Popfq: return Operation.Popf;
            case Code.Leaveq: return Operation.Leave;
            case Code.Enterq_imm16_imm8: return Operation.Enter;
            case Code.Retnq:
                decoded.Immediate = 0;
                return Operation.Ret;
            case Code.Retnq_imm16: return Operation.Ret;
            case Code.Iretq:
                decoded.Size = 8;
                return Operation.Iret;
            case Code.Iretd:
                decoded.Size = 4;
                return Operation.Iret;
            case Code.Sysretq:
                decoded.Size = 8;
                return Operation.Sysret;
            case Code.Sysretd:
                decoded.Size = 4;
                return Operation.Sysret;
            case Code.Loop_rel8_64_ECX: case Code.Loope_rel8_64_ECX: case Code.Loopne_rel8_64_ECX: case Code.Jecxz_rel8_64:
                decoded.Flags |= OperandFlags.AddressSize32;
                break;
        }

        if (instruction.OpCount > 0 && instruction.Op0Kind is OpKind.NearBranch16 or OpKind.NearBranch32 or OpKind.FarBranch16 or OpKind.FarBranch32)
        {
            return Operation.NotImplemented;
        }

        if (instruction.Code.IsJccShortOrNear())
        {
            decoded.Aux = (byte)ConditionCode(instruction);
            return Operation.Jcc;
        }

        switch (instruction.Mnemonic)
        {
            case Mnemonic.Add: return Alu(instruction, ref decoded, AluKind.Add);
            case Mnemonic.Or: return Alu(instruction, ref decoded, AluKind.Or);
            case Mnemonic.Adc: return Alu(instruction, ref decoded, AluKind.Adc);
            case Mnemonic.Sbb: return Alu(instruction, ref decoded, AluKind.Sbb);
            case Mnemonic.And: return Alu(instruction, ref decoded, AluKind.And);
            case Mnemonic.Sub: return Alu(instruction, ref decoded, AluKind.Sub);
            case Mnemonic.Xor: return Alu(instruction, ref decoded, AluKind.Xor);
            case Mnemonic.Cmp: return Alu(instruction, ref decoded, AluKind.Cmp);
            case Mnemonic.Test:
                if (Op0IsRegister(instruction) && Op1IsRegister(instruction))
                {
                    return Operation.TestRR;
                }
                if (Op0IsRegister(instruction))
                {
                    decoded.Flags &= ~OperandFlags.Immediate1;
                    return Operation.TestRI;
                }
                return Operation.TestMemory;
            case Mnemonic.Mov:
                if (instruction.Op0Kind == OpKind.Register && !instruction.Op0Register.IsGPR() ||
                    instruction.Op1Kind == OpKind.Register && !instruction.Op1Register.IsGPR())
                {
                    return Operation.NotImplemented;
                }
                if (Op0IsRegister(instruction))
                {
                    return Op1IsRegister(instruction) ? Operation.MovRR
                        : instruction.Op1Kind == OpKind.Memory ? Operation.MovRM
                        : Operation.MovRI;
                }
                return Op1IsRegister(instruction) ? Operation.MovMR : Operation.MovMI;
            case Mnemonic.Movzx:
                decoded.Aux = SourceSize(instruction);
                return Op1IsRegister(instruction) ? Operation.MovzxRR : Operation.MovzxRM;
            case Mnemonic.Movsx:
            case Mnemonic.Movsxd:
                decoded.Aux = SourceSize(instruction);
                return Op1IsRegister(instruction) ? Operation.MovsxRR : Operation.MovsxRM;
            case Mnemonic.Lea:
                decoded.Segment = SoftwareCpu.FlatSegmentSlot;
                decoded.Flags &= ~OperandFlags.Memory1;
                return Operation.Lea;
            case Mnemonic.Push:
                decoded.Size = (byte)-instruction.StackPointerIncrement;
                if (decoded.Size != 8)
                {
                    return Operation.NotImplemented;
                }
                return instruction.Op0Kind switch
                {
                    OpKind.Register => Operation.PushR,
                    OpKind.Memory => Operation.PushM,
                    _ => Operation.PushI,
                };
            case Mnemonic.Pop:
                decoded.Size = (byte)instruction.StackPointerIncrement;
                if (decoded.Size != 8)
                {
                    return Operation.NotImplemented;
                }
                return Op0IsRegister(instruction) ? Operation.PopR : Operation.PopM;
            case Mnemonic.Inc:
                return Op0IsRegister(instruction) ? Operation.IncR : Operation.IncM;
            case Mnemonic.Dec:
                return Op0IsRegister(instruction) ? Operation.DecR : Operation.DecM;
            case Mnemonic.Neg: return Operation.Neg;
            case Mnemonic.Not: return Operation.Not;
            case Mnemonic.Xchg:
                if (Op0IsRegister(instruction) && Op1IsRegister(instruction))
                {
                    return Operation.XchgRR;
                }
                if (Op1IsRegister(instruction))
                {
                    decoded.Reg = decoded.Reg2;
                    decoded.Size = (byte)instruction.Op1Register.GetSize();
                }
                return Operation.XchgRM;
            case Mnemonic.Cmpxchg: return Operation.Cmpxchg;
            case Mnemonic.Xadd: return Operation.Xadd;
            case Mnemonic.Cmpxchg8b:
                decoded.Size = 8;
                return Operation.Cmpxchg8b;
            case Mnemonic.Cmpxchg16b:
                decoded.Size = 16;
                return Operation.Cmpxchg16b;
            case Mnemonic.Cbw:
                decoded.Size = 2;
                return Operation.ConvertAccumulator;
            case Mnemonic.Cwde:
                decoded.Size = 4;
                return Operation.ConvertAccumulator;
            case Mnemonic.Cdqe:
                decoded.Size = 8;
                return Operation.ConvertAccumulator;
            case Mnemonic.Cwd:
                decoded.Size = 2;
                return Operation.ConvertAccumulatorToDx;
            case Mnemonic.Cdq:
                decoded.Size = 4;
                return Operation.ConvertAccumulatorToDx;
            case Mnemonic.Cqo:
                decoded.Size = 8;
                return Operation.ConvertAccumulatorToDx;
            case Mnemonic.Seto: case Mnemonic.Setno: case Mnemonic.Setb: case Mnemonic.Setae: case Mnemonic.Sete: case Mnemonic.Setne: case Mnemonic.Setbe: case Mnemonic.Seta: case Mnemonic.Sets: case Mnemonic.Setns: case Mnemonic.Setp: case Mnemonic.Setnp: case Mnemonic.Setl: case Mnemonic.Setge: case Mnemonic.Setle: case Mnemonic.Setg:
                decoded.Aux = (byte)ConditionCode(instruction);
                decoded.Size = 1;
                return Operation.Setcc;
            case Mnemonic.Cmovo: case Mnemonic.Cmovno: case Mnemonic.Cmovb: case Mnemonic.Cmovae: case Mnemonic.Cmove: case Mnemonic.Cmovne: case Mnemonic.Cmovbe: case Mnemonic.Cmova: case Mnemonic.Cmovs: case Mnemonic.Cmovns: case Mnemonic.Cmovp: case Mnemonic.Cmovnp: case Mnemonic.Cmovl: case Mnemonic.Cmovge: case Mnemonic.Cmovle: case Mnemonic.Cmovg:
                decoded.Aux = (byte)ConditionCode(instruction);
                return Op1IsRegister(instruction) ? Operation.CmovRR : Operation.CmovRM;
            case Mnemonic.Bswap: return Operation.Bswap;
            case Mnemonic.Xlatb:
                decoded.Index = Zero;
                decoded.Size = 1;
                return Operation.Xlat;
            case Mnemonic.Rol: return Shift(instruction, ref decoded, ShiftKind.Rol);
            case Mnemonic.Ror: return Shift(instruction, ref decoded, ShiftKind.Ror);
            case Mnemonic.Rcl: return Shift(instruction, ref decoded, ShiftKind.Rcl);
            case Mnemonic.Rcr: return Shift(instruction, ref decoded, ShiftKind.Rcr);
            case Mnemonic.Shl: return Shift(instruction, ref decoded, ShiftKind.Shl);
            case Mnemonic.Sal: return Shift(instruction, ref decoded, ShiftKind.Shl);
            case Mnemonic.Shr: return Shift(instruction, ref decoded, ShiftKind.Shr);
            case Mnemonic.Sar: return Shift(instruction, ref decoded, ShiftKind.Sar);
            case Mnemonic.Shld: return Operation.Shld;
            case Mnemonic.Shrd: return Operation.Shrd;
            case Mnemonic.Mul: return Operation.Mul;
            case Mnemonic.Imul:
                return instruction.OpCount switch
                {
                    1 => Operation.Imul1,
                    2 => Operation.Imul2,
                    _ => Operation.Imul3,
                };
            case Mnemonic.Div: return Operation.Div;
            case Mnemonic.Idiv: return Operation.Idiv;
            case Mnemonic.Bt: decoded.Aux = 0; return Operation.BitTest;
            case Mnemonic.Bts: decoded.Aux = 1; return Operation.BitTest;
            case Mnemonic.Btr: decoded.Aux = 2; return Operation.BitTest;
            case Mnemonic.Btc: decoded.Aux = 3; return Operation.BitTest;
            case Mnemonic.Bsf: return Operation.Bsf;
            case Mnemonic.Bsr: return Operation.Bsr;
            case Mnemonic.Tzcnt: return Operation.Tzcnt;
            case Mnemonic.Lzcnt: return Operation.Lzcnt;
            case Mnemonic.Popcnt: return Operation.Popcnt;
            case Mnemonic.Jmp:
                return instruction.Op0Kind switch
                {
                    OpKind.NearBranch64 => Operation.Jmp,
                    OpKind.Register => Operation.JmpR,
                    OpKind.Memory when instruction.Code == Code.Jmp_rm64 => Operation.JmpM,
                    _ => Operation.NotImplemented,
                };
            case Mnemonic.Call:
                return instruction.Op0Kind switch
                {
                    OpKind.NearBranch64 => Operation.Call,
                    OpKind.Register => Operation.CallR,
                    OpKind.Memory when instruction.Code == Code.Call_rm64 => Operation.CallM,
                    _ => Operation.NotImplemented,
                };
            case Mnemonic.Loop: return Operation.Loop;
            case Mnemonic.Loope: return Operation.Loope;
            case Mnemonic.Loopne: return Operation.Loopne;
            case Mnemonic.Jrcxz:
            case Mnemonic.Jecxz:
                return Operation.Jrcxz;
            case Mnemonic.In:
                if (instruction.Op1Kind == OpKind.Register)
                {
                    decoded.Flags |= OperandFlags.RegisterCount;
                }
                decoded.Flags &= ~OperandFlags.Immediate1;
                return Operation.In;
            case Mnemonic.Out:
                decoded.Size = (byte)instruction.Op1Register.GetSize();
                if (instruction.Op0Kind == OpKind.Register)
                {
                    decoded.Flags |= OperandFlags.RegisterCount;
                }
                decoded.Reg2 = RegisterIndex(instruction.Op1Register);
                return Operation.Out;
            case Mnemonic.Cpuid: return Operation.Cpuid;
            case Mnemonic.Rdtsc: return Operation.Rdtsc;
            case Mnemonic.Rdtscp: return Operation.Rdtscp;
            case Mnemonic.Rdmsr: return Operation.Rdmsr;
            case Mnemonic.Wrmsr: return Operation.Wrmsr;
            case Mnemonic.Lgdt: return Operation.Lgdt;
            case Mnemonic.Lidt: return Operation.Lidt;
            case Mnemonic.Sgdt: return Operation.Sgdt;
            case Mnemonic.Sidt: return Operation.Sidt;
            case Mnemonic.Ltr: return Operation.Ltr;
            case Mnemonic.Str: return Operation.Str;
            case Mnemonic.Lldt: return Operation.Lldt;
            case Mnemonic.Sldt: return Operation.Sldt;
            case Mnemonic.Swapgs: return Operation.Swapgs;
            case Mnemonic.Syscall: return Operation.Syscall;
            case Mnemonic.Hlt: return Operation.Hlt;
            case Mnemonic.Cli: return Operation.Cli;
            case Mnemonic.Sti: return Operation.Sti;
            case Mnemonic.Lahf: return Operation.Lahf;
            case Mnemonic.Sahf: return Operation.Sahf;
            case Mnemonic.Clc: return Operation.Clc;
            case Mnemonic.Stc: return Operation.Stc;
            case Mnemonic.Cmc: return Operation.Cmc;
            case Mnemonic.Cld: return Operation.Cld;
            case Mnemonic.Std: return Operation.Std;
            case Mnemonic.Int: return Operation.IntN;
            case Mnemonic.Int3: return Operation.Int3;
            case Mnemonic.Int1: return Operation.Int1;
            case Mnemonic.Ud0:
            case Mnemonic.Ud1:
            case Mnemonic.Ud2:
                return Operation.Ud;
            case Mnemonic.Invlpg: return Operation.Invlpg;
            case Mnemonic.Wbinvd:
            case Mnemonic.Invd:
                return Operation.Wbinvd;
            case Mnemonic.Clts: return Operation.Clts;
            case Mnemonic.Nop:
            case Mnemonic.Pause:
            case Mnemonic.Lfence:
            case Mnemonic.Mfence:
            case Mnemonic.Sfence:
            case Mnemonic.Prefetchnta:
            case Mnemonic.Prefetcht0:
            case Mnemonic.Prefetcht1:
            case Mnemonic.Prefetcht2:
            case Mnemonic.Prefetchw:
            case Mnemonic.Endbr64:
                return Operation.Nop;
            default:
                return SseTranslator.Translate(in instruction, ref decoded);
        }
    }
}
