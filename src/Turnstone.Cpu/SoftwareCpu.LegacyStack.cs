using System.Runtime.CompilerServices;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// The stack outside 64-bit mode: SS's base plus ESP (SS.B set) or SP, pushes and pops of 2 or 4
// bytes; in 64-bit mode (far transfers) RSP with no base. PUSH/POP, PUSHF/POPF, PUSHA/POPA,
// ENTER/LEAVE and segment pushes of 16/32-bit code.
public sealed unsafe partial class SoftwareCpu
{
    /// <summary>The part of RSP the stack uses: all of it in 64-bit mode, else ESP or SP by SS.B.</summary>
    private ulong StackMask { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => _executing64BitCode ? ulong.MaxValue : _segments[(int)SegmentName.Ss].DefaultBig ? 0xFFFF_FFFFUL : 0xFFFFUL; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong StackLinear(ulong stackPointer) =>
        _executing64BitCode ? stackPointer : (uint)(_segments[(int)SegmentName.Ss].Base + stackPointer);

    /// <summary>Reads the stack at (E/R)SP + <paramref name="offset"/> without moving it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool StackPeek(ulong offset, int size, out ulong value) =>
        TryRead(StackLinear((R(4) + offset) & StackMask), size, out value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void StackAdjust(ulong delta)
    {
        ulong mask = StackMask;
        R(4) = (R(4) & ~mask) | ((R(4) + delta) & mask);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool StackPush(ulong value, int size)
    {
        ulong mask = StackMask;
        ulong stackPointer = (R(4) - (ulong)size) & mask;
        if (!TryWrite(StackLinear(stackPointer), size, value))
        {
            return false;
        }
        R(4) = (R(4) & ~mask) | stackPointer;
        return true;
    }

    private bool StackPushOperand(ref DecodedInstruction i)
    {
        ulong value;
        switch (i.Aux)
        {
            case 0: value = R(i.Reg); break;
            case 1: value = i.Immediate; break;
            default:
                if (!TryRead(EffectiveAddress(ref i), i.Size, out value))
                {
                    return false;
                }
                break;
        }
        return StackPush(value, i.Size);
    }

    private bool StackPopOperand(ref DecodedInstruction i)
    {
        if (!StackPeek(0, i.Size, out ulong value))
        {
            return false;
        }
        ulong saved = R(4);
        StackAdjust((ulong)i.Size);
        if ((i.Flags & OperandFlags.Memory0) != 0)
        {
            // The destination's address is computed with ESP already incremented.
            if (!TryWrite(EffectiveAddress(ref i), i.Size, value))
            {
                R(4) = saved;
                return false;
            }
            return true;
        }
        WriteRegister(i.Size, i.Reg, value);
        return true;
    }

    private bool StackPopSegment(ref DecodedInstruction i)
    {
        if (!StackPeek(0, i.Size, out ulong selector) || !LoadSegmentChecked((SegmentName)i.Aux, (ushort)selector))
        {
            return false;
        }
        StackAdjust((ulong)i.Size);
        if (i.Aux == (byte)SegmentName.Ss)
        {
            _interruptShadow = true;
        }
        _rip = NextRip(ref i);
        return false;
    }

    private bool StackPushFlags(ref DecodedInstruction i) => StackPush(MaterializeFlags() & ~(RflagsBits.Vm | RflagsBits.Rf), i.Size);

    private bool StackPopFlags(ref DecodedInstruction i)
    {
        if (!StackPeek(0, i.Size, out ulong value))
        {
            return false;
        }
        StackAdjust((ulong)i.Size);
        ulong changeable = RflagsBits.Arithmetic | RflagsBits.Tf | RflagsBits.Df | RflagsBits.Nt;
        if (i.Size == 4)
        {
            changeable |= RflagsBits.Ac | RflagsBits.Id;
        }
        if (_cpl <= Iopl || (_cr0 & Cr0Bits.ProtectionEnable) == 0)
        {
            changeable |= RflagsBits.If;
        }
        if (_cpl == 0 || (_cr0 & Cr0Bits.ProtectionEnable) == 0)
        {
            changeable |= RflagsBits.IoplMask;
        }
        ulong flags = MaterializeFlags();
        _rflags = (flags & ~changeable & ~RflagsBits.Rf) | (value & changeable) | RflagsBits.Fixed;
        EndBlockIfFlagsNeedRunLoop(flags, _rflags);
        return true;
    }

    /// <summary>PUSHA/PUSHAD: AX, CX, DX, BX, the original SP, BP, SI, DI.</summary>
    private bool PushAll(ref DecodedInstruction i)
    {
        int size = i.Size;
        ulong mask = StackMask;
        ulong original = R(4);
        for (int register = 0; register < 8; register++)
        {
            ulong stackPointer = (original - (ulong)(size * (register + 1))) & mask;
            ulong value = register == 4 ? original : R(register);
            if (!TryWrite(StackLinear(stackPointer), size, value))
            {
                return false;
            }
        }
        R(4) = (original & ~mask) | ((original - (ulong)(8 * size)) & mask);
        return true;
    }

    /// <summary>POPA/POPAD: the reverse, skipping the saved SP.</summary>
    private bool PopAll(ref DecodedInstruction i)
    {
        int size = i.Size;
        Span<ulong> values = stackalloc ulong[8];
        for (int slot = 0; slot < 8; slot++)
        {
            if (!StackPeek((ulong)(slot * size), size, out values[7 - slot]))
            {
                return false;
            }
        }
        for (int register = 0; register < 8; register++)
        {
            if (register != 4)
            {
                WriteRegister(size, register, values[register]);
            }
        }
        StackAdjust((ulong)(8 * size));
        return true;
    }

    private bool StackEnter(ref DecodedInstruction i)
    {
        int size = i.Size;
        int level = i.Aux & 31;
        ulong mask = StackMask;
        ulong frameBase = R(5);
        if (!StackPush(frameBase, size))
        {
            return false;
        }
        ulong frameTemp = R(4) & mask;
        for (int n = 1; n < level; n++)
        {
            ulong framePointer = (frameBase - (ulong)(n * size)) & mask;
            if (!TryRead(StackLinear(framePointer), size, out ulong outer) || !StackPush(outer, size))
            {
                return false;
            }
        }
        if (level > 0 && !StackPush(frameTemp, size))
        {
            return false;
        }
        WriteRegister(size, 5, frameTemp);
        StackAdjust((ulong)-(long)(ushort)i.Immediate);
        return true;
    }

    private bool StackLeave(ref DecodedInstruction i)
    {
        ulong mask = StackMask;
        ulong framePointer = R(5) & mask;
        if (!TryRead(StackLinear(framePointer), i.Size, out ulong saved))
        {
            return false;
        }
        R(4) = (R(4) & ~mask) | ((framePointer + (ulong)i.Size) & mask);
        WriteRegister(i.Size, 5, saved);
        return true;
    }
}
