using System.Runtime.CompilerServices;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// ADD/OR/ADC/SBB/AND/SUB/XOR/CMP, TEST, INC/DEC, NEG, with lazy flags.
public sealed unsafe partial class SoftwareCpu
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong Alu(AluKind kind, int size, ulong a, ulong b)
    {
        ulong result;
        switch (kind)
        {
            case AluKind.Add:
                result = a + b;
                SetLazyFlags(FlagOperation.Add, size, a, b, result);
                return result;
            case AluKind.Or:
                result = a | b;
                SetLazyFlags(FlagOperation.Logic, size, a, b, result);
                return result;
            case AluKind.Adc:
                result = a + b + (CarryFlag() ? 1UL : 0);
                SetLazyFlags(FlagOperation.Add, size, a, b, result);
                return result;
            case AluKind.Sbb:
                result = a - b - (CarryFlag() ? 1UL : 0);
                SetLazyFlags(FlagOperation.SubWithBorrow, size, a, b, result);
                return result;
            case AluKind.And:
                result = a & b;
                SetLazyFlags(FlagOperation.Logic, size, a, b, result);
                return result;
            case AluKind.Xor:
                result = a ^ b;
                SetLazyFlags(FlagOperation.Logic, size, a, b, result);
                return result;
            default:
                result = a - b;
                SetLazyFlags(FlagOperation.Sub, size, a, b, result);
                return result;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AluRegisterRegister(ref DecodedInstruction i, AluKind kind)
    {
        int size = i.Size;
        ulong result = Alu(kind, size, ReadRegister(size, i.Reg), ReadRegister(size, i.Reg2));
        if (kind != AluKind.Cmp)
        {
            WriteRegister(size, i.Reg, result);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AluRegisterImmediate(ref DecodedInstruction i, AluKind kind)
    {
        int size = i.Size;
        ulong result = Alu(kind, size, ReadRegister(size, i.Reg), i.Immediate & SizeMask(size));
        if (kind != AluKind.Cmp)
        {
            WriteRegister(size, i.Reg, result);
        }
    }

    private bool AluMemory(ref DecodedInstruction i)
    {
        if (!ReadOperand0(ref i, out ulong a) || !ReadOperand1(ref i, out ulong b))
        {
            return false;
        }
        var kind = (AluKind)i.Aux;
        // Flags are set only once the write has succeeded: a faulting instruction changes nothing.
        FlagOperation savedOperation = _flagOperation;
        int savedSize = _flagSize;
        ulong savedDestination = _flagDestination, savedSource = _flagSource, savedResult = _flagResult;
        ulong result = Alu(kind, i.Size, a, b);
        if (kind != AluKind.Cmp && !WriteOperand0(ref i, result))
        {
            SetLazyFlags(savedOperation, savedSize, savedDestination, savedSource, savedResult);
            return false;
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Test(int size, ulong a, ulong b) => SetLazyFlags(FlagOperation.Logic, size, a, b, a & b);

    private bool TestMemory(ref DecodedInstruction i)
    {
        if (!ReadOperand0(ref i, out ulong a) || !ReadOperand1(ref i, out ulong b))
        {
            return false;
        }
        Test(i.Size, a, b);
        return true;
    }

    /// <summary>INC and DEC leave CF alone: remember it (a run of them keeps the one remembered).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void KeepCarry()
    {
        if (_flagOperation is not (FlagOperation.Increment or FlagOperation.Decrement))
        {
            _flagCarryKept = CarryFlag();
        }
    }

    private ulong Increment(int size, ulong value)
    {
        KeepCarry();
        ulong result = value + 1;
        SetLazyFlags(FlagOperation.Increment, size, value, 1, result);
        return result;
    }

    private ulong Decrement(int size, ulong value)
    {
        KeepCarry();
        ulong result = value - 1;
        SetLazyFlags(FlagOperation.Decrement, size, value, 1, result);
        return result;
    }

    private bool IncrementMemory(ref DecodedInstruction i, bool decrement)
    {
        ulong address = EffectiveAddress(ref i);
        if (!TryRead(address, i.Size, out ulong value))
        {
            return false;
        }
        ulong result = decrement ? value - 1 : value + 1;
        if (!TryWrite(address, i.Size, result))
        {
            return false;
        }
        KeepCarry();
        SetLazyFlags(decrement ? FlagOperation.Decrement : FlagOperation.Increment, i.Size, value, 1, result);
        return true;
    }

    private bool Not(ref DecodedInstruction i) => ReadOperand0(ref i, out ulong value) && WriteOperand0(ref i, ~value);

    private bool Negate(ref DecodedInstruction i)
    {
        if (!ReadOperand0(ref i, out ulong value) || !WriteOperand0(ref i, 0 - value))
        {
            return false;
        }
        SetLazyFlags(FlagOperation.Sub, i.Size, 0, value, 0 - value);
        return true;
    }
}
