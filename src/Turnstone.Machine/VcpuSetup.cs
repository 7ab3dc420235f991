using Turnstone.Hypervisor;
using Turnstone.Firmware.X86;
using Turnstone.Hypervisor.Interop;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Machine;

/// <summary>Puts a vCPU into the state a boot path asked for.</summary>
internal static class VcpuSetup
{
    // MSRs a PC BIOS leaves initialised and Linux reads early.
    private const uint MsrIa32MiscEnable = 0x1A0, MsrMtrrDefType = 0x2FF;
    private const ulong FastStrings = 1, MtrrEnableWriteBack = (1 << 11) | 6;

    public static void Apply(Vcpu vcpu, BootCpuState state, KvmCpuidEntry2[] supportedCpuid, TextWriter? log)
    {
        vcpu.SetCpuid(CpuidPolicy.For(supportedCpuid, vcpu.Id));
        foreach (var (index, value) in new[] { (MsrIa32MiscEnable, FastStrings), (MsrMtrrDefType, MtrrEnableWriteBack) })
        {
            try
            {
                vcpu.SetMsrs([(index, value)]);
            }
            catch (KvmException e)
            {
                // Some nested hosts do not model these MSRs; Linux copes without them.
                log?.WriteLine($"[turnstone] note: {e.Message}");
            }
        }
        var sregs = vcpu.GetSpecialRegisters();
        if (state.Mode == CpuEntryMode.RealMode)
        {
            ApplyRealMode(vcpu, sregs, state);
            return;
        }
        bool longMode = state.Mode == CpuEntryMode.LongMode64;
        sregs.Cs = Segment(state.CodeSelector, code: true, longMode);
        sregs.Ds = sregs.Es = sregs.Fs = sregs.Gs = sregs.Ss = Segment(state.DataSelector, code: false, longMode);
        if (state.TaskSelector is { } task)
        {
            sregs.Tr = TaskSegment(task);
        }
        sregs.Gdt = new KvmDtable { Base = state.GdtBase, Limit = state.GdtLimit };
        sregs.Idt = new KvmDtable { Base = 0, Limit = 0 };
        sregs.Cr0 = state.Cr0;
        sregs.Cr3 = state.Cr3;
        sregs.Cr4 = state.Cr4;
        sregs.Efer = state.Efer;
        vcpu.SetSpecialRegisters(sregs);
        vcpu.SetRegisters(new KvmRegs { Rip = state.Rip, Rbx = state.Rbx, Rsi = state.Rsi, Rsp = state.Rsp, Rflags = state.Rflags });
    }

    /// <summary>A flat segment: 64-bit code (L=1) in long mode, 32-bit code (D/B=1) otherwise; data is always D/B=1.</summary>
    internal static KvmSegment Segment(ushort selector, bool code, bool longMode) => new()
    {
        Base = 0,
        Limit = 0xFFFF_FFFF,
        Selector = selector,
        Type = code ? (byte)0xB : (byte)0x3, // execute/read accessed; read/write accessed
        Present = 1,
        Dpl = 0,
        Db = code && longMode ? (byte)0 : (byte)1,
        S = 1,
        L = code && longMode ? (byte)1 : (byte)0,
        G = 1,
    };

    /// <summary>
    /// Real mode as after RESET (segments at 0 with 64 KiB limits, IVT at 0 limit 3FFh, CR0 = 60000010h,
    /// EFER 0), CS:IP where the state says with CS's base its selector * 16. Not run on a nested PVM
    /// host, whose KVM cannot enter real mode (the machine refuses there).
    /// </summary>
    private static void ApplyRealMode(Vcpu vcpu, KvmSregs sregs, BootCpuState state)
    {
        sregs.Cs = RealModeSegment(state.CodeSelector, code: true);
        sregs.Ds = sregs.Es = sregs.Fs = sregs.Gs = sregs.Ss = RealModeSegment(state.DataSelector, code: false);
        sregs.Gdt = new KvmDtable { Base = 0, Limit = 0xFFFF };
        sregs.Idt = new KvmDtable { Base = 0, Limit = 0x3FF };
        sregs.Cr0 = state.Cr0;
        sregs.Cr3 = 0;
        sregs.Cr4 = 0;
        sregs.Efer = 0;
        vcpu.SetSpecialRegisters(sregs);
        vcpu.SetRegisters(new KvmRegs { Rip = state.Rip, Rsp = state.Rsp, Rflags = state.Rflags });
    }

    /// <summary>A real-mode segment: base = selector * 16, limit FFFFh, 16-bit, present, DPL 0.</summary>
    internal static KvmSegment RealModeSegment(ushort selector, bool code) => new()
    {
        Base = (ulong)selector << 4,
        Limit = 0xFFFF,
        Selector = selector,
        Type = code ? (byte)0xB : (byte)0x3,
        Present = 1,
        S = 1,
    };

    /// <summary>TR for a busy 32-bit TSS at base 0, as <see cref="FlatProtectedMode.WriteGdt"/> describes it.</summary>
    internal static KvmSegment TaskSegment(ushort selector) => new()
    {
        Base = 0,
        Limit = FlatProtectedMode.TaskStateLimit,
        Selector = selector,
        Type = 0xB, // busy 32-bit TSS: VM entry refuses an available one
        Present = 1,
        S = 0,
    };
}
