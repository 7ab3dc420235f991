using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// Near jumps, calls and returns, LOOPcc/JRCXZ, ENTER/LEAVE, INT n/INT3/INT1.
public sealed unsafe partial class SoftwareCpu
{
    /// <summary>A non-canonical target faults on the branch itself (#GP), as on Intel CPUs.</summary>
    private bool JumpTo(ulong target)
    {
        if (!IsCanonical(target))
        {
            return GeneralProtection();
        }
        _rip = target;
        return false;
    }

    private bool JumpIndirect(ref DecodedInstruction i) => TryRead(EffectiveAddress(ref i), 8, out ulong target) && JumpTo(target);

    private bool CallIndirect(ref DecodedInstruction i) => TryRead(EffectiveAddress(ref i), 8, out ulong target) && CallTo(ref i, target);

    private bool CallTo(ref DecodedInstruction i, ulong target)
    {
        if (!IsCanonical(target))
        {
            return GeneralProtection();
        }
        if (!Push(NextRip(ref i)))
        {
            return false;
        }
        _rip = target;
        return false;
    }

    private bool Return(ref DecodedInstruction i)
    {
        ulong rsp = R(4);
        if (!TryRead(rsp, 8, out ulong target))
        {
            return false;
        }
        if (!IsCanonical(target))
        {
            return GeneralProtection();
        }
        R(4) = rsp + 8 + (ushort)i.Immediate;
        _rip = target;
        return false;
    }

    private ulong Counter(ref DecodedInstruction i) => R(1) & AddressMask(i.Flags);

    /// <summary>LOOP and REP keep the bits of RCX above the address size (a 32-bit ECX update does not zero them).</summary>
    private void SetCounter(ref DecodedInstruction i, ulong value)
    {
        ulong mask = AddressMask(i.Flags);
        R(1) = (R(1) & ~mask) | (value & mask);
    }

    /// <summary>LOOP (kind 0), LOOPE (1), LOOPNE (2).</summary>
    private bool LoopBranch(ref DecodedInstruction i, int kind)
    {
        ulong count = Counter(ref i) - 1;
        SetCounter(ref i, count);
        count &= AddressMask(i.Flags);
        bool taken = count != 0 && kind switch
        {
            1 => ZeroFlag(),
            2 => !ZeroFlag(),
            _ => true,
        };
        if (taken)
        {
            _rip = R(BlockRipRegister) + i.Immediate;
            return false;
        }
        return true;
    }

    private bool JumpIfCounterZero(ref DecodedInstruction i)
    {
        if (Counter(ref i) == 0)
        {
            _rip = R(BlockRipRegister) + i.Immediate;
            return false;
        }
        return true;
    }

    private bool Leave()
    {
        ulong frame = R(5);
        if (!TryRead(frame, 8, out ulong savedFrame))
        {
            return false;
        }
        R(4) = frame + 8;
        R(5) = savedFrame;
        return true;
    }

    private bool Enter(ref DecodedInstruction i)
    {
        if ((i.Aux & 31) != 0)
        {
            return NotImplemented("ENTER with a nesting level above 0");
        }
        ulong frame = R(4) - 8;
        if (!TryWrite(frame, 8, R(5)))
        {
            return false;
        }
        R(5) = frame;
        R(4) = frame - (ushort)i.Immediate;
        return true;
    }

    private bool SoftwareInterrupt(ref DecodedInstruction i, byte vector, EventKind kind)
    {
        ulong rip = R(BlockRipRegister) + i.Offset;
        DeliverEvent(vector, 0, false, NextRip(ref i), kind, rip);
        return false;
    }
}
