using System.Runtime.CompilerServices;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// Near branches of 16/32-bit code: targets are offsets in CS that wrap at the operand size
// (IP at 16 bits, EIP at 32) and must lie within CS's limit.
public sealed unsafe partial class SoftwareCpu
{
    /// <summary>Whether an offset lies within CS's limit (compiled blocks ask it too).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool WithinCodeLimit(ulong target) => target <= _segments[(int)SegmentName.Cs].Limit;

    /// <summary>A near branch's target wrapped at its operand size (IP or EIP).</summary>
    private static ulong NearTarget(ulong target, int size) => target & (size == 2 ? 0xFFFFUL : 0xFFFF_FFFFUL);

    private bool NearJump(ulong target, int size)
    {
        target = NearTarget(target, size);
        if (!WithinCodeLimit(target))
        {
            return GeneralProtection();
        }
        _rip = target;
        return false;
    }

    private bool NearCall(ref DecodedInstruction i, ulong target)
    {
        target = NearTarget(target, i.Size);
        if (!WithinCodeLimit(target))
        {
            return GeneralProtection();
        }
        if (!StackPush(NextRip(ref i), i.Size))
        {
            return false;
        }
        _rip = target;
        return false;
    }

    private bool NearReturn(ref DecodedInstruction i)
    {
        if (!StackPeek(0, i.Size, out ulong target))
        {
            return false;
        }
        if (!WithinCodeLimit(target))
        {
            return GeneralProtection();
        }
        StackAdjust((ulong)i.Size + (ushort)i.Immediate);
        _rip = target;
        return false;
    }

    /// <summary>LOOP (Aux 0), LOOPE (1), LOOPNE (2). A taken branch beyond CS's limit faults with
    /// the counter as it was: faults are precise.</summary>
    private bool NearLoop(ref DecodedInstruction i)
    {
        ulong count = (Counter(ref i) - 1) & AddressMask(i.Flags);
        bool taken = count != 0 && i.Aux switch
        {
            1 => ZeroFlag(),
            2 => !ZeroFlag(),
            _ => true,
        };
        ulong target = NearTarget(NextRip(ref i) + i.Immediate, i.Size);
        if (taken && !WithinCodeLimit(target))
        {
            return GeneralProtection();
        }
        SetCounter(ref i, count);
        return !taken || NearJump(target, i.Size);
    }
}
