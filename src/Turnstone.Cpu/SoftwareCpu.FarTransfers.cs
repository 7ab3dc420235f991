using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// Far JMP/CALL/RET and LDS/LES/LSS/LFS/LGS. In real mode a selector loads base = selector * 16
// and keeps the cached limit and attributes (so "unreal" big segments survive); in protected and
// long mode a far transfer loads CS from a code descriptor at the same privilege level (call
// gates, task gates and TSS targets stop with NotImplemented); far RET also returns to an outer level.
public sealed unsafe partial class SoftwareCpu
{
    private void LoadRealModeSegment(SegmentName name, ushort selector) =>
        LoadSegmentCache(name, _segments[(int)name] with { Selector = selector, Base = (ulong)selector << 4 });

    private bool FarTransferIndirect(ref DecodedInstruction i, bool call)
    {
        ulong address = EffectiveAddress(ref i);
        if (!TryRead(address, i.Size, out ulong offset) || !TryRead(address + i.Size, 2, out ulong selector))
        {
            return false;
        }
        return FarTransfer((ushort)selector, offset, i.Size, call, NextRip(ref i));
    }

    /// <summary>Far JMP (or CALL, pushing CS and the return offset at <paramref name="size"/>) to selector:offset.</summary>
    private bool FarTransfer(ushort selector, ulong offset, int size, bool call, ulong returnRip)
    {
        ushort oldCs = _segments[(int)SegmentName.Cs].Selector;
        if ((_cr0 & Cr0Bits.ProtectionEnable) == 0)
        {
            if (call && (!StackPush(oldCs, size) || !StackPush(returnRip, size)))
            {
                return false;
            }
            LoadRealModeSegment(SegmentName.Cs, selector);
            _rip = offset & (size == 2 ? 0xFFFFUL : 0xFFFF_FFFFUL);
            return false;
        }
        if (!TryLoadCodeDescriptor(selector, out var code))
        {
            return false;
        }
        bool conforming = (code.Type & 4) != 0;
        int rpl = selector & 3;
        if (conforming ? code.Dpl > _cpl : (rpl > _cpl || code.Dpl != _cpl))
        {
            return GeneralProtection((uint)(selector & 0xFFFC));
        }
        if (!code.Present)
        {
            return RaiseFault(ExceptionVector.SegmentNotPresent, (uint)(selector & 0xFFFC));
        }
        bool target64 = _longModeActive && code.Long;
        ulong target = target64 ? offset : offset & (size == 2 ? 0xFFFFUL : 0xFFFF_FFFFUL);
        if (target64 ? !IsCanonical(target) : target > code.Limit)
        {
            return GeneralProtection();
        }
        if (call && (!StackPush(oldCs, size) || !StackPush(returnRip, size)))
        {
            return false;
        }
        if (!SetDescriptorBit(selector, 1UL << 40))
        {
            return false;
        }
        LoadSegmentCache(SegmentName.Cs, code with { Selector = (ushort)((selector & 0xFFFC) | _cpl), Attributes = (ushort)(code.Attributes | 1) });
        _rip = target;
        return false;
    }

    /// <summary>Reads a code-segment descriptor for a far transfer: #GP for a null selector, a
    /// non-code descriptor or L and D both set in long mode; NotImplemented for gates and TSSs.</summary>
    private bool TryLoadCodeDescriptor(ushort selector, out SegmentRegister code)
    {
        code = default;
        if ((selector & 0xFFFC) == 0)
        {
            return GeneralProtection();
        }
        if (!TryReadDescriptor(selector, out ulong descriptor, ExceptionVector.GeneralProtection, 0))
        {
            return false;
        }
        code = SegmentRegister.FromDescriptor(selector, descriptor, 0);
        if (!code.IsCodeOrData)
        {
            return code.Type is 4 or 5 or 12 or 1 or 3 or 9 or 11
                ? NotImplemented("a far transfer through a call gate, a task gate or to a TSS (task switch)")
                : GeneralProtection((uint)(selector & 0xFFFC));
        }
        if (!code.IsCode || (_longModeActive && code.Long && code.DefaultBig))
        {
            return GeneralProtection((uint)(selector & 0xFFFC));
        }
        return true;
    }

    private bool FarReturn(ref DecodedInstruction i)
    {
        int size = i.Size;
        if (!StackPeek(0, size, out ulong offset) || !StackPeek((ulong)size, size, out ulong selectorValue))
        {
            return false;
        }
        ushort selector = (ushort)selectorValue;
        ulong popped = (ulong)(2 * size) + (ushort)i.Immediate;
        if ((_cr0 & Cr0Bits.ProtectionEnable) == 0)
        {
            StackAdjust(popped);
            LoadRealModeSegment(SegmentName.Cs, selector);
            _rip = offset & (size == 2 ? 0xFFFFUL : 0xFFFF_FFFFUL);
            return false;
        }
        int rpl = selector & 3;
        if (!TryLoadReturnCodeSegment(selector, out var code))
        {
            return false;
        }
        bool target64 = _longModeActive && code.Long;
        ulong target = target64 ? offset : offset & (size == 2 ? 0xFFFFUL : 0xFFFF_FFFFUL);
        if (target64 ? !IsCanonical(target) : target > code.Limit)
        {
            return GeneralProtection();
        }
        if (rpl > _cpl)
        {
            return FarReturnToOuterLevel(code, target, popped, size);
        }
        StackAdjust(popped);
        LoadSegmentCache(SegmentName.Cs, code with { Attributes = (ushort)(code.Attributes | 1) });
        _rip = target;
        return false;
    }

    /// <summary>The outer-level half of a far RET: SS:(E)SP follow CS:EIP and the popped bytes.</summary>
    private bool FarReturnToOuterLevel(SegmentRegister code, ulong target, ulong popped, int size)
    {
        int rpl = code.Selector & 3;
        if (!StackPeek(popped, size, out ulong newStackPointer) || !StackPeek(popped + (ulong)size, size, out ulong ssValue))
        {
            return false;
        }
        ushort ssSelector = (ushort)ssValue;
        SegmentRegister stack;
        if ((ssSelector & 0xFFFC) == 0)
        {
            if (!(_longModeActive && code.Long && rpl != 3))
            {
                return GeneralProtection();
            }
            stack = new SegmentRegister(ssSelector, 0, 0, (ushort)(0x1093 | (rpl << 5)));
        }
        else
        {
            if (!TryLoadReturnStackSegment(ssSelector, rpl, out stack))
            {
                return false;
            }
        }
        LoadSegmentCache(SegmentName.Cs, code with { Attributes = (ushort)(code.Attributes | 1) });
        LoadSegmentCache(SegmentName.Ss, stack);
        SetCpl(rpl);
        // The immediate is added to the new stack pointer too (it releases the outer parameters).
        ulong mask = StackMask;
        R(4) = (R(4) & ~mask) | ((newStackPointer + (popped - (ulong)(2 * size))) & mask);
        _rip = target;
        NullSegmentsAbove(rpl);
        return false;
    }

    /// <summary>LDS/LES/LSS/LFS/LGS r, m16:16/32/64: the segment load's checks come first.</summary>
    private bool LoadFarPointer(ref DecodedInstruction i)
    {
        ulong address = EffectiveAddress(ref i);
        if (!TryRead(address, i.Size, out ulong offset) || !TryRead(address + i.Size, 2, out ulong selector))
        {
            return false;
        }
        var name = (SegmentName)i.Aux;
        if (!LoadSegmentChecked(name, (ushort)selector))
        {
            return false;
        }
        WriteRegister(i.Size, i.Reg, offset);
        if (name == SegmentName.Ss)
        {
            _interruptShadow = true;
        }
        _rip = NextRip(ref i);
        return false;
    }
}
