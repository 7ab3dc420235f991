using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// IRET/IRETD outside long mode: in real mode CS:IP and FLAGS from the stack; in protected mode
// the checks of the code segment and, for a return to an outer level, of the stack segment.
// Returns from a nested task (NT set) and to virtual-8086 mode stop with NotImplemented.
public sealed unsafe partial class SoftwareCpu
{
    /// <summary>IRET/IRETD outside long mode.</summary>
    private bool ExecuteLegacyIret(ref DecodedInstruction i)
    {
        int size = i.Size;
        if (!StackPeek(0, size, out ulong rip) || !StackPeek((ulong)size, size, out ulong cs) || !StackPeek((ulong)(2 * size), size, out ulong flags))
        {
            return false;
        }
        ulong sizeMask = size == 2 ? 0xFFFFUL : 0xFFFF_FFFFUL;
        ulong current = MaterializeFlags();
        if ((_cr0 & Cr0Bits.ProtectionEnable) == 0)
        {
            StackAdjust((ulong)(3 * size));
            LoadRealModeSegment(SegmentName.Cs, (ushort)cs);
            _rip = rip & sizeMask;
            ulong changeableReal = size == 2 ? 0x7FD5UL : 0x25_7FD5UL & ~(RflagsBits.Vm | RflagsBits.Vip | RflagsBits.Vif);
            _rflags = (current & ~changeableReal) | (flags & changeableReal) | RflagsBits.Fixed;
            _interruptShadow = false;
            _nmiBlocked = false;
            return false;
        }
        if ((current & RflagsBits.Nt) != 0)
        {
            return NotImplemented("IRET with NT set (a return from a nested task)");
        }
        if (size == 4 && (flags & RflagsBits.Vm) != 0 && _cpl == 0)
        {
            return NotImplemented("IRET to virtual-8086 mode");
        }
        ushort selector = (ushort)cs;
        int rpl = selector & 3;
        if (!TryLoadReturnCodeSegment(selector, out var code))
        {
            return false;
        }
        ulong target = rip & sizeMask;
        if (target > code.Limit)
        {
            return GeneralProtection();
        }
        SegmentRegister stack = default;
        ulong newStackPointer = 0;
        bool outer = rpl > _cpl;
        if (outer)
        {
            if (!StackPeek((ulong)(3 * size), size, out newStackPointer) || !StackPeek((ulong)(4 * size), size, out ulong ssValue))
            {
                return false;
            }
            if (!TryLoadReturnStackSegment((ushort)ssValue, rpl, out stack))
            {
                return false;
            }
        }
        ulong changeable = RflagsBits.Arithmetic | RflagsBits.Tf | RflagsBits.Df | RflagsBits.Nt;
        if (size == 4)
        {
            changeable |= RflagsBits.Rf | RflagsBits.Ac | RflagsBits.Id;
        }
        if (_cpl <= Iopl)
        {
            changeable |= RflagsBits.If;
        }
        if (_cpl == 0)
        {
            changeable |= RflagsBits.IoplMask | (size == 4 ? RflagsBits.Vif | RflagsBits.Vip : 0);
        }
        _rflags = (current & ~changeable) | (flags & changeable) | RflagsBits.Fixed;
        int oldCpl = _cpl;
        if (outer)
        {
            LoadSegmentCache(SegmentName.Ss, stack);
            ulong mask = stack.DefaultBig ? 0xFFFF_FFFFUL : 0xFFFFUL;
            R(4) = (R(4) & ~mask) | (newStackPointer & mask);
        }
        else
        {
            StackAdjust((ulong)(3 * size));
        }
        LoadSegmentCache(SegmentName.Cs, code);
        SetCpl(rpl);
        _rip = target;
        if (rpl > oldCpl)
        {
            NullSegmentsAbove(rpl);
        }
        _interruptShadow = false;
        _nmiBlocked = false;
        return false;
    }
}
