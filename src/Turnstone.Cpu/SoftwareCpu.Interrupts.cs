using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// Event delivery through the 64-bit IDT (interrupt and trap gates, IST, the stack switch to the
// TSS's RSPn, error codes), double and triple faults, and IRETQ.
public sealed unsafe partial class SoftwareCpu
{
    private void DeliverPendingException(ulong faultRip)
    {
        _exceptionPending = false;
        _notRetired = false;
        ExceptionVector vector = _exceptionVector;
        DeliverEvent((byte)vector, _exceptionErrorCode, HasErrorCode(vector), faultRip, EventKind.Exception, faultRip);
    }

    private static bool IsContributory(int vector) => vector is 0 or 10 or 11 or 12 or 13;

    /// <summary>Delivers an event; a fault while delivering it becomes the next event to deliver,
    /// a double fault by the SDM's table, and a fault while delivering #DF shuts the CPU down.</summary>
    private void DeliverEvent(byte vector, uint errorCode, bool hasErrorCode, ulong returnRip, EventKind kind, ulong faultRip)
    {
        while (true)
        {
            if (TryDeliver(vector, errorCode, hasErrorCode, returnRip, kind))
            {
                _halted = false;
                return;
            }
            _notRetired = false;
            if (!_exceptionPending)
            {
                return;
            }
            _exceptionPending = false;
            int second = (int)_exceptionVector;
            if (vector == (byte)ExceptionVector.DoubleFault)
            {
                Shutdown($"triple fault (vector {second} while delivering a double fault)");
                return;
            }
            bool doubleFault = kind != EventKind.Software &&
                ((IsContributory(vector) && IsContributory(second)) ||
                 (vector == (byte)ExceptionVector.PageFault && (second == (int)ExceptionVector.PageFault || IsContributory(second))));
            if (doubleFault)
            {
                vector = (byte)ExceptionVector.DoubleFault;
                errorCode = 0;
            }
            else
            {
                vector = (byte)second;
                errorCode = _exceptionErrorCode;
            }
            hasErrorCode = HasErrorCode((ExceptionVector)vector);
            returnRip = faultRip;
            kind = EventKind.Exception;
        }
    }

    private bool TryDeliver(byte vector, uint errorCode, bool hasErrorCode, ulong returnRip, EventKind kind)
    {
        if (!_longModeActive)
        {
            return (_cr0 & Cr0Bits.ProtectionEnable) != 0
                ? TryDeliverProtected(vector, errorCode, hasErrorCode, returnRip, kind)
                : TryDeliverReal(vector, returnRip);
        }
        uint external = kind == EventKind.Software ? 0u : 1u;
        uint idtError = (uint)vector * 8 + 2 + external;
        if ((ulong)vector * 16 + 15 > _idtr.Limit)
        {
            return GeneralProtection(idtError);
        }
        if (!TryReadSystem(_idtr.Base + (ulong)vector * 16, 8, out ulong low) ||
            !TryReadSystem(_idtr.Base + (ulong)vector * 16 + 8, 8, out ulong high))
        {
            return false;
        }
        int gateType = (int)(low >> 40) & 0x1F;
        if (gateType != 0x0E && gateType != 0x0F)
        {
            return GeneralProtection(idtError);
        }
        if (kind == EventKind.Software && (int)(low >> 45 & 3) < _cpl)
        {
            return GeneralProtection(idtError);
        }
        if ((low & (1UL << 47)) == 0)
        {
            return RaiseFault(ExceptionVector.SegmentNotPresent, idtError);
        }
        ushort selector = (ushort)(low >> 16);
        ulong target = (low & 0xFFFF) | ((low >> 32) & 0xFFFF_0000) | (high << 32);
        int ist = (int)(low >> 32) & 7;
        if ((selector & 0xFFFC) == 0)
        {
            return GeneralProtection(external);
        }
        if (!TryReadDescriptor(selector, out ulong descriptor, ExceptionVector.GeneralProtection, external))
        {
            return false;
        }
        var code = SegmentRegister.FromDescriptor(selector, descriptor, 0);
        if (!code.IsCode || !code.Long || code.DefaultBig || code.Dpl > _cpl)
        {
            return GeneralProtection((uint)(selector & 0xFFFC) + external);
        }
        if (!code.Present)
        {
            return RaiseFault(ExceptionVector.SegmentNotPresent, (uint)(selector & 0xFFFC) + external);
        }
        if (!IsCanonical(target))
        {
            return GeneralProtection(external);
        }
        bool conforming = (code.Type & 4) != 0;
        int newCpl = conforming ? _cpl : code.Dpl;
        ulong rsp = R(4);
        if (ist != 0)
        {
            if (!TryReadTssStack(0x24 + 8 * (ist - 1), out rsp))
            {
                return false;
            }
        }
        else if (newCpl < _cpl)
        {
            if (!TryReadTssStack(4 + 8 * newCpl, out rsp))
            {
                return false;
            }
        }
        rsp &= ~0xFUL;
        ulong flags = MaterializeFlags();
        int set = TlbSet(WriteKind, newCpl == 3);
        ulong frameSize = hasErrorCode ? 48UL : 40UL;
        ulong frame = rsp - frameSize;
        if (!IsCanonical(frame) || !IsCanonical(rsp - 1))
        {
            return RaiseFault(ExceptionVector.StackFault, external);
        }
        int slot = 0;
        if (hasErrorCode && !TryWriteIn(set, frame + 8 * (ulong)slot++, 8, errorCode))
        {
            return false;
        }
        if (!TryWriteIn(set, frame + 8 * (ulong)slot++, 8, returnRip) ||
            !TryWriteIn(set, frame + 8 * (ulong)slot++, 8, _segments[(int)SegmentName.Cs].Selector) ||
            !TryWriteIn(set, frame + 8 * (ulong)slot++, 8, flags) ||
            !TryWriteIn(set, frame + 8 * (ulong)slot++, 8, R(4)) ||
            !TryWriteIn(set, frame + 8 * (ulong)slot, 8, _segments[(int)SegmentName.Ss].Selector))
        {
            return false;
        }
        if (newCpl != _cpl)
        {
            LoadSegmentCache(SegmentName.Ss, new SegmentRegister((ushort)newCpl, 0, 0, (ushort)(0x1093 | (newCpl << 5))));
        }
        LoadSegmentCache(SegmentName.Cs, code with { Selector = (ushort)((selector & 0xFFFC) | newCpl) });
        SetCpl(newCpl);
        R(4) = frame;
        _rip = target;
        ulong cleared = RflagsBits.Tf | RflagsBits.Nt | RflagsBits.Rf | RflagsBits.Vm | (gateType == 0x0E ? RflagsBits.If : 0);
        _rflags = flags & ~cleared;
        return true;
    }

    /// <summary>Reads an RSPn or ISTn slot of the 64-bit TSS; #TS when TR cannot hold it.</summary>
    private bool TryReadTssStack(int offset, out ulong rsp)
    {
        rsp = 0;
        if (((_tr.Attributes & 0x80) == 0) || (ulong)offset + 7 > _tr.Limit)
        {
            return RaiseFault(ExceptionVector.InvalidTss, (uint)(_tr.Selector & 0xFFFC));
        }
        return TryReadSystem(_tr.Base + (ulong)offset, 8, out rsp);
    }

    private bool ExecuteIret(ref DecodedInstruction instruction)
    {
        if (!_longModeActive)
        {
            return ExecuteLegacyIret(ref instruction);
        }
        // In long mode IRET always pops SS:RSP too; IRETD/IRETW pop slots of 4 or 2 bytes (from
        // compatibility mode through SS's base and ESP).
        int slot = instruction.Size;
        ulong rsp = _executing64BitCode ? R(4) : StackLinear(R(4) & StackMask);
        if (!TryRead(rsp, slot, out ulong rip) || !TryRead(rsp + (ulong)slot, slot, out ulong cs) || !TryRead(rsp + 2 * (ulong)slot, slot, out ulong flags) ||
            !TryRead(rsp + 3 * (ulong)slot, slot, out ulong newRsp) || !TryRead(rsp + 4 * (ulong)slot, slot, out ulong ss))
        {
            return false;
        }
        ushort csSelector = (ushort)cs;
        ushort ssSelector = (ushort)ss;
        int rpl = csSelector & 3;
        if (!TryLoadReturnCodeSegment(csSelector, out var code))
        {
            return false;
        }
        SegmentRegister stack;
        if ((ssSelector & 0xFFFC) == 0)
        {
            if (rpl == 3 || !code.Long)
            {
                return GeneralProtection();
            }
            stack = new SegmentRegister(ssSelector, 0, 0, (ushort)(0x1093 | (rpl << 5)));
        }
        else if (!TryLoadReturnStackSegment(ssSelector, rpl, out stack))
        {
            return false;
        }
        if (code.Long && !IsCanonical(rip))
        {
            return GeneralProtection();
        }
        ulong changeable = RflagsBits.Arithmetic | RflagsBits.Tf | RflagsBits.Df | RflagsBits.Nt | RflagsBits.Rf | RflagsBits.Ac | RflagsBits.Id;
        int iopl = (int)((_rflags & RflagsBits.IoplMask) >> RflagsBits.IoplShift);
        if (_cpl <= iopl)
        {
            changeable |= RflagsBits.If;
        }
        if (_cpl == 0)
        {
            changeable |= RflagsBits.IoplMask | RflagsBits.Vif | RflagsBits.Vip;
        }
        MaterializeFlags();
        _rflags = (_rflags & ~changeable) | (flags & changeable) | RflagsBits.Fixed;
        int oldCpl = _cpl;
        LoadSegmentCache(SegmentName.Cs, code);
        LoadSegmentCache(SegmentName.Ss, stack);
        SetCpl(rpl);
        R(4) = newRsp;
        _rip = code.Long ? rip : (uint)rip;
        if (rpl > oldCpl)
        {
            NullSegmentsAbove(rpl);
        }
        _interruptShadow = false;
        _nmiBlocked = false; // IRET ends an NMI handler's blocking of further NMIs
        return false;
    }

    /// <summary>After a return to an outer level, data segments the new level may not use are nulled.</summary>
    private void NullSegmentsAbove(int cpl)
    {
        foreach (var name in (ReadOnlySpan<SegmentName>)[SegmentName.Es, SegmentName.Ds, SegmentName.Fs, SegmentName.Gs])
        {
            var segment = _segments[(int)name];
            bool conformingCode = segment.IsCode && (segment.Type & 4) != 0;
            if ((segment.Selector & 0xFFFC) != 0 && segment.Dpl < cpl && !conformingCode)
            {
                LoadSegmentCache(name, segment with { Selector = 0, Attributes = 0 });
            }
        }
    }
}
