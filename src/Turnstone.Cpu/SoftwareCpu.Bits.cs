using System.Numerics;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// BT/BTS/BTR/BTC (with the bit-string addressing of a register offset into memory), BSF/BSR,
// LZCNT and POPCNT. TZCNT runs as BSF: CPUID does not report BMI1, and a CPU without it ignores
// the F3 prefix.
public sealed unsafe partial class SoftwareCpu
{
    private bool BitTest(ref DecodedInstruction i)
    {
        int size = i.Size;
        int bits = size * 8;
        bool immediate = (i.Flags & OperandFlags.Immediate1) != 0;
        ulong offset = immediate ? i.Immediate : ReadRegister(size, i.Reg2);
        ulong value;
        ulong address = 0;
        bool memory = (i.Flags & OperandFlags.Memory0) != 0;
        if (memory)
        {
            address = EffectiveAddress(ref i);
            if (!immediate)
            {
                long signedOffset = SignExtend(offset, size);
                address += (ulong)((signedOffset >> BitOperations.Log2((uint)bits)) * size);
            }
            if (!TryRead(address, size, out value))
            {
                return false;
            }
        }
        else
        {
            value = ReadRegister(size, i.Reg);
        }
        int bit = (int)(offset & (ulong)(bits - 1));
        ulong carry = (value >> bit) & 1;
        if (i.Aux != 0)
        {
            ulong updated = i.Aux switch
            {
                1 => value | (1UL << bit),
                2 => value & ~(1UL << bit),
                _ => value ^ (1UL << bit),
            };
            if (memory ? !TryWrite(address, size, updated) : !WriteOperand0(ref i, updated))
            {
                return false;
            }
        }
        SetArithmeticFlags((MaterializeFlags() & ~RflagsBits.Cf) | carry);
        return true;
    }

    private bool BitScan(ref DecodedInstruction i, bool forward)
    {
        int size = i.Size;
        if (!ReadSource(ref i, size, out ulong source))
        {
            return false;
        }
        ulong flags = MaterializeFlags() & ~RflagsBits.Arithmetic;
        if (source == 0)
        {
            // The destination keeps its value (documented by AMD, what Intel CPUs do).
            SetArithmeticFlags(flags | RflagsBits.Zf | RflagsBits.Pf);
            return true;
        }
        int index = forward ? BitOperations.TrailingZeroCount(source) : BitOperations.Log2(source);
        WriteRegister(size, i.Reg, (ulong)index);
        SetArithmeticFlags(flags | ParityFlag((ulong)index));
        return true;
    }

    private bool CountLeadingZeros(ref DecodedInstruction i)
    {
        int size = i.Size;
        if (!ReadSource(ref i, size, out ulong source))
        {
            return false;
        }
        int bits = size * 8;
        ulong count = source == 0 ? (ulong)bits : (ulong)(bits - 1 - BitOperations.Log2(source));
        WriteRegister(size, i.Reg, count);
        ulong flags = (source == 0 ? RflagsBits.Cf : 0) | (count == 0 ? RflagsBits.Zf : 0);
        SetArithmeticFlags(flags | ParityFlag(count));
        return true;
    }

    private bool PopulationCount(ref DecodedInstruction i)
    {
        int size = i.Size;
        if (!ReadSource(ref i, size, out ulong source))
        {
            return false;
        }
        WriteRegister(size, i.Reg, (ulong)BitOperations.PopCount(source));
        SetArithmeticFlags(source == 0 ? RflagsBits.Zf : 0);
        return true;
    }
}
