using System.Buffers.Binary;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// MOV forms, PUSH/POP, XCHG, CMPXCHG (8B/16B), XADD, the accumulator sign extensions, CMOVcc,
// BSWAP and XLAT.
public sealed unsafe partial class SoftwareCpu
{
    private bool MovRegisterMemory(ref DecodedInstruction i)
    {
        if (!TryRead(EffectiveAddress(ref i), i.Size, out ulong value))
        {
            return false;
        }
        WriteRegister(i.Size, i.Reg, value);
        return true;
    }

    private bool MovExtendMemory(ref DecodedInstruction i, bool signed)
    {
        if (!TryRead(EffectiveAddress(ref i), i.Aux, out ulong value))
        {
            return false;
        }
        WriteRegister(i.Size, i.Reg, signed ? (ulong)SignExtend(value, i.Aux) : value);
        return true;
    }

    private bool Push(ulong value)
    {
        ulong rsp = R(4) - 8;
        if (!TryWrite(rsp, 8, value))
        {
            return false;
        }
        R(4) = rsp;
        return true;
    }

    private bool PushMemory(ref DecodedInstruction i) => TryRead(EffectiveAddress(ref i), 8, out ulong value) && Push(value);

    private bool PopRegister(ref DecodedInstruction i)
    {
        if (!TryRead(R(4), 8, out ulong value))
        {
            return false;
        }
        R(4) += 8;
        R(i.Reg) = value;
        return true;
    }

    private bool PopMemory(ref DecodedInstruction i)
    {
        ulong rsp = R(4);
        if (!TryRead(rsp, 8, out ulong value))
        {
            return false;
        }
        // The destination's address is computed with RSP already incremented.
        R(4) = rsp + 8;
        if (!TryWrite(EffectiveAddress(ref i), 8, value))
        {
            R(4) = rsp;
            return false;
        }
        return true;
    }

    private bool ExchangeRegisters(ref DecodedInstruction i)
    {
        ulong a = ReadRegister(i.Size, i.Reg);
        ulong b = ReadRegister(i.Size, i.Reg2);
        WriteRegister(i.Size, i.Reg, b);
        WriteRegister(i.Size, i.Reg2, a);
        return true;
    }

    private bool ExchangeMemory(ref DecodedInstruction i)
    {
        ulong address = EffectiveAddress(ref i);
        if (!TryRead(address, i.Size, out ulong memory) || !TryWrite(address, i.Size, ReadRegister(i.Size, i.Reg)))
        {
            return false;
        }
        WriteRegister(i.Size, i.Reg, memory);
        return true;
    }

    private bool CompareExchange(ref DecodedInstruction i)
    {
        int size = i.Size;
        if (!ReadOperand0(ref i, out ulong destination))
        {
            return false;
        }
        ulong accumulator = ReadRegister(size, 0);
        bool equal = accumulator == destination;
        if (equal)
        {
            if (!WriteOperand0(ref i, ReadRegister(size, i.Reg2)))
            {
                return false;
            }
        }
        else
        {
            // The destination always sees a write cycle; a register destination is left as it was.
            if ((i.Flags & OperandFlags.Memory0) != 0 && !WriteOperand0(ref i, destination))
            {
                return false;
            }
            WriteRegister(size, 0, destination);
        }
        SetLazyFlags(FlagOperation.Sub, size, accumulator, destination, accumulator - destination);
        return true;
    }

    private bool ExchangeAdd(ref DecodedInstruction i)
    {
        int size = i.Size;
        if (!ReadOperand0(ref i, out ulong destination))
        {
            return false;
        }
        ulong source = ReadRegister(size, i.Reg2);
        ulong sum = destination + source;
        if ((i.Flags & OperandFlags.Memory0) != 0)
        {
            if (!WriteOperand0(ref i, sum))
            {
                return false;
            }
            WriteRegister(size, i.Reg2, destination);
        }
        else
        {
            WriteRegister(size, i.Reg2, destination);
            WriteRegister(size, i.Reg, sum);
        }
        SetLazyFlags(FlagOperation.Add, size, destination, source, sum);
        return true;
    }

    private void SetZeroFlagOnly(bool zero)
    {
        ulong flags = MaterializeFlags();
        SetArithmeticFlags(zero ? flags | RflagsBits.Zf : flags & ~RflagsBits.Zf);
    }

    private bool CompareExchange8Bytes(ref DecodedInstruction i)
    {
        ulong address = EffectiveAddress(ref i);
        if (!TryRead(address, 8, out ulong memory))
        {
            return false;
        }
        ulong expected = (uint)R(0) | ((ulong)(uint)R(2) << 32);
        if (memory == expected)
        {
            if (!TryWrite(address, 8, (uint)R(3) | ((ulong)(uint)R(1) << 32)))
            {
                return false;
            }
            SetZeroFlagOnly(true);
        }
        else
        {
            if (!TryWrite(address, 8, memory))
            {
                return false;
            }
            R(0) = (uint)memory;
            R(2) = memory >> 32;
            SetZeroFlagOnly(false);
        }
        return true;
    }

    private bool CompareExchange16Bytes(ref DecodedInstruction i)
    {
        ulong address = EffectiveAddress(ref i);
        if ((address & 15) != 0)
        {
            return GeneralProtection();
        }
        if (!TryRead(address, 8, out ulong low) || !TryRead(address + 8, 8, out ulong high))
        {
            return false;
        }
        bool equal = low == R(0) && high == R(2);
        ulong newLow = equal ? R(3) : low, newHigh = equal ? R(1) : high;
        if (!TryWrite(address, 8, newLow) || !TryWrite(address + 8, 8, newHigh))
        {
            return false;
        }
        if (!equal)
        {
            R(0) = low;
            R(2) = high;
        }
        SetZeroFlagOnly(equal);
        return true;
    }

    private void ConvertAccumulator(int size)
    {
        int half = size / 2;
        WriteRegister(size, 0, (ulong)SignExtend(ReadRegister(half, 0), half));
    }

    private void ConvertAccumulatorToDx(int size)
    {
        bool negative = SignExtend(ReadRegister(size, 0), size) < 0;
        WriteRegister(size, 2, negative ? ulong.MaxValue : 0);
    }

    private void ConditionalMove(ref DecodedInstruction i, ulong source)
    {
        if (Condition(i.Aux))
        {
            WriteRegister(i.Size, i.Reg, source);
        }
        else if (i.Size == 4)
        {
            // A 32-bit CMOVcc writes its destination even when the condition is false.
            R(i.Reg) = (uint)R(i.Reg);
        }
    }

    private bool ConditionalMoveMemory(ref DecodedInstruction i)
    {
        if (!TryRead(EffectiveAddress(ref i), i.Size, out ulong source))
        {
            return false;
        }
        ConditionalMove(ref i, source);
        return true;
    }

    private void ByteSwap(ref DecodedInstruction i)
    {
        ulong value = ReadRegister(i.Size, i.Reg);
        ulong swapped = i.Size switch
        {
            8 => BinaryPrimitives.ReverseEndianness(value),
            4 => BinaryPrimitives.ReverseEndianness((uint)value),
            // BSWAP of a 16-bit register is undefined; Intel and AMD CPUs leave zero.
            _ => 0,
        };
        WriteRegister(i.Size, i.Reg, swapped);
    }

    private bool Translate(ref DecodedInstruction i)
    {
        ulong address = (R(i.Base) + (byte)R(0)) & AddressMask(i.Flags);
        address += _segmentBase[i.Segment];
        if (!TryRead(address, 1, out ulong value))
        {
            return false;
        }
        WriteRegister(1, 0, value);
        return true;
    }
}
