using System.Runtime.Intrinsics.X86;
using Iced.Intel;

namespace Turnstone.Cpu.Internal;

/// <summary>
/// The SSE/SSE2 subset the engine runs in C#: the 128-bit moves and the packed integer and logic
/// operations gcc -O2 emits for integer code (the CRC-32 sample component's table set-up, for
/// one), and what glibc's SSE2 string functions run most (strlen, memchr, memset: PMOVMSKB,
/// PMINUB, the unpacks and PSHUFD that broadcast a byte, MOVD/MOVQ, MOVLPD/MOVHPD, the byte
/// shifts). In a Debian 12 boot those ran about 27 million times through the host thunk, 10.5
/// million of them PMOVMSKB. Everything else (MMX forms, floating point, the other shuffles,
/// conversions, x87) goes to <see cref="FloatingPointTranslator"/>. Legacy encodings only: VEX
/// (AVX) forms stay not implemented.
/// </summary>
internal static class SseTranslator
{
    private const byte Aligned = 1;

    /// <summary>MOVD/MOVQ's Immediate: the XMM register is the source (else the destination).</summary>
    public const ulong ScalarFromXmm = 1;
    /// <summary>MOVD/MOVQ's Immediate: the other operand is an XMM register too (MOVQ xmm, xmm).</summary>
    public const ulong ScalarOtherXmm = 2;

    public static Operation Translate(in Instruction instruction, ref DecodedInstruction decoded)
    {
        Operation fast = TranslateFast(in instruction, ref decoded);
        return fast == Operation.NotImplemented ? FloatingPointTranslator.Translate(in instruction, ref decoded) : fast;
    }

    private static Operation TranslateFast(in Instruction instruction, ref DecodedInstruction decoded)
    {
        if (instruction.Encoding != EncodingKind.Legacy)
        {
            return Operation.NotImplemented;
        }
        switch (instruction.Mnemonic)
        {
            case Mnemonic.Movdqa: case Mnemonic.Movaps: case Mnemonic.Movapd:
                return Move(in instruction, ref decoded, Aligned);
            case Mnemonic.Movdqu: case Mnemonic.Movups: case Mnemonic.Movupd:
                return Move(in instruction, ref decoded, 0);
            case Mnemonic.Pxor: case Mnemonic.Xorps: case Mnemonic.Xorpd: return Packed(in instruction, ref decoded, SseKind.Xor);
            case Mnemonic.Por: case Mnemonic.Orps: case Mnemonic.Orpd: return Packed(in instruction, ref decoded, SseKind.Or);
            case Mnemonic.Pand: case Mnemonic.Andps: case Mnemonic.Andpd: return Packed(in instruction, ref decoded, SseKind.And);
            case Mnemonic.Pandn: case Mnemonic.Andnps: case Mnemonic.Andnpd: return Packed(in instruction, ref decoded, SseKind.AndNot);
            case Mnemonic.Paddb: return Packed(in instruction, ref decoded, SseKind.AddBytes);
            case Mnemonic.Paddw: return Packed(in instruction, ref decoded, SseKind.AddWords);
            case Mnemonic.Paddd: return Packed(in instruction, ref decoded, SseKind.AddDwords);
            case Mnemonic.Paddq: return Packed(in instruction, ref decoded, SseKind.AddQwords);
            case Mnemonic.Psubb: return Packed(in instruction, ref decoded, SseKind.SubtractBytes);
            case Mnemonic.Psubw: return Packed(in instruction, ref decoded, SseKind.SubtractWords);
            case Mnemonic.Psubd: return Packed(in instruction, ref decoded, SseKind.SubtractDwords);
            case Mnemonic.Psubq: return Packed(in instruction, ref decoded, SseKind.SubtractQwords);
            case Mnemonic.Pcmpeqb: return Packed(in instruction, ref decoded, SseKind.CompareEqualBytes);
            case Mnemonic.Pcmpeqw: return Packed(in instruction, ref decoded, SseKind.CompareEqualWords);
            case Mnemonic.Pcmpeqd: return Packed(in instruction, ref decoded, SseKind.CompareEqualDwords);
            case Mnemonic.Punpcklbw: return Unpack(in instruction, ref decoded, SseKind.UnpackLowBytes);
            case Mnemonic.Punpcklwd: return Unpack(in instruction, ref decoded, SseKind.UnpackLowWords);
            case Mnemonic.Punpckldq: return Unpack(in instruction, ref decoded, SseKind.UnpackLowDwords);
            case Mnemonic.Punpcklqdq: return Unpack(in instruction, ref decoded, SseKind.UnpackLowQwords);
            case Mnemonic.Punpckhbw: return Unpack(in instruction, ref decoded, SseKind.UnpackHighBytes);
            case Mnemonic.Punpckhwd: return Unpack(in instruction, ref decoded, SseKind.UnpackHighWords);
            case Mnemonic.Punpckhdq: return Unpack(in instruction, ref decoded, SseKind.UnpackHighDwords);
            case Mnemonic.Punpckhqdq: return Unpack(in instruction, ref decoded, SseKind.UnpackHighQwords);
            case Mnemonic.Pminub: return Packed(in instruction, ref decoded, SseKind.MinUnsignedBytes);
            case Mnemonic.Pmaxub: return Packed(in instruction, ref decoded, SseKind.MaxUnsignedBytes);
            case Mnemonic.Pslldq: return ShiftImmediate(in instruction, ref decoded, SseKind.ShiftLeftBytes);
            case Mnemonic.Psrldq: return ShiftImmediate(in instruction, ref decoded, SseKind.ShiftRightBytes);
            case Mnemonic.Movd: return MoveScalar(in instruction, ref decoded, 4);
            case Mnemonic.Movq: return MoveScalar(in instruction, ref decoded, 8);
            case Mnemonic.Movlps: case Mnemonic.Movlpd: return MoveHalf(in instruction, ref decoded, 0);
            case Mnemonic.Movhps: case Mnemonic.Movhpd: return MoveHalf(in instruction, ref decoded, 1);
            case Mnemonic.Pmovmskb: return MoveMask(in instruction, ref decoded);
            case Mnemonic.Pshufd: return ShuffleDwords(in instruction, ref decoded);
            case Mnemonic.Psllw: return ShiftImmediate(in instruction, ref decoded, SseKind.ShiftLeftWords);
            case Mnemonic.Pslld: return ShiftImmediate(in instruction, ref decoded, SseKind.ShiftLeftDwords);
            case Mnemonic.Psllq: return ShiftImmediate(in instruction, ref decoded, SseKind.ShiftLeftQwords);
            case Mnemonic.Psrlw: return ShiftImmediate(in instruction, ref decoded, SseKind.ShiftRightWords);
            case Mnemonic.Psrld: return ShiftImmediate(in instruction, ref decoded, SseKind.ShiftRightDwords);
            case Mnemonic.Psrlq: return ShiftImmediate(in instruction, ref decoded, SseKind.ShiftRightQwords);
            case Mnemonic.Psraw: return ShiftImmediate(in instruction, ref decoded, SseKind.ShiftRightArithmeticWords);
            case Mnemonic.Psrad: return ShiftImmediate(in instruction, ref decoded, SseKind.ShiftRightArithmeticDwords);
            default:
                return Operation.NotImplemented;
        }
    }

    private static bool IsXmm(Register register) => register >= Register.XMM0 && register <= Register.XMM15;

    /// <summary>Reg and Reg2 become XMM numbers for the register operands; false for MMX forms.</summary>
    private static bool XmmOperands(in Instruction instruction, ref DecodedInstruction decoded)
    {
        if (instruction.Op0Kind == OpKind.Register)
        {
            if (!IsXmm(instruction.Op0Register))
            {
                return false;
            }
            decoded.Reg = (byte)(instruction.Op0Register - Register.XMM0);
        }
        if (instruction.OpCount > 1 && instruction.Op1Kind == OpKind.Register)
        {
            if (!IsXmm(instruction.Op1Register))
            {
                return false;
            }
            decoded.Reg2 = (byte)(instruction.Op1Register - Register.XMM0);
        }
        return true;
    }

    private static Operation Move(in Instruction instruction, ref DecodedInstruction decoded, byte aligned)
    {
        if (!XmmOperands(in instruction, ref decoded))
        {
            return Operation.NotImplemented;
        }
        decoded.Aux = aligned;
        return Operation.SseMove;
    }

    /// <summary>Legacy SSE packed operations with a memory source require it 16-byte aligned.</summary>
    private static Operation Packed(in Instruction instruction, ref DecodedInstruction decoded, SseKind kind)
    {
        if (instruction.OpCount != 2 || instruction.Op0Kind != OpKind.Register || !XmmOperands(in instruction, ref decoded))
        {
            return Operation.NotImplemented; // the MMX (64-bit) forms
        }
        decoded.Aux = (byte)kind;
        return Operation.SsePacked;
    }

    /// <summary>The unpacks are Sse2's own operations (no portable form): elsewhere they stay on the host path.</summary>
    private static Operation Unpack(in Instruction instruction, ref DecodedInstruction decoded, SseKind kind) =>
        Sse2.IsSupported ? Packed(in instruction, ref decoded, kind) : Operation.NotImplemented;

    /// <summary>
    /// MOVD/MOVQ between an XMM register's low 32 or 64 bits and a general register, memory or (MOVQ)
    /// another XMM register; an XMM destination has its upper bits cleared. The general register's
    /// index stays where the generic operand fill put it. MMX forms are left to the host.
    /// </summary>
    private static Operation MoveScalar(in Instruction instruction, ref DecodedInstruction decoded, byte size)
    {
        if (instruction.OpCount != 2 || instruction.MemorySize.GetSize() is not (0 or 4 or 8))
        {
            return Operation.NotImplemented;
        }
        bool destinationXmm = instruction.Op0Kind == OpKind.Register && IsXmm(instruction.Op0Register);
        bool sourceXmm = instruction.Op1Kind == OpKind.Register && IsXmm(instruction.Op1Register);
        if (!(destinationXmm || sourceXmm) || !IsXmmGeneralOrMemory(in instruction, 0) || !IsXmmGeneralOrMemory(in instruction, 1))
        {
            return Operation.NotImplemented;
        }
        ulong direction = destinationXmm ? 0 : ScalarFromXmm;
        if (destinationXmm && sourceXmm)
        {
            direction |= ScalarOtherXmm;
        }
        if (destinationXmm)
        {
            decoded.Reg = (byte)(instruction.Op0Register - Register.XMM0);
        }
        if (sourceXmm)
        {
            decoded.Reg2 = (byte)(instruction.Op1Register - Register.XMM0);
        }
        decoded.Aux = size;
        decoded.Immediate = direction;
        return Operation.SseMoveScalar;
    }

    private static bool IsXmmGeneralOrMemory(in Instruction instruction, int op) =>
        instruction.GetOpKind(op) == OpKind.Memory || instruction.GetOpRegister(op).IsGPR() || IsXmm(instruction.GetOpRegister(op));

    /// <summary>MOVLPS/MOVLPD/MOVHPS/MOVHPD: one 64-bit half from or to memory (the register forms are MOVHLPS/MOVLHPS).</summary>
    private static Operation MoveHalf(in Instruction instruction, ref DecodedInstruction decoded, byte half)
    {
        if (instruction.OpCount != 2 || !XmmOperands(in instruction, ref decoded) ||
            (instruction.Op0Kind != OpKind.Memory && instruction.Op1Kind != OpKind.Memory))
        {
            return Operation.NotImplemented;
        }
        decoded.Aux = half;
        decoded.Immediate = instruction.Op0Kind == OpKind.Memory ? 1UL : 0;
        return Operation.SseMoveHalf;
    }

    /// <summary>PMOVMSKB r32/r64, xmm: the general register's index stays where the generic fill put it.</summary>
    private static Operation MoveMask(in Instruction instruction, ref DecodedInstruction decoded)
    {
        if (instruction.OpCount != 2 || !instruction.Op0Register.IsGPR() || instruction.Op1Kind != OpKind.Register || !IsXmm(instruction.Op1Register))
        {
            return Operation.NotImplemented; // the MMX form
        }
        decoded.Reg2 = (byte)(instruction.Op1Register - Register.XMM0);
        return Operation.SseMoveMask;
    }

    private static Operation ShuffleDwords(in Instruction instruction, ref DecodedInstruction decoded)
    {
        if (instruction.OpCount != 3 || instruction.Op0Kind != OpKind.Register || instruction.Op2Kind != OpKind.Immediate8 ||
            !XmmOperands(in instruction, ref decoded))
        {
            return Operation.NotImplemented;
        }
        decoded.Immediate = instruction.Immediate8;
        return Operation.SseShuffleDwords;
    }

    private static Operation ShiftImmediate(in Instruction instruction, ref DecodedInstruction decoded, SseKind kind)
    {
        if (instruction.OpCount != 2 || instruction.Op0Kind != OpKind.Register || instruction.Op1Kind != OpKind.Immediate8
            || !XmmOperands(in instruction, ref decoded))
        {
            return Operation.NotImplemented; // MMX forms and shifts by a register count
        }
        decoded.Aux = (byte)kind;
        decoded.Immediate = instruction.Immediate8;
        return Operation.SseShiftImmediate;
    }
}
