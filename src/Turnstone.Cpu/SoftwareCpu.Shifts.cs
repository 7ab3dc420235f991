using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// Shifts and rotates (ROL, ROR, RCL, RCR, SHL, SHR, SAR, SHLD, SHRD) with exact flags: a masked
// count of 0 changes nothing, OF is the SDM's formula for a count of 1 (and the same formula,
// which is what CPUs compute, for larger counts, where the SDM calls it undefined).
public sealed unsafe partial class SoftwareCpu
{
    private ulong ShiftCount(ref DecodedInstruction i) =>
        ((i.Flags & OperandFlags.RegisterCount) != 0 ? R(1) : i.Immediate) & (i.Size == 8 ? 63UL : 31UL);

    /// <summary>A count of zero leaves flags and memory alone but a 32-bit register is still written.</summary>
    private bool ZeroCountShift(ref DecodedInstruction i)
    {
        if ((i.Flags & OperandFlags.Memory0) == 0 && i.Size == 4)
        {
            R(i.Reg) = (uint)R(i.Reg);
        }
        return true;
    }

    private bool Shift(ref DecodedInstruction i)
    {
        int size = i.Size;
        int bits = size * 8;
        int count = (int)ShiftCount(ref i);
        if (!ReadOperand0(ref i, out ulong value))
        {
            return false;
        }
        if (count == 0)
        {
            return ZeroCountShift(ref i);
        }
        ulong mask = SizeMask(size);
        value &= mask;
        var kind = (ShiftKind)i.Aux;
        bool rotate = kind <= ShiftKind.Rcr;
        ulong flags = rotate ? MaterializeFlags() : 0;
        ulong carryIn = flags & RflagsBits.Cf;
        ulong result, carry, overflow;
        switch (kind)
        {
            case ShiftKind.Rol:
            {
                int n = count % bits;
                result = n == 0 ? value : ((value << n) | (value >> (bits - n))) & mask;
                carry = result & 1;
                overflow = ((result >> (bits - 1)) ^ carry) & 1;
                break;
            }
            case ShiftKind.Ror:
            {
                int n = count % bits;
                result = n == 0 ? value : ((value >> n) | (value << (bits - n))) & mask;
                carry = (result >> (bits - 1)) & 1;
                overflow = ((result >> (bits - 1)) ^ (result >> (bits - 2))) & 1;
                break;
            }
            case ShiftKind.Rcl:
            {
                int n = count % (bits + 1);
                UInt128 wide = ((UInt128)carryIn << bits) | value;
                UInt128 widthMask = ((UInt128)1 << (bits + 1)) - 1;
                UInt128 rotated = n == 0 ? wide : ((wide << n) | (wide >> (bits + 1 - n))) & widthMask;
                result = (ulong)rotated & mask;
                carry = (ulong)(rotated >> bits) & 1;
                overflow = ((result >> (bits - 1)) ^ carry) & 1;
                break;
            }
            case ShiftKind.Rcr:
            {
                int n = count % (bits + 1);
                UInt128 wide = ((UInt128)carryIn << bits) | value;
                UInt128 widthMask = ((UInt128)1 << (bits + 1)) - 1;
                UInt128 rotated = n == 0 ? wide : ((wide >> n) | (wide << (bits + 1 - n))) & widthMask;
                result = (ulong)rotated & mask;
                carry = (ulong)(rotated >> bits) & 1;
                overflow = ((result >> (bits - 1)) ^ (result >> (bits - 2))) & 1;
                break;
            }
            case ShiftKind.Shl:
            case ShiftKind.Sal:
                result = count < bits ? (value << count) & mask : 0;
                carry = count <= bits ? (value >> (bits - count)) & 1 : 0;
                overflow = ((result >> (bits - 1)) ^ carry) & 1;
                break;
            case ShiftKind.Shr:
                result = count < bits ? value >> count : 0;
                carry = count <= bits ? (value >> (count - 1)) & 1 : 0;
                overflow = (value >> (bits - 1)) & 1;
                break;
            default:
            {
                long signed = SignExtend(value, size);
                int n = Math.Min(count, bits - 1);
                result = (ulong)(signed >> n) & mask;
                carry = count < bits ? (ulong)(signed >> (count - 1)) & 1 : (ulong)(signed >> 63) & 1;
                overflow = 0;
                break;
            }
        }
        if (!WriteOperand0(ref i, result))
        {
            return false;
        }
        if (rotate)
        {
            SetArithmeticFlags((flags & ~(RflagsBits.Cf | RflagsBits.Of)) | carry | (overflow << 11));
        }
        else
        {
            SetLazyFlags(FlagOperation.Shifted, size, carry | (overflow << 11), 0, result);
        }
        return true;
    }

    /// <summary>PF, ZF and SF of a result (AF 0).</summary>
    private static ulong ResultFlags(ulong result, int size) =>
        ParityFlag(result) | ((result & SizeMask(size)) == 0 ? RflagsBits.Zf : 0) |
        ((result >> (size * 8 - 1) & 1) != 0 ? RflagsBits.Sf : 0);

    private bool DoubleShift(ref DecodedInstruction i, bool left)
    {
        int size = i.Size;
        int bits = size * 8;
        int count = (int)ShiftCount(ref i);
        if (!ReadOperand0(ref i, out ulong destination))
        {
            return false;
        }
        if (count == 0)
        {
            return ZeroCountShift(ref i);
        }
        ulong mask = SizeMask(size);
        destination &= mask;
        ulong source = ReadRegister(size, i.Reg2);
        ulong result, carry;
        if (left)
        {
            UInt128 wide = ((UInt128)destination << bits) | source;
            result = (ulong)((wide << count) >> bits) & mask;
            carry = count <= bits ? (destination >> (bits - count)) & 1 : (source >> (2 * bits - count)) & 1;
        }
        else
        {
            UInt128 wide = ((UInt128)source << bits) | destination;
            result = (ulong)(wide >> count) & mask;
            carry = (ulong)(wide >> (count - 1)) & 1;
        }
        if (!WriteOperand0(ref i, result))
        {
            return false;
        }
        ulong overflow = ((result ^ destination) >> (bits - 1)) & 1;
        SetLazyFlags(FlagOperation.Shifted, size, carry | (overflow << 11), 0, result);
        return true;
    }
}
