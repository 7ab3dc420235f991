using System.Numerics;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// The BCD adjustments of 16/32-bit code (DAA, DAS, AAA, AAS, AAM, AAD) and SALC, as the SDM's
// pseudo-code defines them; the flags it leaves undefined are cleared.
public sealed unsafe partial class SoftwareCpu
{
    /// <summary>SF, ZF and PF of an 8-bit result, the other arithmetic flags as given.</summary>
    private void SetByteResultFlags(byte result, bool carry, bool adjust)
    {
        ulong flags = MaterializeFlags() & ~RflagsBits.Arithmetic;
        flags |= (result & 0x80) != 0 ? RflagsBits.Sf : 0;
        flags |= result == 0 ? RflagsBits.Zf : 0;
        flags |= (BitOperations.PopCount(result) & 1) == 0 ? RflagsBits.Pf : 0;
        flags |= carry ? RflagsBits.Cf : 0;
        flags |= adjust ? RflagsBits.Af : 0;
        SetArithmeticFlags(flags);
    }

    private void DecimalAdjust(bool subtract)
    {
        ulong flags = MaterializeFlags();
        byte al = (byte)R(0), oldAl = al;
        bool oldCarry = (flags & RflagsBits.Cf) != 0, carry = false, adjust = false;
        if ((al & 0xF) > 9 || (flags & RflagsBits.Af) != 0)
        {
            carry = oldCarry || (subtract ? al < 6 : al > 0xF9);
            al = (byte)(subtract ? al - 6 : al + 6);
            adjust = true;
        }
        if (oldAl > 0x99 || oldCarry)
        {
            al = (byte)(subtract ? al - 0x60 : al + 0x60);
            carry = true;
        }
        else if (!subtract)
        {
            carry = false;
        }
        WriteRegister(1, 0, al);
        SetByteResultFlags(al, carry, adjust);
    }

    private void AsciiAdjust(bool subtract)
    {
        ulong flags = MaterializeFlags();
        ulong ax = (ushort)R(0);
        bool adjust = (ax & 0xF) > 9 || (flags & RflagsBits.Af) != 0;
        if (adjust)
        {
            // AAS: AX - 6 (borrowing from AH), then AH - 1; AAA: AX + 106H.
            ax = subtract ? ((ax - 6) - 0x100) & 0xFFFF : (ax + 0x106) & 0xFFFF;
        }
        ax = (ax & 0xFF00) | (ax & 0x0F);
        WriteRegister(2, 0, ax);
        SetByteResultFlags((byte)ax, adjust, adjust);
    }

    private bool AsciiAdjustAfterMultiply(byte divisor)
    {
        if (divisor == 0)
        {
            return RaiseFault(ExceptionVector.DivideError);
        }
        byte al = (byte)R(0);
        byte quotient = (byte)(al / divisor), remainder = (byte)(al % divisor);
        WriteRegister(2, 0, (ulong)(quotient << 8 | remainder));
        SetByteResultFlags(remainder, false, false);
        return true;
    }

    private void AsciiAdjustBeforeDivide(byte factor)
    {
        byte al = (byte)(R(0) + ((R(0) >> 8) & 0xFF) * factor);
        WriteRegister(2, 0, al);
        SetByteResultFlags(al, false, false);
    }
}
