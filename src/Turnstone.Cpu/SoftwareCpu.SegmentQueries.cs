using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// LAR, LSL, VERR, VERW (a selector the current level may not see clears ZF instead of faulting)
// and SYSENTER/SYSEXIT with the flat segments SYSENTER_CS implies.
public sealed unsafe partial class SoftwareCpu
{
    /// <summary>Reads the descriptor a selector names if it lies inside its table; false (no fault) otherwise.</summary>
    private bool TryPeekDescriptor(ushort selector, out ulong descriptor, out bool faulted)
    {
        descriptor = 0;
        faulted = false;
        if ((selector & 0xFFFC) == 0)
        {
            return false;
        }
        bool local = (selector & 4) != 0;
        if (local && (_ldtr.Attributes & 0x80) == 0)
        {
            return false;
        }
        ulong tableBase = local ? _ldtr.Base : _gdtr.Base;
        ulong limit = local ? _ldtr.Limit : _gdtr.Limit;
        if ((ulong)(selector & ~7) + 7 > limit)
        {
            return false;
        }
        if (!TryReadSystem(tableBase + (ulong)(selector & ~7), 8, out descriptor))
        {
            faulted = true;
            return false;
        }
        return true;
    }

    /// <summary>Whether the current level and the selector's RPL may see a descriptor (conforming code always).</summary>
    private bool DescriptorVisible(SegmentRegister segment, ushort selector) =>
        (segment.IsCode && (segment.Type & 4) != 0) || (segment.Dpl >= _cpl && segment.Dpl >= (selector & 3));

    private bool LoadAccessRightsOrLimit(ref DecodedInstruction i, bool limit)
    {
        if ((_cr0 & Cr0Bits.ProtectionEnable) == 0)
        {
            return InvalidOpcode();
        }
        ulong selectorValue;
        if ((i.Flags & OperandFlags.Memory1) != 0)
        {
            if (!TryRead(EffectiveAddress(ref i), 2, out selectorValue))
            {
                return false;
            }
        }
        else
        {
            selectorValue = R(i.Reg2);
        }
        ushort selector = (ushort)selectorValue;
        bool valid = TryPeekDescriptor(selector, out ulong descriptor, out bool faulted);
        if (faulted)
        {
            return false;
        }
        var segment = SegmentRegister.FromDescriptor(selector, descriptor, 0);
        if (valid && !segment.IsCodeOrData)
        {
            valid = _longModeActive
                ? segment.Type is 2 or 9 or 11 || (!limit && segment.Type == 12)
                : segment.Type is 1 or 2 or 3 or 9 or 11 || (!limit && segment.Type is 4 or 5 or 12);
        }
        valid = valid && DescriptorVisible(segment, selector);
        ulong flags = MaterializeFlags();
        if (!valid)
        {
            SetArithmeticFlags(flags & ~RflagsBits.Zf);
            return true;
        }
        ulong value = limit ? segment.Limit : (descriptor >> 32) & (i.Size == 2 ? 0xFF00UL : 0x00F0_FF00UL);
        WriteRegister(i.Size, i.Reg, value);
        SetArithmeticFlags(flags | RflagsBits.Zf);
        return true;
    }

    private bool VerifySegment(ref DecodedInstruction i, bool write)
    {
        if ((_cr0 & Cr0Bits.ProtectionEnable) == 0)
        {
            return InvalidOpcode();
        }
        if (!ReadSelectorOperand(ref i, out ulong selectorValue))
        {
            return false;
        }
        ushort selector = (ushort)selectorValue;
        bool valid = TryPeekDescriptor(selector, out ulong descriptor, out bool faulted);
        if (faulted)
        {
            return false;
        }
        var segment = SegmentRegister.FromDescriptor(selector, descriptor, 0);
        valid = valid && segment.IsCodeOrData && DescriptorVisible(segment, selector) &&
            (write ? !segment.IsCode && (segment.Type & 2) != 0 : !segment.IsCode || (segment.Type & 2) != 0);
        ulong flags = MaterializeFlags();
        SetArithmeticFlags(valid ? flags | RflagsBits.Zf : flags & ~RflagsBits.Zf);
        return true;
    }

    private bool SystemEnter()
    {
        ushort selector = (ushort)(_sysenterCs & 0xFFFC);
        if ((_cr0 & Cr0Bits.ProtectionEnable) == 0 || selector == 0)
        {
            return GeneralProtection();
        }
        MaterializeFlags();
        _rflags &= ~(RflagsBits.Vm | RflagsBits.If | RflagsBits.Rf);
        var code = _longModeActive ? SegmentRegister.FlatCode64(selector, 0) : new SegmentRegister(selector, 0, 0xFFFF_FFFF, 0xC09B);
        LoadSegmentCache(SegmentName.Cs, code);
        LoadSegmentCache(SegmentName.Ss, SegmentRegister.FlatData((ushort)(selector + 8), 0));
        SetCpl(0);
        R(4) = _longModeActive ? _sysenterEsp : (uint)_sysenterEsp;
        _rip = _longModeActive ? _sysenterEip : (uint)_sysenterEip;
        return false;
    }

    private bool SystemExit(ref DecodedInstruction i)
    {
        ushort selector = (ushort)(_sysenterCs & 0xFFFC);
        if ((_cr0 & Cr0Bits.ProtectionEnable) == 0 || selector == 0 || _cpl != 0)
        {
            return GeneralProtection();
        }
        bool to64 = i.Size == 8;
        if (to64 && (!IsCanonical(R(2)) || !IsCanonical(R(1))))
        {
            return GeneralProtection();
        }
        var code = to64
            ? SegmentRegister.FlatCode64((ushort)((selector + 32) | 3), 3)
            : new SegmentRegister((ushort)((selector + 16) | 3), 0, 0xFFFF_FFFF, 0xC0FB);
        LoadSegmentCache(SegmentName.Cs, code);
        LoadSegmentCache(SegmentName.Ss, SegmentRegister.FlatData((ushort)((selector + (to64 ? 40 : 24)) | 3), 3));
        SetCpl(3);
        R(4) = to64 ? R(1) : (uint)R(1);
        _rip = to64 ? R(2) : (uint)R(2);
        return false;
    }
}
