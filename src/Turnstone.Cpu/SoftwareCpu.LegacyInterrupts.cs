using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// Events outside long mode: through the real-mode IVT (4-byte vectors at IDTR.base) and through
// the protected-mode IDT's 16/32-bit interrupt and trap gates, with the stack switch to SSn:ESPn
// of a 32-bit TSS (IRET/IRETD back: SoftwareCpu.LegacyIret.cs). Task gates and virtual-8086 mode
// stop with NotImplemented.
public sealed unsafe partial class SoftwareCpu
{
    private bool TryDeliverReal(byte vector, ulong returnRip)
    {
        ulong entry = (ulong)vector * 4;
        if (entry + 3 > _idtr.Limit)
        {
            return GeneralProtection((uint)vector * 8 + 2);
        }
        if (!TryReadSystem((uint)(_idtr.Base + entry), 4, out ulong pointer))
        {
            return false;
        }
        ulong flags = MaterializeFlags();
        if (!StackPush(flags, 2) || !StackPush(_segments[(int)SegmentName.Cs].Selector, 2) || !StackPush(returnRip, 2))
        {
            return false;
        }
        LoadRealModeSegment(SegmentName.Cs, (ushort)(pointer >> 16));
        _rip = pointer & 0xFFFF;
        _rflags = flags & ~(RflagsBits.If | RflagsBits.Tf | RflagsBits.Ac | RflagsBits.Rf);
        return true;
    }

    private bool TryDeliverProtected(byte vector, uint errorCode, bool hasErrorCode, ulong returnRip, EventKind kind)
    {
        uint external = kind == EventKind.Software ? 0u : 1u;
        uint idtError = (uint)vector * 8 + 2 + external;
        if ((ulong)vector * 8 + 7 > _idtr.Limit)
        {
            return GeneralProtection(idtError);
        }
        if (!TryReadSystem((uint)(_idtr.Base + (ulong)vector * 8), 8, out ulong gate))
        {
            return false;
        }
        int gateType = (int)(gate >> 40) & 0x1F;
        if (gateType == 0x05)
        {
            return NotImplemented("a task gate in the IDT (hardware task switch)");
        }
        if (gateType is not (0x06 or 0x07 or 0x0E or 0x0F))
        {
            return GeneralProtection(idtError);
        }
        if (kind == EventKind.Software && (int)(gate >> 45 & 3) < _cpl)
        {
            return GeneralProtection(idtError);
        }
        if ((gate & (1UL << 47)) == 0)
        {
            return RaiseFault(ExceptionVector.SegmentNotPresent, idtError);
        }
        bool gate32 = (gateType & 8) != 0;
        int size = gate32 ? 4 : 2;
        ushort selector = (ushort)(gate >> 16);
        ulong target = gate32 ? (gate & 0xFFFF) | ((gate >> 32) & 0xFFFF_0000) : gate & 0xFFFF;
        if ((selector & 0xFFFC) == 0)
        {
            return GeneralProtection(external);
        }
        if (!TryReadDescriptor(selector, out ulong descriptor, ExceptionVector.GeneralProtection, external))
        {
            return false;
        }
        var code = SegmentRegister.FromDescriptor(selector, descriptor, 0);
        if (!code.IsCode || code.Dpl > _cpl)
        {
            return GeneralProtection((uint)(selector & 0xFFFC) + external);
        }
        if (!code.Present)
        {
            return RaiseFault(ExceptionVector.SegmentNotPresent, (uint)(selector & 0xFFFC) + external);
        }
        if (target > code.Limit)
        {
            return GeneralProtection(external);
        }
        if ((_rflags & RflagsBits.Vm) != 0)
        {
            return NotImplemented("an interrupt from virtual-8086 mode");
        }
        bool conforming = (code.Type & 4) != 0;
        int newCpl = conforming ? _cpl : code.Dpl;
        ulong flags = MaterializeFlags();
        var oldSs = _segments[(int)SegmentName.Ss];
        ulong oldEsp = R(4);
        var stack = oldSs;
        ulong stackPointer = oldEsp;
        bool switchStack = newCpl < _cpl;
        if (switchStack && !TryReadTss32Stack(newCpl, external, out stack, out stackPointer))
        {
            return false;
        }
        ulong mask = stack.DefaultBig ? 0xFFFF_FFFFUL : 0xFFFFUL;
        int set = TlbSet(WriteKind, newCpl == 3);
        int slots = (switchStack ? 5 : 3) + (hasErrorCode ? 1 : 0);
        Span<ulong> frame = stackalloc ulong[6];
        int n = 0;
        if (switchStack)
        {
            frame[n++] = oldSs.Selector;
            frame[n++] = oldEsp;
        }
        frame[n++] = flags;
        frame[n++] = _segments[(int)SegmentName.Cs].Selector;
        frame[n++] = returnRip;
        if (hasErrorCode)
        {
            frame[n++] = errorCode;
        }
        for (int slot = 0; slot < slots; slot++)
        {
            ulong pointer = (stackPointer - (ulong)((slot + 1) * size)) & mask;
            if (!TryWriteIn(set, (uint)(stack.Base + pointer), size, frame[slot]))
            {
                return false;
            }
        }
        if (switchStack)
        {
            LoadSegmentCache(SegmentName.Ss, stack);
        }
        R(4) = (stackPointer & ~mask) | ((stackPointer - (ulong)(slots * size)) & mask);
        LoadSegmentCache(SegmentName.Cs, code with { Selector = (ushort)((selector & 0xFFFC) | newCpl) });
        SetCpl(newCpl);
        _rip = target;
        ulong cleared = RflagsBits.Tf | RflagsBits.Nt | RflagsBits.Rf | RflagsBits.Vm | ((gateType & 1) == 0 ? RflagsBits.If : 0);
        _rflags = flags & ~cleared;
        return true;
    }

    /// <summary>SSn:ESPn of the 32-bit TSS, with SS checked as the inner stack; #TS on a bad one.</summary>
    private bool TryReadTss32Stack(int cpl, uint external, out SegmentRegister stack, out ulong stackPointer)
    {
        stack = default;
        stackPointer = 0;
        uint tssError = (uint)(_tr.Selector & 0xFFFC) + external;
        if ((_tr.Attributes & 0x80) == 0 || (_tr.Type != 9 && _tr.Type != 11))
        {
            return (_tr.Type is 1 or 3) ? NotImplemented("a 16-bit TSS") : RaiseFault(ExceptionVector.InvalidTss, tssError);
        }
        ulong offset = 4 + 8 * (ulong)cpl;
        if (offset + 5 > _tr.Limit)
        {
            return RaiseFault(ExceptionVector.InvalidTss, tssError);
        }
        if (!TryReadSystem((uint)(_tr.Base + offset), 4, out stackPointer) || !TryReadSystem((uint)(_tr.Base + offset + 4), 2, out ulong selectorValue))
        {
            return false;
        }
        ushort selector = (ushort)selectorValue;
        uint error = (uint)(selector & 0xFFFC) + external;
        if ((selector & 0xFFFC) == 0 || (selector & 3) != cpl)
        {
            return RaiseFault(ExceptionVector.InvalidTss, error);
        }
        if (!TryReadDescriptor(selector, out ulong descriptor, ExceptionVector.InvalidTss, external))
        {
            return false;
        }
        stack = SegmentRegister.FromDescriptor(selector, descriptor, 0);
        if (!stack.IsCodeOrData || stack.IsCode || (stack.Type & 2) == 0 || stack.Dpl != cpl)
        {
            return RaiseFault(ExceptionVector.InvalidTss, error);
        }
        if (!stack.Present)
        {
            return RaiseFault(ExceptionVector.StackFault, error);
        }
        return true;
    }
}
