using Iced.Intel;

namespace Turnstone.Cpu.Internal;

/// <summary>
/// Adjusts what <see cref="InstructionTranslator"/> made of an instruction to the code size it was
/// decoded for. In 64-bit code only far transfers and far-pointer loads change. In 16- and 32-bit
/// code (real mode, protected mode, compatibility mode) memory operands use their segment's slot
/// (ES, CS, SS, DS: the base is added outside 64-bit mode) and wrap at their address size, and
/// the branches and stack operations become the forms that wrap EIP/IP and use SS with ESP or SP.
/// </summary>
internal static class ModeTranslator
{
    public static void Adjust(in Instruction instruction, ref DecodedInstruction decoded, int bitness)
    {
        if (instruction.IsInvalid)
        {
            return;
        }
        if (bitness != 64)
        {
            AdjustAddressing(in instruction, ref decoded);
            if (AdjustLegacy(in instruction, ref decoded))
            {
                return;
            }
        }
        else
        {
            Adjust64(in instruction, ref decoded);
        }
        AdjustFar(in instruction, ref decoded);
    }

    /// <summary>64-bit code's 16-bit stack forms (66-prefixed PUSH/POP/PUSHF/POPF) and ENTER with a
    /// nesting level, which the 64-bit translator leaves to these general forms.</summary>
    private static void Adjust64(in Instruction instruction, ref DecodedInstruction decoded)
    {
        switch (instruction.Code)
        {
            case Code.Pushfw:
                decoded.Size = 2;
                decoded.Op = Operation.StackPushf;
                return;
            case Code.Popfw:
                decoded.Size = 2;
                decoded.Op = Operation.StackPopf;
                return;
            case Code.Enterq_imm16_imm8 when (instruction.Immediate8_2nd & 31) != 0:
                decoded.Size = 8;
                decoded.Immediate = instruction.Immediate16;
                decoded.Aux = instruction.Immediate8_2nd;
                decoded.Op = Operation.StackEnter;
                return;
        }
        if (instruction.Mnemonic is Mnemonic.Push or Mnemonic.Pop && Math.Abs(instruction.StackPointerIncrement) == 2)
        {
            AdjustLegacy(in instruction, ref decoded);
        }
    }

    /// <summary>Whether a mode-specific operation ends its block (it branches or changes what the
    /// next instructions mean).</summary>
    public static bool EndsBlock(Operation op) => op is not (Operation.StackPush or Operation.StackPop or
        Operation.StackPushSegment or Operation.StackPushf or Operation.StackPopf or Operation.Pusha or Operation.Popa or Operation.StackEnter or
        Operation.StackLeave or Operation.Bound or Operation.Arpl or Operation.NearJcc or Operation.NearLoop or Operation.NearJcxz or
        Operation.Lar or Operation.Lsl or Operation.Verr or Operation.Verw or
        Operation.Daa or Operation.Das or Operation.Aaa or Operation.Aas or Operation.Aam or Operation.Aad or Operation.Salc);

    private static void AdjustAddressing(in Instruction instruction, ref DecodedInstruction decoded)
    {
        bool hasMemory = false;
        int addressSize = 0;
        for (int i = 0; i < instruction.OpCount; i++)
        {
            switch (instruction.GetOpKind(i))
            {
                case OpKind.Memory:
                    hasMemory = true;
                    Register baseRegister = instruction.MemoryBase, indexRegister = instruction.MemoryIndex;
                    addressSize = baseRegister != Register.None ? baseRegister.GetSize()
                        : indexRegister != Register.None ? indexRegister.GetSize()
                        : instruction.MemoryDisplSize;
                    break;
                case OpKind.MemorySegSI: case OpKind.MemorySegDI: case OpKind.MemoryESDI:
                    hasMemory = true;
                    addressSize = 2;
                    break;
                case OpKind.MemorySegESI: case OpKind.MemorySegEDI: case OpKind.MemoryESEDI:
                    hasMemory = true;
                    addressSize = 4;
                    break;
            }
        }
        if (!hasMemory)
        {
            return;
        }
        decoded.Flags &= ~(OperandFlags.AddressSize32 | OperandFlags.AddressSize16);
        decoded.Flags |= addressSize == 2 ? OperandFlags.AddressSize16 : OperandFlags.AddressSize32;
        if (instruction.Mnemonic != Mnemonic.Lea && instruction.MemorySegment is >= Register.ES and <= Register.GS)
        {
            decoded.Segment = (byte)(instruction.MemorySegment - Register.ES);
        }
    }

    private static int BranchSize(in Instruction instruction) =>
        instruction.Op0Kind == OpKind.NearBranch16 ? 2 : 4;

    /// <summary>The displacement from the next instruction to the branch target, sign-extended
    /// (the decoder ran with IP = the instruction's offset in the block).</summary>
    private static ulong BranchDisplacement(in Instruction instruction)
    {
        ulong next = instruction.NextIP;
        return instruction.Op0Kind == OpKind.NearBranch16
            ? (ulong)(long)(short)(ushort)(instruction.NearBranch16 - (ushort)next)
            : (ulong)(long)(int)(instruction.NearBranch32 - (uint)next);
    }

    private static int CounterSize(Code code) => code switch
    {
        Code.Loop_rel8_16_CX or Code.Loop_rel8_32_CX or Code.Loope_rel8_16_CX or Code.Loope_rel8_32_CX or
        Code.Loopne_rel8_16_CX or Code.Loopne_rel8_32_CX or Code.Jcxz_rel8_16 or Code.Jcxz_rel8_32 => 2,
        _ => 4,
    };

    /// <summary>The 16/32-bit forms; false when the instruction needs nothing beyond the far check.</summary>
    private static bool AdjustLegacy(in Instruction instruction, ref DecodedInstruction decoded)
    {
        Code code = instruction.Code;
        switch (code)
        {
            case Code.Mov_r32_cr:
                decoded.Aux = (byte)(instruction.Op1Register - Register.CR0);
                decoded.Op = Operation.MovFromCr;
                return true;
            case Code.Mov_cr_r32:
                decoded.Aux = (byte)(instruction.Op0Register - Register.CR0);
                decoded.Size = 4;
                decoded.Op = Operation.MovToCr;
                return true;
            case Code.Mov_r32_dr:
                decoded.Aux = (byte)(SoftwareCpu.DebugRegisterAux + (instruction.Op1Register - Register.DR0));
                decoded.Op = Operation.MovFromCr;
                return true;
            case Code.Mov_dr_r32:
                decoded.Aux = (byte)(SoftwareCpu.DebugRegisterAux + (instruction.Op0Register - Register.DR0));
                decoded.Size = 4;
                decoded.Op = Operation.MovToCr;
                return true;
            case Code.Iretw: case Code.Iretd:
                decoded.Size = (byte)(code == Code.Iretw ? 2 : 4);
                decoded.Op = Operation.Iret;
                return true;
            case Code.Pushaw: case Code.Pushad:
                decoded.Size = (byte)(code == Code.Pushaw ? 2 : 4);
                decoded.Op = Operation.Pusha;
                return true;
            case Code.Popaw: case Code.Popad:
                decoded.Size = (byte)(code == Code.Popaw ? 2 : 4);
                decoded.Op = Operation.Popa;
                return true;
            case Code.Pushfw: case Code.Pushfd:
                decoded.Size = (byte)(code == Code.Pushfw ? 2 : 4);
                decoded.Op = Operation.StackPushf;
                return true;
            case Code.Popfw: case Code.Popfd:
                decoded.Size = (byte)(code == Code.Popfw ? 2 : 4);
                decoded.Op = Operation.StackPopf;
                return true;
            case Code.Enterw_imm16_imm8: case Code.Enterd_imm16_imm8:
                decoded.Size = (byte)(code == Code.Enterw_imm16_imm8 ? 2 : 4);
                decoded.Immediate = instruction.Immediate16;
                decoded.Aux = instruction.Immediate8_2nd;
                decoded.Op = Operation.StackEnter;
                return true;
            case Code.Leavew: case Code.Leaved:
                decoded.Size = (byte)(code == Code.Leavew ? 2 : 4);
                decoded.Op = Operation.StackLeave;
                return true;
            case Code.Into:
                decoded.Op = Operation.Into;
                return true;
            case Code.Daa: decoded.Op = Operation.Daa; return true;
            case Code.Das: decoded.Op = Operation.Das; return true;
            case Code.Aaa: decoded.Op = Operation.Aaa; return true;
            case Code.Aas: decoded.Op = Operation.Aas; return true;
            case Code.Aam_imm8: decoded.Op = Operation.Aam; return true;
            case Code.Aad_imm8: decoded.Op = Operation.Aad; return true;
            case Code.Salc: decoded.Op = Operation.Salc; return true;
            case Code.Bound_r16_m1616: case Code.Bound_r32_m3232:
                decoded.Size = (byte)(code == Code.Bound_r16_m1616 ? 2 : 4);
                decoded.Op = Operation.Bound;
                return true;
            case Code.Arpl_rm16_r16: case Code.Arpl_r32m16_r32:
                decoded.Size = 2;
                decoded.Op = Operation.Arpl;
                return true;
        }
        if (instruction.Code.IsJccShortOrNear())
        {
            decoded.Aux = (byte)((int)instruction.ConditionCode - 1);
            decoded.Size = (byte)BranchSize(instruction);
            decoded.Immediate = BranchDisplacement(instruction);
            decoded.Op = Operation.NearJcc;
            return true;
        }
        switch (instruction.Mnemonic)
        {
            case Mnemonic.Jmp:
            case Mnemonic.Call:
            {
                bool call = instruction.Mnemonic == Mnemonic.Call;
                switch (instruction.Op0Kind)
                {
                    case OpKind.NearBranch16:
                    case OpKind.NearBranch32:
                        decoded.Size = (byte)BranchSize(instruction);
                        decoded.Immediate = BranchDisplacement(instruction);
                        decoded.Op = call ? Operation.NearCall : Operation.NearJmp;
                        return true;
                    case OpKind.FarBranch16:
                    case OpKind.FarBranch32:
                        decoded.Size = (byte)(instruction.Op0Kind == OpKind.FarBranch16 ? 2 : 4);
                        decoded.Immediate = instruction.Op0Kind == OpKind.FarBranch16 ? instruction.FarBranch16 : instruction.FarBranch32;
                        decoded.Displacement = instruction.FarBranchSelector;
                        decoded.Op = call ? Operation.FarCall : Operation.FarJmp;
                        return true;
                    case OpKind.Register:
                        decoded.Op = call ? Operation.NearCallIndirect : Operation.NearJmpIndirect;
                        return true;
                    case OpKind.Memory when instruction.Code is Code.Jmp_rm16 or Code.Jmp_rm32 or Code.Call_rm16 or Code.Call_rm32:
                        decoded.Op = call ? Operation.NearCallIndirect : Operation.NearJmpIndirect;
                        return true;
                }
                return false;
            }
            case Mnemonic.Ret:
                decoded.Size = (byte)(code is Code.Retnw or Code.Retnw_imm16 ? 2 : 4);
                decoded.Immediate = code is Code.Retnw_imm16 or Code.Retnd_imm16 ? instruction.Immediate16 : 0UL;
                decoded.Op = Operation.NearRet;
                return true;
            case Mnemonic.Loop: case Mnemonic.Loope: case Mnemonic.Loopne:
                decoded.Aux = (byte)(instruction.Mnemonic == Mnemonic.Loop ? 0 : instruction.Mnemonic == Mnemonic.Loope ? 1 : 2);
                SetCounterSize(ref decoded, CounterSize(code));
                decoded.Size = (byte)BranchSize(instruction);
                decoded.Immediate = BranchDisplacement(instruction);
                decoded.Op = Operation.NearLoop;
                return true;
            case Mnemonic.Jcxz: case Mnemonic.Jecxz:
                SetCounterSize(ref decoded, instruction.Mnemonic == Mnemonic.Jcxz ? 2 : 4);
                decoded.Size = (byte)BranchSize(instruction);
                decoded.Immediate = BranchDisplacement(instruction);
                decoded.Op = Operation.NearJcxz;
                return true;
            case Mnemonic.Push:
                decoded.Size = (byte)-instruction.StackPointerIncrement;
                if (instruction.Op0Kind == OpKind.Register && instruction.Op0Register.IsSegmentRegister())
                {
                    decoded.Aux = (byte)(instruction.Op0Register - Register.ES);
                    decoded.Op = Operation.StackPushSegment;
                    return true;
                }
                decoded.Aux = instruction.Op0Kind switch
                {
                    OpKind.Register => 0,
                    OpKind.Memory => 2,
                    _ => 1,
                };
                decoded.Op = Operation.StackPush;
                return true;
            case Mnemonic.Pop:
                decoded.Size = (byte)instruction.StackPointerIncrement;
                if (instruction.Op0Kind == OpKind.Register && instruction.Op0Register.IsSegmentRegister())
                {
                    decoded.Aux = (byte)(instruction.Op0Register - Register.ES);
                    decoded.Op = Operation.StackPopSegment;
                    return true;
                }
                decoded.Op = Operation.StackPop;
                return true;
        }
        return false;
    }

    private static void SetCounterSize(ref DecodedInstruction decoded, int size)
    {
        decoded.Flags &= ~(OperandFlags.AddressSize32 | OperandFlags.AddressSize16);
        decoded.Flags |= size == 2 ? OperandFlags.AddressSize16 : OperandFlags.AddressSize32;
    }

    /// <summary>Far JMP/CALL through memory, far RET, LDS/LES/LSS/LFS/LGS, LAR/LSL/VERR/VERW and
    /// SYSENTER/SYSEXIT, in every mode.</summary>
    private static void AdjustFar(in Instruction instruction, ref DecodedInstruction decoded)
    {
        switch (instruction.Mnemonic)
        {
            case Mnemonic.Lar:
            case Mnemonic.Lsl:
                decoded.Size = (byte)instruction.Op0Register.GetSize();
                decoded.Op = instruction.Mnemonic == Mnemonic.Lar ? Operation.Lar : Operation.Lsl;
                return;
            case Mnemonic.Verr:
            case Mnemonic.Verw:
                decoded.Size = 2;
                decoded.Op = instruction.Mnemonic == Mnemonic.Verr ? Operation.Verr : Operation.Verw;
                return;
            case Mnemonic.Sysenter:
                decoded.Op = Operation.Sysenter;
                return;
            case Mnemonic.Sysexit:
                decoded.Size = (byte)(instruction.Code == Code.Sysexitq ? 8 : 4);
                decoded.Op = Operation.Sysexit;
                return;
        }
        switch (instruction.Code)
        {
            case Code.Jmp_m1616: case Code.Jmp_m1632: case Code.Jmp_m1664:
            case Code.Call_m1616: case Code.Call_m1632: case Code.Call_m1664:
                decoded.Size = (byte)(instruction.MemorySize.GetSize() - 2);
                decoded.Op = instruction.Mnemonic == Mnemonic.Call ? Operation.FarCallIndirect : Operation.FarJmpIndirect;
                break;
            case Code.Retfw: case Code.Retfd: case Code.Retfq:
            case Code.Retfw_imm16: case Code.Retfd_imm16: case Code.Retfq_imm16:
                decoded.Size = (byte)(instruction.Code is Code.Retfw or Code.Retfw_imm16 ? 2 : instruction.Code is Code.Retfd or Code.Retfd_imm16 ? 4 : 8);
                decoded.Immediate = instruction.Code is Code.Retfw_imm16 or Code.Retfd_imm16 or Code.Retfq_imm16 ? instruction.Immediate16 : 0UL;
                decoded.Op = Operation.FarRet;
                break;
            case Code.Lds_r16_m1616: case Code.Lds_r32_m1632:
            case Code.Les_r16_m1616: case Code.Les_r32_m1632:
            case Code.Lss_r16_m1616: case Code.Lss_r32_m1632: case Code.Lss_r64_m1664:
            case Code.Lfs_r16_m1616: case Code.Lfs_r32_m1632: case Code.Lfs_r64_m1664:
            case Code.Lgs_r16_m1616: case Code.Lgs_r32_m1632: case Code.Lgs_r64_m1664:
                decoded.Size = (byte)instruction.Op0Register.GetSize();
                decoded.Aux = (byte)(instruction.Mnemonic switch
                {
                    Mnemonic.Les => SegmentName.Es,
                    Mnemonic.Lss => SegmentName.Ss,
                    Mnemonic.Lds => SegmentName.Ds,
                    Mnemonic.Lfs => SegmentName.Fs,
                    _ => SegmentName.Gs,
                });
                decoded.Op = Operation.LoadFarPointer;
                break;
        }
    }
}
