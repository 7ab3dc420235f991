using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// Architectural start states: the processor's reset (real mode at F000:FFF0 with CS's base at
// 0xFFFF0000, the top of the 4 GiB space) and the state a BIOS hands a boot sector (0:7C00).
public sealed unsafe partial class SoftwareCpu
{
    /// <summary>Puts the CPU in the state of a processor after RESET: real mode, CS selector F000
    /// with base FFFF0000 and IP FFF0 (the first fetch is at FFFFFFF0, which must be RAM for the
    /// engine to run it), the other segments at 0 with 64 KiB limits, CR0 = 60000010, EFER 0,
    /// RFLAGS 2, EDX the processor signature, GDTR/IDTR base 0 limit FFFF.</summary>
    public void ResetArchitectural()
    {
        Array.Clear(_registers, 0, Native.NativeState.Flags);
        _efer = 0;
        _cr0 = Cr0Bits.ExtensionType | Cr0Bits.NotWriteThrough | Cr0Bits.CacheDisable;
        _cr2 = 0;
        _cr3 = 0;
        _cr4 = 0;
        _cr8 = 0;
        UpdateLongModeActive();
        UpdateSseBlocked();
        foreach (var name in (ReadOnlySpan<SegmentName>)[SegmentName.Es, SegmentName.Ss, SegmentName.Ds, SegmentName.Fs, SegmentName.Gs])
        {
            LoadSegmentCache(name, new SegmentRegister(0, 0, 0xFFFF, 0x93));
        }
        LoadSegmentCache(SegmentName.Cs, new SegmentRegister(0xF000, 0xFFFF_0000, 0xFFFF, 0x9B));
        SetCpl(0);
        _gdtr = new DescriptorTableRegister(0, 0xFFFF);
        _idtr = new DescriptorTableRegister(0, 0xFFFF);
        _ldtr = new SegmentRegister(0, 0, 0xFFFF, 0x82);
        _tr = new SegmentRegister(0, 0, 0xFFFF, 0x8B);
        _rflags = RflagsBits.Fixed;
        _flagOperation = FlagOperation.Materialized;
        (uint signature, _, _, _) = CpuidTable.Query(1, 0);
        R(2) = signature;
        _rip = 0xFFF0;
        _halted = false;
        _interruptShadow = false;
        ResetNmiState();
        _translationsCached = true;
        FlushTlb();
    }

    /// <summary>The reset state, then CS:IP = 0000:7C00 with DL = <paramref name="bootDrive"/> and
    /// SS:SP = 0000:7C00, as a BIOS starts a boot sector loaded at 0x7C00 (IDTR is the real-mode
    /// IVT at 0 with limit 3FF).</summary>
    public void ResetForBootSector(byte bootDrive = 0x80)
    {
        ResetArchitectural();
        LoadSegmentCache(SegmentName.Cs, new SegmentRegister(0, 0, 0xFFFF, 0x9B));
        _idtr = new DescriptorTableRegister(0, 0x3FF);
        R(2) = bootDrive;
        R(4) = 0x7C00;
        _rip = 0x7C00;
    }
}
