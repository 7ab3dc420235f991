using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// System instructions: CPUID, RDTSC(P), RDMSR/WRMSR, MOV to/from CRn, LGDT/LIDT/SGDT/SIDT,
// LTR/LLDT/STR/SLDT, segment loads, SWAPGS, SYSCALL/SYSRET, HLT, CLI/STI, POPF, SAHF, INVLPG, CLTS.
public sealed unsafe partial class SoftwareCpu
{
    private void Cpuid()
    {
        var (eax, ebx, ecx, edx) = CpuidTable.Query((uint)R(0), (uint)R(1), _localApic is not null);
        R(0) = eax;
        R(3) = ebx;
        R(1) = ecx;
        R(2) = edx;
    }

    /// <summary>The TSC: from the local APIC's guest clock when one is connected (TSC-deadline mode
    /// compares against the same count), else from the CPU's own stopwatch; plus what WRMSR set.</summary>
    private ulong TimeStampCounter() =>
        (_localApic is { } apic ? apic.ReadTimeStampCounter()
            : (ulong)((Int128)_clock.ElapsedTicks * TscFrequency / System.Diagnostics.Stopwatch.Frequency)) + (ulong)_tscOffset;

    private bool ReadTimeStampCounter(bool withAux)
    {
        if ((_cr4 & Cr4Bits.TimeStampDisable) != 0 && _cpl != 0)
        {
            return GeneralProtection();
        }
        ulong tsc = TimeStampCounter();
        R(0) = (uint)tsc;
        R(2) = tsc >> 32;
        if (withAux)
        {
            R(1) = (uint)_tscAux;
        }
        return true;
    }

    private bool ReadMsrInstruction()
    {
        if (_cpl != 0)
        {
            return GeneralProtection();
        }
        if (!TryReadMsrCore((uint)R(1), out ulong value))
        {
            return GeneralProtection();
        }
        R(0) = (uint)value;
        R(2) = value >> 32;
        return true;
    }

    private bool WriteMsrInstruction(ref DecodedInstruction i)
    {
        if (_cpl != 0)
        {
            return GeneralProtection();
        }
        if (!TryWriteMsrCore((uint)R(1), ((ulong)(uint)R(2) << 32) | (uint)R(0)))
        {
            return GeneralProtection();
        }
        _rip = NextRip(ref i);
        return false;
    }

    private bool TryReadMsrCore(uint index, out ulong value)
    {
        value = index switch
        {
            ModelSpecificRegister.TimeStampCounter => TimeStampCounter(),
            ModelSpecificRegister.ApicBase => _localApic?.ApicBase ?? _apicBase,
            ModelSpecificRegister.SysenterCs => _sysenterCs,
            ModelSpecificRegister.SysenterEsp => _sysenterEsp,
            ModelSpecificRegister.SysenterEip => _sysenterEip,
            ModelSpecificRegister.MiscEnable => _miscEnable,
            ModelSpecificRegister.Pat => _pat,
            ModelSpecificRegister.TscDeadline => _localApic?.TscDeadline ?? _tscDeadline,
            ModelSpecificRegister.Efer => _efer,
            ModelSpecificRegister.Star => _star,
            ModelSpecificRegister.Lstar => _lstar,
            ModelSpecificRegister.Cstar => _cstar,
            ModelSpecificRegister.SyscallFlagMask => _syscallFlagMask,
            ModelSpecificRegister.FsBase => _segments[(int)SegmentName.Fs].Base,
            ModelSpecificRegister.GsBase => _segments[(int)SegmentName.Gs].Base,
            ModelSpecificRegister.KernelGsBase => _kernelGsBase,
            ModelSpecificRegister.TscAux => _tscAux,
            ModelSpecificRegister.PlatformId or ModelSpecificRegister.MicrocodeRevision => 0,
            ModelSpecificRegister.ArchCapabilities => ModelSpecificRegister.NotAffectedBySpeculation,
            _ => ulong.MaxValue,
        };
        return value != ulong.MaxValue || IsKnownMsr(index);
    }

    private static bool IsKnownMsr(uint index) => index is ModelSpecificRegister.TimeStampCounter or ModelSpecificRegister.ApicBase or
        ModelSpecificRegister.SysenterCs or ModelSpecificRegister.SysenterEsp or ModelSpecificRegister.SysenterEip or
        ModelSpecificRegister.MiscEnable or ModelSpecificRegister.Pat or ModelSpecificRegister.TscDeadline or
        ModelSpecificRegister.Efer or ModelSpecificRegister.Star or ModelSpecificRegister.Lstar or ModelSpecificRegister.Cstar or
        ModelSpecificRegister.SyscallFlagMask or ModelSpecificRegister.FsBase or ModelSpecificRegister.GsBase or
        ModelSpecificRegister.KernelGsBase or ModelSpecificRegister.TscAux;

    private bool TryWriteMsrCore(uint index, ulong value)
    {
        switch (index)
        {
            case ModelSpecificRegister.TimeStampCounter:
                _tscOffset = (long)(value - (TimeStampCounter() - (ulong)_tscOffset));
                return true;
            case ModelSpecificRegister.ApicBase:
                if (_localApic is { } apic)
                {
                    return apic.TryWriteApicBase(value);
                }
                _apicBase = value;
                return true;
            case ModelSpecificRegister.SysenterCs: _sysenterCs = value; return true;
            case ModelSpecificRegister.SysenterEsp: _sysenterEsp = value; return true;
            case ModelSpecificRegister.SysenterEip: _sysenterEip = value; return true;
            case ModelSpecificRegister.MiscEnable: _miscEnable = value; return true;
            case ModelSpecificRegister.Pat: _pat = value; return true;
            case ModelSpecificRegister.TscDeadline:
                if (_localApic is { } timer)
                {
                    timer.TscDeadline = value;
                }
                else
                {
                    _tscDeadline = value;
                }
                return true;
            case ModelSpecificRegister.Efer:
            {
                if ((value & ~EferBits.Writable) != 0)
                {
                    return false;
                }
                bool paging = (_cr0 & Cr0Bits.Paging) != 0;
                if (paging && ((value ^ _efer) & EferBits.LongModeEnable) != 0)
                {
                    return false;
                }
                // LMA is the CPU's to set; writes of it are ignored.
                _efer = (value & ~EferBits.LongModeActive) | (_efer & EferBits.LongModeActive);
                UpdateLongModeActive();
                FlushTlb();
                return true;
            }
            case ModelSpecificRegister.Star: _star = value; return true;
            case ModelSpecificRegister.Lstar:
            case ModelSpecificRegister.Cstar:
            case ModelSpecificRegister.FsBase:
            case ModelSpecificRegister.GsBase:
            case ModelSpecificRegister.KernelGsBase:
                if (!IsCanonical(value))
                {
                    return false;
                }
                if (index == ModelSpecificRegister.Lstar) { _lstar = value; }
                else if (index == ModelSpecificRegister.Cstar) { _cstar = value; }
                else if (index == ModelSpecificRegister.FsBase) { SetSegmentBase(SegmentName.Fs, value); }
                else if (index == ModelSpecificRegister.GsBase) { SetSegmentBase(SegmentName.Gs, value); }
                else { _kernelGsBase = value; }
                return true;
            case ModelSpecificRegister.SyscallFlagMask: _syscallFlagMask = (uint)value; return true;
            case ModelSpecificRegister.TscAux: _tscAux = (uint)value; return true;
            case ModelSpecificRegister.MicrocodeRevision: return true; // the "write 0, CPUID, read" ritual: nothing to load
            default: return false;
        }
    }

    private bool MoveToControlRegister(ref DecodedInstruction i)
    {
        if (_cpl != 0)
        {
            return GeneralProtection();
        }
        ulong value = _executing64BitCode ? R(i.Reg2) : (uint)R(i.Reg2);
        if (i.Aux >= DebugRegisterAux)
        {
            return MoveToDebugRegister(ref i, value);
        }
        switch (i.Aux)
        {
            case 0:
            {
                if ((value & ~Cr0Bits.Writable) != 0 ||
                    ((value & Cr0Bits.Paging) != 0 && (value & Cr0Bits.ProtectionEnable) == 0) ||
                    ((value & Cr0Bits.NotWriteThrough) != 0 && (value & Cr0Bits.CacheDisable) == 0))
                {
                    return GeneralProtection();
                }
                bool enablingPaging = (value & Cr0Bits.Paging) != 0 && (_cr0 & Cr0Bits.Paging) == 0;
                if (enablingPaging && (_efer & EferBits.LongModeEnable) != 0 && (_cr4 & Cr4Bits.PhysicalAddressExtension) == 0)
                {
                    return GeneralProtection();
                }
                if ((value & Cr0Bits.Paging) == 0 && _longModeActive && _executing64BitCode)
                {
                    // Leaving long mode is done from compatibility mode.
                    return GeneralProtection();
                }
                _cr0 = value | Cr0Bits.ExtensionType;
                UpdateLongModeActive();
                UpdateSseBlocked();
                FlushTlb();
                break;
            }
            case 2:
                _cr2 = value;
                break;
            case 3:
                if ((value >> 52) != 0)
                {
                    return GeneralProtection();
                }
                _cr3 = value;
                FlushNonGlobalTranslations();
                break;
            case 4:
                if ((value & ~Cr4Bits.Writable) != 0 || (_longModeActive && (value & Cr4Bits.PhysicalAddressExtension) == 0))
                {
                    return GeneralProtection();
                }
                _cr4 = value;
                UpdateSseBlocked();
                FlushTlb();
                break;
            case 8:
                if ((value & ~0xFUL) != 0)
                {
                    return GeneralProtection();
                }
                Cr8 = value;
                break;
            default:
                return InvalidOpcode();
        }
        _rip = NextRip(ref i);
        return false;
    }

    private bool MoveFromControlRegister(ref DecodedInstruction i)
    {
        if (_cpl != 0)
        {
            return GeneralProtection();
        }
        if (i.Aux >= DebugRegisterAux)
        {
            return MoveFromDebugRegister(ref i);
        }
        ulong value;
        switch (i.Aux)
        {
            case 0: value = _cr0; break;
            case 2: value = _cr2; break;
            case 3: value = _cr3; break;
            case 4: value = _cr4; break;
            case 8: value = Cr8; break;
            default: return InvalidOpcode();
        }
        R(i.Reg) = _executing64BitCode ? value : (uint)value;
        return true;
    }

    private bool LoadDescriptorTable(ref DecodedInstruction i, bool interrupt)
    {
        if (_cpl != 0)
        {
            return GeneralProtection();
        }
        ulong address = EffectiveAddress(ref i);
        // Outside 64-bit mode the base is 4 bytes, of which a 16-bit operand size keeps 24 bits.
        int baseSize = _executing64BitCode ? 8 : 4;
        if (!TryRead(address, 2, out ulong limit) || !TryRead(address + 2, baseSize, out ulong baseAddress))
        {
            return false;
        }
        if (i.Size == 5)
        {
            baseAddress &= 0xFF_FFFF;
        }
        if (!IsCanonical(baseAddress))
        {
            return GeneralProtection();
        }
        var table = new DescriptorTableRegister(baseAddress, (ushort)limit);
        if (interrupt)
        {
            _idtr = table;
        }
        else
        {
            _gdtr = table;
        }
        _rip = NextRip(ref i);
        return false;
    }

    private bool StoreDescriptorTable(ref DecodedInstruction i, DescriptorTableRegister table)
    {
        ulong address = EffectiveAddress(ref i);
        return TryWrite(address, 2, table.Limit) && TryWrite(address + 2, _executing64BitCode ? 8 : 4, table.Base);
    }

    private bool ReadSelectorOperand(ref DecodedInstruction i, out ulong selector) =>
        (i.Flags & (OperandFlags.Memory0 | OperandFlags.Memory1)) != 0
            ? TryRead(EffectiveAddress(ref i), 2, out selector)
            : (selector = R((i.Op == Operation.LoadSegment ? i.Reg2 : i.Reg)) & 0xFFFF) == selector;

    private bool LoadSystemSegmentInstruction(ref DecodedInstruction i, bool taskRegister)
    {
        if (!ReadSelectorOperand(ref i, out ulong selector) || !LoadSystemSegment((ushort)selector, taskRegister))
        {
            return false;
        }
        _rip = NextRip(ref i);
        return false;
    }

    /// <summary>STR, SLDT, MOV r/m, Sreg: a register destination gets the selector zero-extended.</summary>
    private bool StoreSelector(ref DecodedInstruction i, ushort selector)
    {
        if ((i.Flags & OperandFlags.Memory0) != 0)
        {
            return TryWrite(EffectiveAddress(ref i), 2, selector);
        }
        WriteRegister(i.Size, i.Reg, selector);
        return true;
    }

    private bool LoadSegmentInstruction(ref DecodedInstruction i)
    {
        var name = (SegmentName)i.Aux;
        if (!ReadSelectorOperand(ref i, out ulong selector) || !LoadSegmentChecked(name, (ushort)selector))
        {
            return false;
        }
        if (name == SegmentName.Ss)
        {
            _interruptShadow = true;
        }
        _rip = NextRip(ref i);
        return false;
    }

    private bool PopSegment(ref DecodedInstruction i)
    {
        if (!TryRead(R(4), 8, out ulong selector) || !LoadSegmentChecked((SegmentName)i.Aux, (ushort)selector))
        {
            return false;
        }
        R(4) += 8;
        _rip = NextRip(ref i);
        return false;
    }

    private bool SwapGs()
    {
        if (_cpl != 0)
        {
            return GeneralProtection();
        }
        ulong gsBase = _segments[(int)SegmentName.Gs].Base;
        SetSegmentBase(SegmentName.Gs, _kernelGsBase);
        _kernelGsBase = gsBase;
        return true;
    }

    private bool SystemCall(ref DecodedInstruction i)
    {
        if ((_efer & EferBits.SystemCallExtensions) == 0)
        {
            return InvalidOpcode();
        }
        bool wasCompatibilityMode = !_executing64BitCode;
        if (wasCompatibilityMode && !_longModeActive)
        {
            return InvalidOpcode();
        }
        ulong flags = MaterializeFlags();
        R(1) = NextRip(ref i);
        R(11) = flags & ~RflagsBits.Rf;
        _rflags = (flags & ~_syscallFlagMask & ~RflagsBits.Rf) | RflagsBits.Fixed;
        ushort selector = (ushort)((_star >> 32) & 0xFFFC);
        LoadSegmentCache(SegmentName.Cs, SegmentRegister.FlatCode64(selector, 0));
        LoadSegmentCache(SegmentName.Ss, SegmentRegister.FlatData((ushort)(selector + 8), 0));
        SetCpl(0);
        _rip = wasCompatibilityMode ? _cstar : _lstar;
        return false;
    }

    private bool SystemReturn(ref DecodedInstruction i)
    {
        if ((_efer & EferBits.SystemCallExtensions) == 0)
        {
            return InvalidOpcode();
        }
        if (_cpl != 0)
        {
            return GeneralProtection();
        }
        ushort selector = (ushort)(_star >> 48);
        if (i.Size == 8)
        {
            if (!IsCanonical(R(1)))
            {
                return GeneralProtection();
            }
            LoadSegmentCache(SegmentName.Cs, SegmentRegister.FlatCode64((ushort)((selector + 16) | 3), 3));
            _rip = R(1);
        }
        else
        {
            LoadSegmentCache(SegmentName.Cs, new SegmentRegister((ushort)(selector | 3), 0, 0xFFFF_FFFF, 0xC0FB));
            _rip = (uint)R(1);
        }
        LoadSegmentCache(SegmentName.Ss, SegmentRegister.FlatData((ushort)((selector + 8) | 3), 3));
        _rflags = (R(11) & 0x3C_7FD7) | RflagsBits.Fixed;
        _flagOperation = FlagOperation.Materialized;
        SetCpl(3);
        return false;
    }

    private bool Halt(ref DecodedInstruction i)
    {
        if (_cpl != 0)
        {
            return GeneralProtection();
        }
        _halted = true;
        _rip = NextRip(ref i);
        _exit = new CpuExit(CpuExitReason.Halt);
        _exitPending = true;
        return false;
    }

    private int Iopl => (int)((_rflags & RflagsBits.IoplMask) >> RflagsBits.IoplShift);

    private bool SetInterruptFlag(ref DecodedInstruction i, bool enable)
    {
        if (_cpl > Iopl)
        {
            return GeneralProtection();
        }
        if (!enable)
        {
            _rflags &= ~RflagsBits.If;
            return true;
        }
        if ((_rflags & RflagsBits.If) == 0)
        {
            _rflags |= RflagsBits.If;
            _interruptShadow = true;
        }
        _rip = NextRip(ref i);
        return false;
    }

    private bool PopFlags(ref DecodedInstruction i)
    {
        if (!TryRead(R(4), 8, out ulong value))
        {
            return false;
        }
        R(4) += 8;
        ulong changeable = RflagsBits.Arithmetic | RflagsBits.Tf | RflagsBits.Df | RflagsBits.Nt | RflagsBits.Ac | RflagsBits.Id;
        if (_cpl <= Iopl)
        {
            changeable |= RflagsBits.If;
        }
        if (_cpl == 0)
        {
            changeable |= RflagsBits.IoplMask;
        }
        ulong flags = MaterializeFlags();
        _rflags = ((flags & ~changeable & ~RflagsBits.Rf) | (value & changeable)) | RflagsBits.Fixed;
        EndBlockIfFlagsNeedRunLoop(flags, _rflags);
        return true;
    }

    private void StoreAhIntoFlags()
    {
        const ulong fromAh = RflagsBits.Sf | RflagsBits.Zf | RflagsBits.Af | RflagsBits.Pf | RflagsBits.Cf;
        ulong ah = (R(0) >> 8) & 0xFF;
        SetArithmeticFlags((MaterializeFlags() & ~fromAh) | (ah & fromAh));
    }

    private bool InvalidatePage(ref DecodedInstruction i)
    {
        if (_cpl != 0)
        {
            return GeneralProtection();
        }
        InvalidateTranslation(EffectiveAddress(ref i));
        _rip = NextRip(ref i);
        return false;
    }

    private bool ClearTaskSwitched()
    {
        if (_cpl != 0)
        {
            return GeneralProtection();
        }
        _cr0 &= ~Cr0Bits.TaskSwitched;
        UpdateSseBlocked();
        return true;
    }
}
