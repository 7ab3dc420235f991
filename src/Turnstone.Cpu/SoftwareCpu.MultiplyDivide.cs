using System.Runtime.CompilerServices;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// MUL, IMUL (one, two and three operands), DIV and IDIV with #DE on a zero divisor or a quotient
// that does not fit.
public sealed unsafe partial class SoftwareCpu
{
    /// <summary>CF and OF in the Shifted flag kind's destination slot (bits 0 and 11).</summary>
    private const ulong MultiplyOverflow = 1 | 1UL << 11;

    /// <summary>CF = OF = the high half matters; SF, ZF, PF from the low half (undefined by the SDM),
    /// AF 0: exactly what the lazy Shifted kind computes, so nothing is computed until read.</summary>
    private void SetMultiplyFlags(ulong low, int size, ulong carryOverflow) =>
        SetLazyFlags(FlagOperation.Shifted, size, carryOverflow, 0, low);

    /// <summary>The low half of a signed product at a size (IMUL r, r/m [, imm]) and its CF/OF slot;
    /// compiled blocks call it too, so both tiers compute the same.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong SignedProduct(long a, long b, int size, out ulong carryOverflow)
    {
        ulong low;
        bool overflow;
        if (size == 8)
        {
            long high = Math.BigMul(a, b, out long lowSigned);
            low = (ulong)lowSigned;
            overflow = high != lowSigned >> 63;
        }
        else
        {
            long product = a * b;
            low = (ulong)product & SizeMask(size);
            overflow = SignExtend(low, size) != product;
        }
        carryOverflow = overflow ? MultiplyOverflow : 0;
        return low;
    }

    /// <summary>MUL's double-width product at a size: the low half returned, the high half out.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong UnsignedWideProduct(ulong a, ulong b, int size, out ulong high, out ulong carryOverflow)
    {
        ulong low;
        if (size == 8)
        {
            high = Math.BigMul(a, b, out low);
        }
        else
        {
            ulong product = (a & SizeMask(size)) * b;
            low = product & SizeMask(size);
            high = product >> (size * 8);
        }
        carryOverflow = high != 0 ? MultiplyOverflow : 0;
        return low;
    }

    /// <summary>One-operand IMUL's double-width product at a size (operands sign-extended).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong SignedWideProduct(long a, long b, int size, out ulong high, out ulong carryOverflow)
    {
        ulong low;
        bool overflow;
        if (size == 8)
        {
            high = (ulong)Math.BigMul(a, b, out long lowSigned);
            low = (ulong)lowSigned;
            overflow = (long)high != lowSigned >> 63;
        }
        else
        {
            long product = a * b;
            low = (ulong)product & SizeMask(size);
            high = ((ulong)product >> (size * 8)) & SizeMask(size);
            overflow = SignExtend(low, size) != product;
        }
        carryOverflow = overflow ? MultiplyOverflow : 0;
        return low;
    }

    private bool Multiply(ref DecodedInstruction i)
    {
        int size = i.Size;
        if (!ReadOperand0(ref i, out ulong source))
        {
            return false;
        }
        ulong low = UnsignedWideProduct(R(0), source, size, out ulong high, out ulong carryOverflow);
        StoreWideResult(size, low, high);
        SetMultiplyFlags(low, size, carryOverflow);
        return true;
    }

    /// <summary>AX for byte operations; rDX:rAX otherwise.</summary>
    private void StoreWideResult(int size, ulong low, ulong high)
    {
        if (size == 1)
        {
            WriteRegister(2, 0, (high << 8) | low);
        }
        else
        {
            WriteRegister(size, 0, low);
            WriteRegister(size, 2, high);
        }
    }

    private bool SignedMultiplyWide(ref DecodedInstruction i)
    {
        int size = i.Size;
        if (!ReadOperand0(ref i, out ulong source))
        {
            return false;
        }
        ulong low = SignedWideProduct(SignExtend(R(0), size), SignExtend(source, size), size, out ulong high, out ulong carryOverflow);
        StoreWideResult(size, low, high);
        SetMultiplyFlags(low, size, carryOverflow);
        return true;
    }

    private bool SignedMultiply(ref DecodedInstruction i, bool threeOperand)
    {
        int size = i.Size;
        if (!ReadSource(ref i, size, out ulong source))
        {
            return false;
        }
        long a = threeOperand ? SignExtend(i.Immediate, size) : SignExtend(ReadRegister(size, i.Reg), size);
        ulong low = SignedProduct(a, SignExtend(source, size), size, out ulong carryOverflow);
        WriteRegister(size, i.Reg, low);
        SetMultiplyFlags(low, size, carryOverflow);
        return true;
    }

    private bool Divide(ref DecodedInstruction i)
    {
        int size = i.Size;
        if (!ReadOperand0(ref i, out ulong divisor))
        {
            return false;
        }
        if (divisor == 0)
        {
            return RaiseFault(ExceptionVector.DivideError);
        }
        UInt128 dividend = size == 1
            ? ReadRegister(2, 0)
            : ((UInt128)ReadRegister(size, 2) << (size * 8)) | ReadRegister(size, 0);
        UInt128 quotient = dividend / divisor;
        if (quotient > SizeMask(size))
        {
            return RaiseFault(ExceptionVector.DivideError);
        }
        StoreDivisionResult(size, (ulong)quotient, (ulong)(dividend % divisor));
        return true;
    }

    private void StoreDivisionResult(int size, ulong quotient, ulong remainder)
    {
        if (size == 1)
        {
            WriteRegister(2, 0, ((remainder & 0xFF) << 8) | (quotient & 0xFF));
        }
        else
        {
            WriteRegister(size, 0, quotient);
            WriteRegister(size, 2, remainder);
        }
    }

    private bool SignedDivide(ref DecodedInstruction i)
    {
        int size = i.Size;
        if (!ReadOperand0(ref i, out ulong divisorBits))
        {
            return false;
        }
        long divisor = SignExtend(divisorBits, size);
        if (divisor == 0)
        {
            return RaiseFault(ExceptionVector.DivideError);
        }
        Int128 dividend = size switch
        {
            1 => (short)ReadRegister(2, 0),
            8 => (Int128)(((UInt128)R(2) << 64) | R(0)),
            _ => (Int128)((SignExtend(ReadRegister(size, 2), size) << (size * 8)) | (long)ReadRegister(size, 0)),
        };
        if (divisor == -1 && dividend == Int128.MinValue)
        {
            // RDX:RAX = -2^127 over -1: the quotient 2^127 fits in no register (#DE), and .NET's
            // Int128 division would throw OverflowException in the host.
            return RaiseFault(ExceptionVector.DivideError);
        }
        Int128 quotient = dividend / divisor;
        Int128 remainder = dividend % divisor;
        long max = (long)(SizeMask(size) >> 1);
        if (quotient > max || quotient < -max - 1)
        {
            return RaiseFault(ExceptionVector.DivideError);
        }
        StoreDivisionResult(size, (ulong)(long)quotient & SizeMask(size), (ulong)(long)remainder & SizeMask(size));
        return true;
    }
}
