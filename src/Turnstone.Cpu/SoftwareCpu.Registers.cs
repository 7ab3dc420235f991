using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// The register file: 16 GPRs plus the zero slot and the block-start slot that memory operands
// index without branching; 8-, 16- and 32-bit views with the x86 rules (a 32-bit write clears
// the upper half, 8- and 16-bit writes merge).
public sealed unsafe partial class SoftwareCpu
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref ulong R(int index) => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_registers), index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong ReadRegister(int size, int index)
    {
        if (size == 8)
        {
            return R(index);
        }
        switch (size)
        {
            case 8: return R(index);
            case 4: return (uint)R(index);
            case 2: return (ushort)R(index);
            default: return index < HighByteRegister ? (byte)R(index) : (byte)(R(index - HighByteRegister) >> 8);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteRegister(int size, int index, ulong value)
    {
        if (size == 8)
        {
            R(index) = value;
            return;
        }
        switch (size)
        {
            case 8: R(index) = value; break;
            case 4: R(index) = (uint)value; break;
            case 2: R(index) = (R(index) & ~0xFFFFUL) | (ushort)value; break;
            default:
                if (index < HighByteRegister)
                {
                    R(index) = (R(index) & ~0xFFUL) | (byte)value;
                }
                else
                {
                    ref ulong full = ref R(index - HighByteRegister);
                    full = (full & ~0xFF00UL) | ((ulong)(byte)value << 8);
                }
                break;
        }
    }

    /// <summary>The linear address of the instruction's memory operand (segment base included).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong EffectiveAddress(ref DecodedInstruction instruction)
    {
        ulong address = R(instruction.Base) + (R(instruction.Index) << instruction.Scale) + (ulong)instruction.Displacement;
        if ((instruction.Flags & (OperandFlags.AddressSize32 | OperandFlags.AddressSize16)) != 0)
        {
            address &= AddressMask(instruction.Flags);
        }
        return address + Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_segmentBase), instruction.Segment);
    }

    /// <summary>What an effective address, a string index or a LOOP counter wraps at.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong AddressMask(OperandFlags flags) =>
        (flags & OperandFlags.AddressSize16) != 0 ? 0xFFFF : (flags & OperandFlags.AddressSize32) != 0 ? 0xFFFF_FFFF : ulong.MaxValue;

    /// <summary>Writes an address-sized register (SI, DI, CX): 32-bit writes zero the upper half, 16-bit ones merge.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteAddressRegister(OperandFlags flags, int register, ulong value)
    {
        if ((flags & OperandFlags.AddressSize16) != 0)
        {
            R(register) = (R(register) & ~0xFFFFUL) | (ushort)value;
        }
        else
        {
            R(register) = value & AddressMask(flags);
        }
    }

    /// <summary>Operand 0: the register in Reg or the memory operand.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool ReadOperand0(ref DecodedInstruction instruction, out ulong value)
    {
        if ((instruction.Flags & OperandFlags.Memory0) != 0)
        {
            return TryRead(EffectiveAddress(ref instruction), instruction.Size, out value);
        }
        value = ReadRegister(instruction.Size, instruction.Reg);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool WriteOperand0(ref DecodedInstruction instruction, ulong value)
    {
        if ((instruction.Flags & OperandFlags.Memory0) != 0)
        {
            return TryWrite(EffectiveAddress(ref instruction), instruction.Size, value);
        }
        WriteRegister(instruction.Size, instruction.Reg, value);
        return true;
    }

    /// <summary>Operand 1: the immediate, the memory operand or the register in Reg2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool ReadOperand1(ref DecodedInstruction instruction, out ulong value)
    {
        if ((instruction.Flags & OperandFlags.Immediate1) != 0)
        {
            value = instruction.Immediate & SizeMask(instruction.Size);
            return true;
        }
        if ((instruction.Flags & OperandFlags.Memory1) != 0)
        {
            return TryRead(EffectiveAddress(ref instruction), instruction.Size, out value);
        }
        value = ReadRegister(instruction.Size, instruction.Reg2);
        return true;
    }

    /// <summary>Operand 1 as a register or memory of the given size (MOVZX/MOVSX sources, BSF...).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool ReadSource(ref DecodedInstruction instruction, int size, out ulong value)
    {
        if ((instruction.Flags & OperandFlags.Memory1) != 0)
        {
            return TryRead(EffectiveAddress(ref instruction), size, out value);
        }
        value = ReadRegister(size, instruction.Reg2);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong NextRip(ref DecodedInstruction instruction) => R(BlockRipRegister) + instruction.Offset + instruction.Length;
}
