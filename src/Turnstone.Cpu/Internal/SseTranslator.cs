using Iced.Intel;

namespace Turnstone.Cpu.Internal;

/// <summary>
/// The SSE/SSE2 subset the engine runs: the 128-bit moves and the packed integer and logic
/// operations gcc -O2 emits for integer code (the CRC-32 sample component's table set-up, for
/// one), run in C#. Everything else (MMX forms, floating point, shuffles, conversions, x87) goes to
/// <see cref="FloatingPointTranslator"/>. Legacy encodings only: VEX (AVX) forms stay not implemented.
/// </summary>
internal static class SseTranslator
{
    private const byte Aligned = 1;

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
