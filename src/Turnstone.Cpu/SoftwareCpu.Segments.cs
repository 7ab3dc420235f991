using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// Segment registers: descriptor reads from the GDT/LDT and the checks a MOV/POP to a segment
// register, LTR and LLDT make in 64-bit mode.
public sealed unsafe partial class SoftwareCpu
{
    private void LoadSegmentCache(SegmentName name, SegmentRegister value)
    {
        // 16/32-bit links stand for CS's base, size and limit. 64-bit code has none of them (base 0,
        // no limit, one size), so a switch between two 64-bit code segments keeps the links: the
        // privilege, which such a switch (SYSCALL, SYSRET, an interrupt, IRET) may change, is part
        // of the link key (SetCpl). Dropping them there made 350,000 of the 391,000 drops of every
        // link in a Debian 12 boot; keeping them took its jump-cache lookups after a missed link
        // from 137 to 61 million.
        if (name == SegmentName.Cs && value != _segments[(int)SegmentName.Cs] && !(_executing64BitCode && value.Long && _longModeActive))
        {
            ForgetBlockLinks();
        }
        _segments[(int)name] = value;
        // Every segment's slot holds its base: 64-bit code reads only FS's and GS's (it decodes the
        // others to the flat slot), 16/32-bit code reads them all.
        _segmentBase[(int)name] = value.Base;
        if (name == SegmentName.Cs)
        {
            _executing64BitCode = _longModeActive && value.Long;
            R(Native.NativeState.CodeLimit) = value.Limit;
        }
    }

    private void SetSegmentBase(SegmentName name, ulong baseAddress)
    {
        _segments[(int)name] = _segments[(int)name] with { Base = baseAddress };
        _segmentBase[(int)name] = baseAddress;
    }

    /// <summary>Reads the 8-byte descriptor a selector names; raises <paramref name="vector"/>
    /// with the selector as error code when it lies outside its table.</summary>
    private bool TryReadDescriptor(ushort selector, out ulong descriptor, ExceptionVector vector, uint external)
    {
        descriptor = 0;
        bool local = (selector & 4) != 0;
        ulong tableBase = local ? _ldtr.Base : _gdtr.Base;
        ulong limit = local ? ((_ldtr.Attributes & 0x80) != 0 ? _ldtr.Limit : 0) : _gdtr.Limit;
        ulong offset = (ulong)(selector & ~7);
        if (offset + 7 > limit || (local && (_ldtr.Attributes & 0x80) == 0))
        {
            return RaiseFault(vector, (uint)(selector & 0xFFFC) + external);
        }
        return TryReadSystem(tableBase + offset, 8, out descriptor);
    }

    private bool SetDescriptorBit(ushort selector, ulong bit)
    {
        ulong address = ((selector & 4) != 0 ? _ldtr.Base : _gdtr.Base) + (ulong)(selector & ~7);
        return TryReadSystem(address, 8, out ulong descriptor) && ((descriptor & bit) != 0 || TryWriteSystem(address, 8, descriptor | bit));
    }

    /// <summary>MOV Sreg / POP Sreg: loads DS, ES, FS, GS or SS with the protected-mode checks.</summary>
    private bool LoadSegmentChecked(SegmentName name, ushort selector)
    {
        if (name == SegmentName.Cs)
        {
            return InvalidOpcode();
        }
        if ((_cr0 & Cr0Bits.ProtectionEnable) == 0)
        {
            LoadRealModeSegment(name, selector);
            return true;
        }
        if ((selector & 0xFFFC) == 0)
        {
            if (name == SegmentName.Ss && (_cpl == 3 || (selector & 3) != _cpl || !_executing64BitCode))
            {
                return GeneralProtection();
            }
            // A null selector in 64-bit mode keeps FS/GS's base (Intel), so only the rest changes.
            var nulled = _segments[(int)name] with { Selector = selector, Attributes = 0 };
            if (name == SegmentName.Ss)
            {
                nulled = new SegmentRegister(selector, 0, 0, (ushort)(0x1093 | (_cpl << 5)));
            }
            LoadSegmentCache(name, nulled);
            return true;
        }
        if (!TryReadDescriptor(selector, out ulong descriptor, ExceptionVector.GeneralProtection, 0))
        {
            return false;
        }
        var segment = SegmentRegister.FromDescriptor(selector, descriptor, 0);
        int rpl = selector & 3;
        uint error = (uint)(selector & 0xFFFC);
        if (name == SegmentName.Ss)
        {
            if (rpl != _cpl || !segment.IsCodeOrData || segment.IsCode || (segment.Type & 2) == 0 || segment.Dpl != _cpl)
            {
                return GeneralProtection(error);
            }
            if (!segment.Present)
            {
                return RaiseFault(ExceptionVector.StackFault, error);
            }
        }
        else
        {
            bool readable = segment.IsCodeOrData && (!segment.IsCode || (segment.Type & 2) != 0);
            bool conformingCode = segment.IsCode && (segment.Type & 4) != 0;
            if (!readable || (!conformingCode && (rpl > segment.Dpl || _cpl > segment.Dpl)))
            {
                return GeneralProtection(error);
            }
            if (!segment.Present)
            {
                return RaiseFault(ExceptionVector.SegmentNotPresent, error);
            }
        }
        if (!SetDescriptorBit(selector, 1UL << 40))
        {
            return false;
        }
        LoadSegmentCache(name, segment with { Attributes = (ushort)(segment.Attributes | 1) });
        return true;
    }

    /// <summary>LTR (busy = false) or LLDT: a system descriptor from the GDT, 16 bytes in long mode and
    /// 8 outside it, where LTR also takes a 16-bit TSS (type 1; using one for a stack switch stops
    /// with NotImplemented). SYSLINUX loads a TSS in 32-bit protected mode.</summary>
    private bool LoadSystemSegment(ushort selector, bool taskRegister)
    {
        if (_cpl != 0)
        {
            return GeneralProtection();
        }
        if ((selector & 0xFFFC) == 0)
        {
            if (taskRegister)
            {
                return GeneralProtection();
            }
            _ldtr = new SegmentRegister(selector, 0, 0, 0);
            return true;
        }
        uint error = (uint)(selector & 0xFFFC);
        bool wide = _longModeActive;
        if ((selector & 4) != 0 || (ulong)(selector & ~7) + (wide ? 15UL : 7UL) > _gdtr.Limit)
        {
            return GeneralProtection(error);
        }
        ulong address = _gdtr.Base + (ulong)(selector & ~7);
        ulong high = 0;
        if (!TryReadSystem(address, 8, out ulong low) || (wide && !TryReadSystem(address + 8, 8, out high)))
        {
            return false;
        }
        var segment = SegmentRegister.FromDescriptor(selector, low, high);
        bool typeAllowed = taskRegister ? segment.Type == 9 || (!wide && segment.Type == 1) : segment.Type == 2;
        if (segment.IsCodeOrData || !typeAllowed || !IsCanonical(segment.Base))
        {
            return GeneralProtection(error);
        }
        if (!segment.Present)
        {
            return RaiseFault(ExceptionVector.SegmentNotPresent, error);
        }
        if (taskRegister)
        {
            if (!TryWriteSystem(address, 8, low | (2UL << 40)))
            {
                return false;
            }
            _tr = segment with { Attributes = (ushort)(segment.Attributes | 2) };
        }
        else
        {
            _ldtr = segment;
        }
        return true;
    }
}
