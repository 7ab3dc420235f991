using System.Runtime.CompilerServices;
using Turnstone.Engine;
using Turnstone.Hypervisor.Interop;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Hypervisor.Engine;

/// <summary>
/// A KVM vCPU behind the engine interface. The registers are KVM's synced run-page copy, seen as
/// <see cref="GeneralRegisters"/> (the same layout), so an exit costs what it cost before.
/// </summary>
internal sealed class KvmEngineVcpu : IEngineVcpu, IDisposable
{
    private readonly Vcpu _vcpu;
    private readonly KvmSregs _resetSpecialRegisters;
    private readonly KvmXsave _resetExtendedState;

    public KvmEngineVcpu(Vcpu vcpu)
    {
        _vcpu = vcpu;
        _resetSpecialRegisters = vcpu.GetSpecialRegisters();
        vcpu.GetXsave(out _resetExtendedState);
    }

    public ref GeneralRegisters Registers => ref Unsafe.As<KvmRegs, GeneralRegisters>(ref _vcpu.SyncedRegisters);

    public void MarkRegistersDirty() => _vcpu.MarkSyncedRegistersDirty();

    public void SetRegisters(in GeneralRegisters registers) => _vcpu.SetRegisters(Unsafe.As<GeneralRegisters, KvmRegs>(ref Unsafe.AsRef(in registers)));

    public EngineExit Run()
    {
        var exit = _vcpu.Run();
        return exit.Reason switch
        {
            VcpuExitReason.Io => new EngineExit(EngineExitKind.PortIo, exit.IoPort, exit.IoSize, exit.IoIsWrite),
            VcpuExitReason.Mmio => new EngineExit(EngineExitKind.Mmio, exit.MmioAddress, exit.MmioLength, exit.MmioIsWrite),
            VcpuExitReason.Interrupted => new EngineExit(EngineExitKind.Interrupted),
            VcpuExitReason.Shutdown => new EngineExit(EngineExitKind.Shutdown),
            VcpuExitReason.InternalError => new EngineExit(EngineExitKind.Failed, Description:
                $"KVM internal error {exit.InternalError}, data [{string.Join(", ", _vcpu.InternalErrorData().Select(d => $"0x{d:x}"))}]"),
            _ => new EngineExit(EngineExitKind.Other, Description: $"unexpected VM exit {exit.Reason}"),
        };
    }

    public void Kick() => _vcpu.Kick();

    public void SetSystemRegisters(in SystemRegisters registers)
    {
        var sregs = _resetSpecialRegisters;
        sregs.Cs = Segment(registers.Cs);
        sregs.Ds = Segment(registers.Ds);
        sregs.Es = Segment(registers.Es);
        sregs.Fs = Segment(registers.Fs);
        sregs.Gs = Segment(registers.Gs);
        sregs.Ss = Segment(registers.Ss);
        sregs.Tr = Segment(registers.Tr);
        sregs.Ldt = Segment(registers.Ldt);
        sregs.Gdt = new KvmDtable { Base = registers.Gdt.Base, Limit = registers.Gdt.Limit };
        sregs.Idt = new KvmDtable { Base = registers.Idt.Base, Limit = registers.Idt.Limit };
        sregs.Cr0 = registers.Cr0;
        sregs.Cr2 = registers.Cr2;
        sregs.Cr3 = registers.Cr3;
        sregs.Cr4 = registers.Cr4;
        sregs.Efer = registers.Efer;
        _vcpu.SetSpecialRegisters(sregs);
    }

    internal static KvmSegment Segment(in SegmentState s) => s.Unusable
        ? new KvmSegment { Unusable = 1 }
        : new KvmSegment
        {
            Base = s.Base,
            Limit = s.Limit,
            Selector = s.Selector,
            Type = (byte)s.Type,
            S = (byte)(s.CodeOrData ? 1 : 0),
            Dpl = (byte)s.Dpl,
            Present = (byte)(s.Present ? 1 : 0),
            Avl = (byte)(s.Available ? 1 : 0),
            L = (byte)(s.Long ? 1 : 0),
            Db = (byte)(s.DefaultBig ? 1 : 0),
            G = (byte)(s.Granular ? 1 : 0),
        };

    public ulong Cr2 => _vcpu.GetSpecialRegisters().Cr2;

    public void ResetExtendedStateAndEvents()
    {
        _vcpu.SetXsave(_resetExtendedState);
        _vcpu.SetEvents(default); // nothing pending: no exception, interrupt or NMI left from a previous guest
    }

    public SavedExtendedState CreateExtendedState() => new KvmExtendedState();

    public void SaveExtendedState(SavedExtendedState state) => _vcpu.GetXsave(out Own(state).Xsave);

    public void RestoreExtendedState(SavedExtendedState state) => _vcpu.SetXsave(Own(state).Xsave);

    private static KvmExtendedState Own(SavedExtendedState state) =>
        state as KvmExtendedState ?? throw new ArgumentException("extended state made by another engine", nameof(state));

    /// <summary>Components and bare guests have no interrupt controller; the Linux machine injects
    /// through KVM's in-kernel irqchip (irqfd), not through this interface.</summary>
    public void RequestInterrupt(byte vector) =>
        throw new NotSupportedException("KVM vCPUs take interrupts from KVM's in-kernel irqchip, not from this interface");

    public void Dispose() => _vcpu.Dispose();

    private sealed class KvmExtendedState : SavedExtendedState
    {
        public KvmXsave Xsave;
    }
}
